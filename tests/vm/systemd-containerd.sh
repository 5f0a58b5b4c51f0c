#!/bin/bash
# Run in the systemd VM as one of the "binaries" (its arguments, meant for
# Go tests, are ignored): containerd's runc shim with SystemdCgroup = true
# (ctr run --runc-systemd-cgroup) runs the same scenarios on sprout
# ($SPROUT_BIN) and on runc, each checked against systemd (the container's
# ctr-ID.scope) and the cgroup files. Prints "ok RUNTIME SCENARIO" or
# "FAIL RUNTIME SCENARIO: why" and, last, "containerd-systemd: N passed, M
# failed" per runtime.
set -uo pipefail

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

mkdir -p "$T/rootfs/bin" "$T/rootfs/tmp" "$T/rootfs/proc" "$T/rootfs/sys" "$T/rootfs/dev"
cp /bin/busybox "$T/rootfs/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$T/rootfs/bin/$a"; done

passed=0
failed=0
ok() {
	echo "ok $NAME $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $NAME $1: $2"
	failed=$((failed + 1))
}
unit_prop() { systemctl show -p "$2" --value "$1"; }
v2() { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; }
cgfile() { # PID CONTROLLER V1FILE V2FILE
	local line
	if v2; then
		line=$(grep '^0::' "/proc/$1/cgroup")
		cat "/sys/fs/cgroup${line#0::}/$4"
	else
		line=$(grep -E "^[0-9]+:([^:]*,)?$2(,[^:]*)?:" "/proc/$1/cgroup")
		cat "/sys/fs/cgroup/$2${line##*:}/$3"
	fi
}
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
	if [ "$(unit_prop "$unit" ActiveState)" = active ] && grep -q "/$unit\$" "/proc/$pid/cgroup"; then
		ok scope
	else
		fail scope "unit $unit: $(unit_prop "$unit" ActiveState); /proc/$pid/cgroup: $(tr '\n' ' ' <"/proc/$pid/cgroup")"
	fi
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
	for _ in $(seq 50); do
		st=$(unit_prop "$unit" LoadState)
		[ "$st" = not-found ] && break
		sleep 0.1
	done
	if [ "$st" = not-found ] && ! cr container info "$id" >/dev/null 2>&1; then
		ok kill-delete
	else
		fail kill-delete "unit $unit LoadState=$st"
	fi
}

total_failed=0
for RT in "${SPROUT_BIN:-/usr/local/bin/sprout}" /usr/sbin/runc; do
	NAME=$(basename "$RT")
	passed=0
	failed=0
	scenarios
	echo "containerd-systemd $NAME: $passed passed, $failed failed"
	total_failed=$((total_failed + failed))
done
[ $total_failed -eq 0 ]
