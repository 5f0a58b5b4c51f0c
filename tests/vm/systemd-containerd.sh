#!/bin/bash
# Run in the systemd VM as one of the "binaries" (its arguments, meant for
# Go tests, are ignored): containerd's runc shim with SystemdCgroup = true
# (ctr run --runc-systemd-cgroup) runs the same scenarios on sprout
# ($SPROUT_BIN) and on runc, each checked against systemd (the container's
# ctr-ID.scope) and the cgroup files. Prints "ok RUNTIME SCENARIO" or
# "FAIL RUNTIME SCENARIO: why" and, last, "containerd-systemd: N passed, M
# failed" per runtime.
set -uo pipefail
# shellcheck source=tests/vm/systemd-lib.sh # installed at /vm by run.sh
. /vm/systemd-lib.sh

T=$(mktemp -d /tmp/containerd-systemd.XXXXXX)
CPID=
cleanup() {
	[ -z "$CPID" ] || kill "$CPID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
cat >"$T/config.toml" <<EOF
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/containerd.sock"
EOF
containerd --config "$T/config.toml" >"$T/containerd.log" 2>&1 &
CPID=$!
for _ in $(seq 100); do
	[ -S "$T/containerd.sock" ] && break
	sleep 0.2
done
[ -S "$T/containerd.sock" ] || {
	cat "$T/containerd.log"
	echo "containerd did not start"
	exit 1
}
cr() { timeout -k 5 120 ctr --address "$T/containerd.sock" -n sprout-test "$@"; }

busybox_rootfs "$T/rootfs"

task_status() { cr task ls 2>/dev/null | awk -v n="$1" '$1 == n { print $3 }'; }

run_opts() { # ID
	# Without an image config the spec has no PATH, and runc then finds no
	# command.
	RUN=(--rootfs --runc-binary "$RT" --runc-systemd-cgroup --cgroup "system.slice:ctr:$1" --env PATH=/bin)
}

scenarios() {
	local out rc id pid unit mem st
	id=rm-$NAME
	run_opts "$id"
	out=$(cr run --rm "${RUN[@]}" "$T/rootfs" "$id" sh -c 'echo hello; exit 3' 2>&1)
	rc=$?
	if [ $rc -eq 3 ] && [ "$out" = hello ]; then ok run-rm; else fail run-rm "exit $rc, output $out"; fi

	id=d-$NAME
	unit=ctr-$id.scope
	run_opts "$id"
	if ! cr run -d "${RUN[@]}" --memory-limit 67108864 "$T/rootfs" "$id" sleep 1000 >"$T/run.log" 2>&1; then
		fail run-d "$(cat "$T/run.log")"
		return
	fi
	pid=$(cr task ls | awk -v n="$id" '$1 == n { print $2 }')
	scope_check "$unit" "$pid"
	mem=$(cgfile "$pid" memory memory.limit_in_bytes memory.max)
	local prop=MemoryMax
	v2 || prop=MemoryLimit
	if [ "$mem" = 67108864 ] && [ "$(unit_prop "$unit" $prop)" = 67108864 ]; then
		ok limits
	else
		fail limits "memory file $mem, $prop $(unit_prop "$unit" $prop)"
	fi
	cr task exec --exec-id e1 "$id" sh -c 'exit 4'
	rc=$?
	if [ $rc -eq 4 ]; then ok exec; else fail exec "exit $rc"; fi
	if cr task pause "$id" && [ "$(task_status "$id")" = PAUSED ] &&
		cr task resume "$id" && [ "$(task_status "$id")" = RUNNING ]; then
		ok pause-resume
	else
		fail pause-resume "status $(task_status "$id")"
	fi
	cr task kill -s KILL "$id"
	for _ in $(seq 100); do
		st=$(task_status "$id")
		[ "$st" = STOPPED ] && break
		sleep 0.1
	done
	cr task delete "$id" >/dev/null
	cr container delete "$id"
	if unit_gone "$unit" && ! cr container info "$id" >/dev/null 2>&1; then
		ok kill-delete
	else
		fail kill-delete "unit $unit LoadState=$(unit_prop "$unit" LoadState)"
	fi
}

each_runtime containerd-systemd
