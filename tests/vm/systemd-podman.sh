#!/bin/bash
# Run in the systemd VM as one of the "binaries" (its arguments, meant for
# Go tests, are ignored): Podman with cgroup_manager = "systemd" runs the
# same scenarios on sprout ($SPROUT_BIN) and on runc, and each scenario is
# checked against systemd (the container's libpod-ID.scope) and the cgroup
# files. Prints "ok RUNTIME SCENARIO" or "FAIL RUNTIME SCENARIO: why" and,
# last, "podman-systemd: N passed, M failed" per runtime. Run as a user
# (systemd-rootless.sh does), it is rootless Podman with the user's
# systemd --user, and the title is podman-systemd-rootless.
set -uo pipefail
# shellcheck source=tests/vm/systemd-lib.sh # installed at /vm by run.sh
. /vm/systemd-lib.sh

T=$(mktemp -d /tmp/podman-systemd.XXXXXX)
trap 'rm -rf "$T"' EXIT
export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
netns = "none"
[engine]
cgroup_manager = "systemd"
events_logger = "file"
EOF
cat >"$CONTAINERS_STORAGE_CONF" <<EOF
[storage]
driver = "vfs"
graphroot = "$T/storage"
runroot = "$T/run"
EOF

pm() { timeout -k 5 120 podman --root "$T/storage" --runroot "$T/run" --runtime "$RT" "$@"; }

# The image: static busybox and its applets, imported offline.
busybox_rootfs "$T/rootfs"
tar -C "$T/rootfs" -cf "$T/rootfs.tar" . || exit 1
RT=/usr/sbin/runc
pm import "$T/rootfs.tar" localhost/busybox >"$T/import.log" 2>&1 || {
	cat "$T/import.log"
	echo "podman import failed"
	exit 1
}

scenarios() {
	local out rc id pid unit
	out=$(pm run --rm localhost/busybox sh -c 'echo hello; exit 3' 2>&1)
	rc=$?
	if [ $rc -eq 3 ] && [ "$out" = hello ]; then ok run-rm; else fail run-rm "exit $rc, output $out"; fi

	id=$(pm run -d --name "c-$NAME" --memory 64m --pids-limit 50 localhost/busybox sleep 1000) || {
		fail run-d "podman run -d failed"
		return
	}
	unit=libpod-$id.scope
	pid=$(pm inspect -f '{{.State.Pid}}' "c-$NAME")
	scope_check "$unit" "$pid"
	local mem tasks
	mem=$(cgfile "$pid" memory memory.limit_in_bytes memory.max)
	tasks=$(unit_prop "$unit" TasksMax)
	if [ "$mem" = 67108864 ] && [ "$tasks" = 50 ] && [ "$(cgfile "$pid" pids pids.max pids.max)" = 50 ]; then
		ok limits
	else
		fail limits "memory file $mem, TasksMax $tasks"
	fi
	pm exec "c-$NAME" sh -c 'exit 4'
	rc=$?
	if [ $rc -eq 4 ]; then ok exec; else fail exec "exit $rc"; fi
	if pm update --memory 128m "c-$NAME" >/dev/null 2>&1; then
		mem=$(cgfile "$pid" memory memory.limit_in_bytes memory.max)
		if [ "$mem" = 134217728 ]; then ok update; else fail update "memory file $mem"; fi
	else
		fail update "podman update failed"
	fi
	if pm pause "c-$NAME" >/dev/null && [ "$(pm inspect -f '{{.State.Status}}' "c-$NAME")" = paused ] &&
		pm unpause "c-$NAME" >/dev/null && [ "$(pm inspect -f '{{.State.Status}}' "c-$NAME")" = running ]; then
		ok pause-resume
	else
		fail pause-resume "status $(pm inspect -f '{{.State.Status}}' "c-$NAME")"
	fi
	pm stop -t 2 "c-$NAME" >/dev/null
	rc=$(pm inspect -f '{{.State.ExitCode}}' "c-$NAME")
	if [ "$rc" = 137 ]; then ok stop-kill; else fail stop-kill "exit code $rc"; fi
	pm rm "c-$NAME" >/dev/null
	if unit_gone "$unit" && ! pm container exists "c-$NAME"; then ok rm; else fail rm "unit $unit LoadState=$(unit_prop "$unit" LoadState)"; fi
}

title=podman-systemd
[ "$(id -u)" = 0 ] || title=podman-systemd-rootless
each_runtime $title
rc=$?
pm rmi -a -f >/dev/null 2>&1
exit $rc
