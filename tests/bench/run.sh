#!/usr/bin/env bash
# Benchmarks ./sprout against runc and crun; `make bench` runs this after
# building sprout. Environment: N (measured cycles, default 50), RUNTIMES
# (default sprout,runc,crun), SPROUT (default ./sprout); any arguments are
# passed on to the bench (see its -help).
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
for pkg in runc crun busybox-static; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench: installing ${missing[*]}" >&2
	# Another apt may hold the lock; wait for it rather than fail. A runtime
	# that still is not there gets skipped by the bench.
	apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}" >&2 ||
		echo "bench: could not install ${missing[*]}" >&2
fi

GO=${GO:-go}
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$GO" build -o "$tmp/bench" ./tests/bench
# sprout runs from a copy, written as an install writes it, as runc's and
# crun's binaries were: every process that maps the file the linker has
# just written shows ~2 MB more resident (`sprout --version` 8.9-9.0 MB
# against 6.8-6.9 MB from a cp of it, same bytes), through how that file
# sits in the page cache.
cp "${SPROUT:-./sprout}" "$tmp/sprout"
"$tmp/bench" -n "${N:-50}" -runtimes "${RUNTIMES:-sprout,runc,crun}" -sprout "$tmp/sprout" "$@"
