#!/bin/sh
# Stage 1, run by the kernel as /init from the initramfs.
#
# pivot_root(2) refuses to move away from the initramfs rootfs, and sprout's
# containers need pivot_root, so the tree is copied into a real tmpfs mount
# that switch_root then makes the root before starting the test init there.
export PATH=/bin

fatal() {
	echo "@@sprout-vm:fatal stage 1: $*"
	sleep 1
	poweroff -f
}

mkdir /newroot || fatal "mkdir /newroot failed"
mount -t tmpfs -o mode=0755 rootfs /newroot || fatal "mounting tmpfs on /newroot failed"
for entry in /*; do
	[ "$entry" = /newroot ] && continue
	cp -a "$entry" /newroot/ || fatal "copying $entry into /newroot failed"
done
# Should switch_root fail, PID 1 exits and the resulting kernel panic, with
# switch_root's message just above it, is what tests/vm/run.sh reports.
exec switch_root /newroot /sbin/test-init
