#!/bin/bash
# Builds a static libseccomp for musl into DIR (default .build/libseccomp-musl)
# from Debian's source of the libseccomp-dev installed here, so that sprout
# links musl instead of glibc: glibc's static start-up (CPU cache probing
# through cpuid, which traps in a VM, and setting up every signal for cgo)
# cost each sprout process ~0.5 ms, and a container takes four of them.
# `make` calls this; it does nothing when DIR already holds that version.
set -euo pipefail

dir=$(realpath -m "${1:-.build/libseccomp-musl}")
version=$(dpkg-query -W -f='${Version}' libseccomp-dev)
if [[ -f $dir/lib/libseccomp.a && "$(cat "$dir/version" 2>/dev/null)" == "$version" ]]; then
	exit 0
fi
echo "building libseccomp $version for musl into $dir"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash "$(dirname "$0")/../tests/apt-source.sh" "$work" "libseccomp=$version"
# apt checked the files against the archive's signed index; the
# maintainer's own signature needs a keyring this machine lacks.
if ! dpkg-source --no-copy -x "$work"/libseccomp_*.dsc "$work/src" >"$work/unpack.log" 2>&1; then
	cat "$work/unpack.log" >&2
	echo "libseccomp-musl: unpacking the source failed (log above)" >&2
	exit 1
fi

# musl-gcc sees only musl's headers; libseccomp needs the kernel's too.
mkdir -p "$work/kernel-headers"
ln -s /usr/include/linux /usr/include/asm-generic "$work/kernel-headers/"
ln -s "/usr/include/$(gcc -dumpmachine)/asm" "$work/kernel-headers/asm"

rm -rf "$dir"
cd "$work/src"
if ! {
	./configure CC=musl-gcc CFLAGS="-O2 -isystem $work/kernel-headers" \
		--enable-static --disable-shared --prefix="$dir" &&
		make -j"$(nproc)" -C src && make -C src install &&
		make -C include install && make install-pkgconfDATA
} >"$work/build.log" 2>&1; then
	cat "$work/build.log" >&2
	echo "libseccomp-musl: building libseccomp failed (log above)" >&2
	exit 1
fi
# sprout's own C needs the kernel headers as well; keep a copy of the links.
mkdir -p "$dir/kernel-headers"
ln -s /usr/include/linux /usr/include/asm-generic "$dir/kernel-headers/"
ln -s "/usr/include/$(gcc -dumpmachine)/asm" "$dir/kernel-headers/asm"
echo "$version" >"$dir/version"
