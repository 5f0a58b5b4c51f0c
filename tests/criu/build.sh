#!/bin/bash
# Builds criu into DIR (default .build/criu) from the source of Debian's
# next release: bookworm's criu 3.17 stops on kernels newer than it knows
# ("vdso: Unexpected rt vDSO area bounds" on 6.18), 4.1 checkpoints there.
# `make checkpoint` calls this; it does nothing when DIR holds that build.
set -euo pipefail

dir=$(realpath -m "${1:-.build/criu}")
suite=trixie version=4.1.1-1
if [[ -x $dir/criu && "$(cat "$dir/version" 2>/dev/null)" == "$version" ]]; then
	exit 0
fi
echo "building criu $version ($suite) into $dir"
# What criu's Makefile needs to build the binary (no docs, no python crit).
bash "$(dirname "$0")/../install-deps.sh" libbsd-dev libcap-dev libnet1-dev libnftables-dev \
	libnl-3-dev libprotobuf-c-dev libprotobuf-dev protobuf-c-compiler protobuf-compiler \
	libgnutls28-dev uuid-dev pkgconf

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The archive serves the upstream tarball of this version but not always
# Debian's packaging around it, which criu's own Makefile does not need.
bash "$(dirname "$0")/../apt-source.sh" --suite "$suite" --tar-only "$work" "criu=$version"
mkdir "$work/src"
tar -xf "$work"/criu_*.orig.tar.* -C "$work/src" --strip-components=1
if ! make -C "$work/src" -j"$(nproc)" criu >"$work/build.log" 2>&1; then
	tail -40 "$work/build.log" >&2
	echo "criu build failed (end of the log above)" >&2
	exit 1
fi
rm -rf "$dir"
mkdir -p "$dir"
cp "$work/src/criu/criu" "$dir/criu"
echo "$version" >"$dir/version"
