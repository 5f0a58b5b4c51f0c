#!/bin/bash
# Run in the systemd VM as one of the "binaries" (its arguments, meant for
# Go tests, are ignored), as root: runs itself again as the unprivileged
# user "tester" (uid 1000, whose systemd --user and session bus logind
# starts at boot: the image makes it linger) for the rootless checks of
# --systemd-cgroup on sprout and on runc side by side:
# `--rootless=true --systemd-cgroup run -d` makes the container's scope in
# the user's manager (user.slice below user@1000.service), with the config's
# memory and pids limits as unit properties and in the cgroup files;
# update changes both; exec runs in the scope; kill and delete remove the
# unit and its cgroup; an
# unreachable user bus is a clear error that leaves nothing behind. On the
# hybrid hierarchy both runtimes must refuse (a user's manager has only a
# v2 subtree). Then, on v2, rootless Podman (cgroup_manager = "systemd")
# runs the scenarios of systemd-podman.sh on both runtimes.
# Prints "ok RUNTIME SCENARIO" / "FAIL RUNTIME SCENARIO: why" and
# "rootless-systemd RUNTIME: N passed, M failed" per runtime.
set -uo pipefail

if [ "$(id -u)" = 0 ]; then
	run=/run/user/1000
	for _ in $(seq 300); do
		systemctl -q is-active user@1000.service && [ -S $run/bus ] && break
		sleep 0.2
	done
	[ -S $run/bus ] || {
		systemctl status user@1000.service
		echo "the user manager of tester or its bus ($run/bus) did not come up"
		exit 1
	}
	T=$(mktemp -d /tmp/rootless-systemd.XXXXXX)
	chown tester: "$T"
	cp "$0" "$T/rootless.sh"
	as_user() {
		runuser -u tester -- env -i PATH="$PATH" HOME=/home/tester USER=tester LOGNAME=tester \
			XDG_RUNTIME_DIR=$run DBUS_SESSION_BUS_ADDRESS=unix:path=$run/bus TMPDIR="$T" \
			SPROUT_BIN="${SPROUT_BIN:-/usr/local/bin/sprout}" "$@"
	}
	rc=0
	as_user bash "$T/rootless.sh" || rc=1
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		as_user bash /vm/systemd-podman.sh || rc=1
	else
		echo "podman-systemd-rootless: not run on the hybrid hierarchy (runc and Podman need v2 for a rootless systemd cgroup)"
	fi
	rm -rf "$T"
	exit $rc
fi

# shellcheck source=tests/vm/systemd-lib.sh # installed at /vm by run.sh
. /vm/systemd-lib.sh
T=$TMPDIR
manager=/user.slice/user-$(id -u).slice/user@$(id -u).service

# bundle DIR makes a rootless bundle (the config of `sprout spec
# --rootless`, the same for both runtimes) whose init sleeps, with a memory
# and a pids limit.
bundle() {
	mkdir -p "$1" && busybox_rootfs "$1/rootfs" && (cd "$1" && "$SPROUT_BIN" spec --rootless) &&
		sed -i -e 's/"terminal": true/"terminal": false/' \
			-e 's/^\t\t\t"sh"$/\t\t\t"sleep", "1000"/' \
			-e 's/^\t"linux": {$/&\n\t\t"resources": {"memory": {"limit": 67108864}, "pids": {"limit": 50}},/' \
			"$1/config.json"
}

rt() { timeout -k 5 60 "$RT" --root "$T/state-$NAME" --rootless=true --systemd-cgroup "$@"; }

# pid_of ID prints the init's pid from the runtime's state.
pid_of() { rt state "$1" | grep -o '"pid": *[0-9]*' | grep -o '[0-9]*$'; }

# no_trace ID: the runtime has no such container and no unit is left in
# the user's manager for it.
no_trace() {
	! rt state "$1" >/dev/null 2>&1 &&
		! "${SYSTEMCTL[@]}" list-units --all --no-legend --plain | grep -q -- "-$1\.scope"
}

