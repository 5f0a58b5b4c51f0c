#!/bin/sh
# Run by sprout-vm.service (systemd-guest.service) in the systemd VM, as
# /vm/guest.sh from the payload disk: checks that systemd runs the machine
# on a pure cgroup v2 hierarchy, runs the test binaries with
# run-binaries.sh and powers the VM off. Reports over the serial console
# with the @@sprout-vm: markers that tests/vm/run.sh parses.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TMPDIR=/tmp
M=@@sprout-vm:

# Give the UART time to drain before the machine goes.
halt() {
	sleep 1
	systemctl poweroff --force --force
}

fatal() {
	echo "${M}fatal $*"
	halt
}

read -r uptime _ </proc/uptime
echo "${M}boot uptime=$uptime kernel=$(uname -r) systemd=$(systemctl --version | head -n 1 | cut -d' ' -f2)"
[ "$(readlink /proc/1/exe)" = /usr/lib/systemd/systemd ] || fatal "PID 1 is $(readlink /proc/1/exe), not systemd"
# shellcheck source=/dev/null # written by tests/vm/run.sh
. /vm/config
if [ "$VM_CGROUP" = hybrid ]; then
	[ "$(stat -f -c %T /sys/fs/cgroup/unified)" = cgroup2fs ] && [ -d /sys/fs/cgroup/memory ] ||
		fatal "systemd did not boot with the hybrid hierarchy (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)"
	echo "${M}controllers hybrid: $(ls /sys/fs/cgroup | tr '\n' ' ')"
else
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || fatal "/sys/fs/cgroup is not a cgroup2 mount: systemd did not boot with the unified hierarchy"
	echo "${M}controllers $(cat /sys/fs/cgroup/cgroup.controllers)"
	echo "${M}subtree_control $(cat /sys/fs/cgroup/cgroup.subtree_control)"
fi
# The bus is socket-activated; the tests expect it up.
busctl --system status >/dev/null 2>&1 || fatal "the system bus does not answer"
# The bundles go to memory rather than to the root disk's snapshot.
mount -t tmpfs -o mode=1777 tmpfs /tmp || fatal "mounting tmpfs on /tmp failed"

# Every sprout command of the integration tests gets --systemd-cgroup.
export SPROUT_TEST_CGROUP_DRIVER=systemd
# The checkpoint tests use the image's criu, and this kernel can do all
# they need (pre-dump's soft-dirty pages included): a skip is a failure.
export SPROUT_CRIU=/usr/sbin/criu SPROUT_CRIU_MUST_WORK=1
echo "${M}criu $(criu --version | head -n 1)"
/vm/run-binaries.sh || fatal "running the test binaries failed"
halt
