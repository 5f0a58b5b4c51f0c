# Sourced by the scenario scripts of the systemd VM (systemd-podman.sh,
# systemd-containerd.sh, systemd-rootless.sh; see README.md): counting,
# the checks against systemd and the cgroup files, the busybox root
# filesystem, and the loop that runs one script's scenarios on sprout and
# on runc side by side.

# SYSTEMCTL reaches the manager the containers' units belong to: the
# user's own (systemd --user) when the script runs as a user.
if [ "$(id -u)" = 0 ]; then
	SYSTEMCTL=(systemctl)
else
	SYSTEMCTL=(systemctl --user)
fi

ok() {
	echo "ok $NAME $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $NAME $1: $2"
	failed=$((failed + 1))
}

# unit_prop UNIT PROPERTY prints what systemctl show says.
unit_prop() { "${SYSTEMCTL[@]}" show -p "$2" --value "$1"; }

# unit_gone UNIT waits up to 5 s for systemd to forget UNIT.
unit_gone() {
	for _ in $(seq 50); do
		[ "$(unit_prop "$1" LoadState)" = not-found ] && return 0
		sleep 0.1
	done
	return 1
}

v2() { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; }

# cgfile PID CONTROLLER V1FILE V2FILE prints a file of the process's
# cgroup in the controller's hierarchy.
cgfile() {
	local line
	if v2; then
		line=$(grep '^0::' "/proc/$1/cgroup")
		cat "/sys/fs/cgroup${line#0::}/$4"
	else
		line=$(grep -E "^[0-9]+:([^:]*,)?$2(,[^:]*)?:" "/proc/$1/cgroup")
		cat "/sys/fs/cgroup/$2${line##*:}/$3"
	fi
}

# scope_check UNIT PID: the unit is active and the process in its cgroup.
scope_check() {
	if [ "$(unit_prop "$1" ActiveState)" = active ] && grep -q "/$1\$" "/proc/$2/cgroup"; then
		ok scope
	else
		fail scope "unit $1: $(unit_prop "$1" ActiveState); /proc/$2/cgroup: $(tr '\n' ' ' <"/proc/$2/cgroup")"
	fi
}

# busybox_rootfs DIR makes a root filesystem of static busybox and its
# applets.
busybox_rootfs() {
	mkdir -p "$1/bin" "$1/tmp" "$1/proc" "$1/sys" "$1/dev"
	cp /bin/busybox "$1/bin/"
	for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$1/bin/$a"; done
}

# each_runtime TITLE runs the script's scenarios function with RT and
# NAME set to sprout ($SPROUT_BIN) and then runc, prints "TITLE NAME: N
# passed, M failed" for each, and fails if any scenario failed.
each_runtime() {
	local total=0
	for RT in "${SPROUT_BIN:-/usr/local/bin/sprout}" /usr/sbin/runc; do
		NAME=$(basename "$RT")
		passed=0
		failed=0
		scenarios
		echo "$1 $NAME: $passed passed, $failed failed"
		total=$((total + failed))
	done
	[ $total -eq 0 ]
}
