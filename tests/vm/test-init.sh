#!/bin/sh
# Stage 2: PID 1 of the test VM, started by /init after switch_root.
#
# Sets up a cgroup v2 system, runs every binary listed in /vm/tests with
# run-binaries.sh, which reports over the console with @@sprout-vm: markers
# that tests/vm/run.sh parses, then powers the VM off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/local/bin
export HOME=/root TMPDIR=/tmp

M=@@sprout-vm:
CG=/sys/fs/cgroup

# Give the UART time to drain: poweroff -f does not wait for the tty buffer,
# and losing the final markers would turn a good run into a timeout.
halt() {
	sleep 1
	poweroff -f
}

fatal() {
	echo "${M}fatal $*"
	halt
}

mount -t proc proc /proc || fatal "mounting proc on /proc failed"
mount -t sysfs sysfs /sys || fatal "mounting sysfs on /sys failed"
mount -t devtmpfs devtmpfs /dev || fatal "mounting devtmpfs on /dev failed"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts || fatal "mounting devpts on /dev/pts failed"
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fatal "mounting tmpfs on /dev/shm failed"
mount -t tmpfs -o mode=1777 tmpfs /tmp || fatal "mounting tmpfs on /tmp failed"
mount -t tmpfs -o mode=0755 tmpfs /run || fatal "mounting tmpfs on /run failed"
mount -t cgroup2 -o nsdelegate cgroup2 "$CG" || fatal "mounting cgroup2 on $CG failed"
# devtmpfs lacks the /proc/self/fd links that udev normally creates.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
ip link set lo up || fatal "bringing up lo failed"

read -r uptime _ </proc/uptime
echo "${M}boot uptime=$uptime kernel=$(uname -r)"

controllers=$(cat "$CG/cgroup.controllers")
echo "${M}controllers $controllers"
missing=
for c in memory pids cpu cpuset; do
	case " $controllers " in
	*" $c "*) ;;
	*) missing="$missing $c" ;;
	esac
done
[ -z "$missing" ] || fatal "cgroup2 lacks required controllers:$missing"

enable_controllers() {
	not_enabled=
	for c in $controllers; do
		echo "+$c" 2>/dev/null >"$CG/cgroup.subtree_control" || not_enabled="$not_enabled $c"
	done
}

enable_controllers
if [ -n "$not_enabled" ]; then
	# A cgroup with processes cannot delegate controllers to children
	# (no-internal-process rule), so step aside into a leaf and retry.
	mkdir -p "$CG/vm-init" || fatal "mkdir $CG/vm-init failed"
	echo $$ >"$CG/vm-init/cgroup.procs" || fatal "moving init into $CG/vm-init failed"
	enable_controllers
	[ -z "$not_enabled" ] || fatal "enabling controllers in $CG/cgroup.subtree_control failed:$not_enabled"
fi
echo "${M}subtree_control $(cat "$CG/cgroup.subtree_control")"

/sbin/run-binaries || fatal "running the test binaries failed"
halt
