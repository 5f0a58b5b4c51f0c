#!/bin/bash
# The VM tier of `make test`: the cgroups package tests and the integration
# tests, run as root on a pure cgroup v2 kernel (see README.md).
set -euo pipefail
sprout=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
go=${GO:-go}
work=$(mktemp -d /tmp/sprout-vmtier.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$repo"
"$go" test -c -o "$work/cgroups.test" ./cgroups
"$go" test -c -o "$work/integration.test" ./tests/integration
SPROUT_BIN=$sprout bash "$here/run.sh" "$work/cgroups.test" "$work/integration.test"