# limits_are SCENARIO MEMORY TASKS CGROUP UNIT: memory.max and pids.max
# hold the limits, and so do the unit's MemoryMax and TasksMax.
limits_are() {
	local mem tasks
	mem=$(cat "/sys/fs/cgroup$4/memory.max")
	tasks=$(cat "/sys/fs/cgroup$4/pids.max")
	if [ "$mem" = "$2" ] && [ "$tasks" = "$3" ] &&
		[ "$(unit_prop "$5" MemoryMax)" = "$2" ] && [ "$(unit_prop "$5" TasksMax)" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "memory.max $mem, pids.max $tasks, MemoryMax $(unit_prop "$5" MemoryMax), TasksMax $(unit_prop "$5" TasksMax)"
	fi
}

scenarios() {
	local b=$T/bundle-$NAME id=c-$NAME out pid cg unit
	bundle "$b" || {
		fail bundle "could not make the bundle"
		return
	}
	if ! v2; then
		# The init keeps the output open: a file, not a pipe, gets it.
		if rt run -d --bundle "$b" "$id" </dev/null >"$T/run.log" 2>&1; then
			fail hybrid-refused "run succeeded on the hybrid hierarchy"
			rt delete -f "$id"
		elif no_trace "$id"; then
			ok hybrid-refused
			echo "  ($(cat "$T/run.log"))"
		else
			fail hybrid-refused "a container or unit was left: $(cat "$T/run.log")"
		fi
		return
	fi

	if ! DBUS_SESSION_BUS_ADDRESS=unix:path=$T/no-bus rt run -d --bundle "$b" bad-$NAME </dev/null >"$T/run.log" 2>&1 &&
		no_trace bad-$NAME; then
		ok no-user-bus
		echo "  ($(cat "$T/run.log"))"
	else
		fail no-user-bus "exit 0 or a container left: $(cat "$T/run.log")"
		rt delete -f bad-$NAME >/dev/null 2>&1
	fi

	if ! rt run -d --bundle "$b" "$id" </dev/null >"$T/run.log" 2>&1; then
		fail run-d "$(cat "$T/run.log")"
		return
	fi
	pid=$(pid_of "$id")
	cg=$(grep '^0::' "/proc/$pid/cgroup")
	cg=${cg#0::}
	unit=${cg##*/}
	case $cg in
	"$manager"/user.slice/*.scope) scope_check "$unit" "$pid" ;;
	*) fail scope "cgroup $cg is not a scope in user.slice of $manager" ;;
	esac
	limits_are limits 67108864 50 "$cg" "$unit"
	if out=$(rt update --memory 134217728 --pids-limit 60 "$id" 2>&1); then
		limits_are update 134217728 60 "$cg" "$unit"
	else
		fail update "$out"
	fi
	# The caller is outside the user's delegated subtree (here the test
	# service's cgroup, elsewhere a login session's scope, both root's):
	# sprout has the user's manager move the process into the scope; runc
	# 1.1 ignores the refused move of a rootless exec and leaves it where
	# it was.
	out=$(rt exec "$id" sh -c 'grep "^0::" /proc/self/cgroup; exit 4' 2>&1)
	rc=$?
	if [ $rc -eq 4 ] && { [ "$out" = "0::$cg" ] || [ "$NAME" = runc ]; }; then
		ok exec
		echo "  (exec'd process in $out)"
	else
		fail exec "exit $rc, $out (want 0::$cg)"
	fi
	rt kill "$id" KILL
	for _ in $(seq 50); do
		rt state "$id" 2>/dev/null | grep -q '"status": *"stopped"' && break
		sleep 0.1
	done
	if out=$(rt delete "$id" 2>&1) && unit_gone "$unit" && [ ! -d "/sys/fs/cgroup$cg" ] && no_trace "$id"; then
		ok kill-delete
	else
		fail kill-delete "delete: $out; unit $unit LoadState=$(unit_prop "$unit" LoadState)"
	fi
}

each_runtime rootless-systemd
