#!/bin/bash
# Builds criu into DIR (default .build/criu) from the source in Debian's
# unstable suite: bookworm's criu 3.17 stops on kernels newer than it knows
# ("vdso: Unexpected rt vDSO area bounds" on 6.18), and trixie's 4.1.1
# checkpoints there but cannot dump a TCP socket (it asks for SO_PASSCRED,
# which 6.18 refuses on TCP: "Can't get 1:16 opt"), which 4.2 fixed.
# `make checkpoint` calls this; it does nothing when DIR holds a build.
set -euo pipefail

dir=$(realpath -m "${1:-.build/criu}")
suite=sid version=4.2.1-1
if [[ -x $dir/criu && -f $dir/version ]]; then
	exit 0
fi
# What criu's Makefile needs to build the binary (no docs, no python crit);
# iptables locks the network while TCP connections are dumped.
bash "$(dirname "$0")/../install-deps.sh" libbsd-dev libcap-dev libnet1-dev libnftables-dev \
	libnl-3-dev libprotobuf-c-dev libprotobuf-dev protobuf-c-compiler protobuf-compiler \
	libgnutls28-dev uuid-dev pkgconf iptables

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The archive serves the upstream tarball but not always Debian's packaging
# around it, which criu's own Makefile does not need. Once unstable has
# moved past this version, its newest is taken.
src="$(dirname "$0")/../apt-source.sh"
if ! bash "$src" --suite "$suite" --tar-only "$work" "criu=$version"; then
	echo "criu $version is gone from $suite; taking its newest" >&2
	bash "$src" --suite "$suite" --tar-only "$work" criu
fi
tarball=$(ls "$work"/criu_*.orig.tar.*)
echo "building criu from $(basename "$tarball") into $dir"
mkdir "$work/src"
tar -xf "$tarball" -C "$work/src" --strip-components=1
if ! make -C "$work/src" -j"$(nproc)" criu >"$work/build.log" 2>&1; then
	tail -40 "$work/build.log" >&2
	echo "criu build failed (end of the log above)" >&2
	exit 1
fi
rm -rf "$dir"
mkdir -p "$dir"
cp "$work/src/criu/criu" "$dir/criu"
basename "$tarball" >"$dir/version"
