#!/bin/bash
# The VM tiers of `make test`, run as root (see README.md):
#   test-tier.sh SPROUT            the cgroups package tests and the
#                                  integration tests on a pure cgroup v2
#                                  kernel (an initramfs VM);
#   test-tier.sh --systemd SPROUT  the integration tests that touch cgroups
#                                  under --systemd-cgroup, and Podman
#                                  (cgroup_manager = "systemd") and
#                                  containerd (SystemdCgroup = true) on
#                                  sprout and runc, rootless ones with
#                                  the user's systemd --user, in a VM that boots Debian with
#                                  systemd as PID 1, once on the unified
#                                  hierarchy and once on the hybrid one.
set -euo pipefail
systemd=0
if [[ ${1:-} == --systemd ]]; then
	systemd=1
	shift
fi
sprout=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
go=${GO:-go}
work=$(mktemp -d /tmp/sprout-vmtier.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$repo"
"$go" test -c -o "$work/integration.test" ./tests/integration
if ((systemd)); then
	# The guest runs them with SPROUT_TEST_CGROUP_DRIVER=systemd. systemd
	# 252 stops a scope when the OOM killer kills one of its processes, so
	# TestResourcesOOMEvent, which expects the container to live on, gives
	# way to TestSystemdOOMEventAndFailedUnit there; TestKillAllSharedCgroup
	# shares a cgroupfs path, which a scope cannot be.
	# The checkpoint tests run with the image's criu, whose kernel can
	# pre-dump (this host's may not): the pre-dump and a plain checkpoint
	# and restore, on the cgroupfs driver. Both binaries get the one
	# -test.run; none of their test names matches the other's part.
	"$go" test -c -o "$work/checkpoint.test" ./tests/checkpoint
	integration='Systemd|Resources|Cgroup|Exec|Features|Kill|Lifecycle|PidsLimitOne|Run(Exit|Killed)|DeleteForceRunning|ListAndState|DevicesOnly'
	checkpoint='(CheckpointRestoreCounter|PreDumpThenDump|RestoreNewIDNewCgroup)$'
	rc=0
	for cgroup in unified hybrid; do
		echo "vm-systemd: $cgroup hierarchy"
		VM_IMAGE=systemd VM_SYSTEMD_CGROUP=$cgroup SPROUT_BIN=$sprout \
			VM_TEST_ARGS=${VM_TEST_ARGS:--test.run=^Test($integration|$checkpoint) -test.skip=^(TestResourcesOOMEvent|TestKillAllSharedCgroup)\$} \
			bash "$here/run.sh" "$work/integration.test" "$work/checkpoint.test" "$here/systemd-podman.sh" \
			"$here/systemd-containerd.sh" "$here/systemd-rootless.sh" || rc=1
	done
	exit $rc
fi
"$go" test -c -o "$work/cgroups.test" ./cgroups
SPROUT_BIN=$sprout bash "$here/run.sh" "$work/cgroups.test" "$work/integration.test"
