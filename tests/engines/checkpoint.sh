# Sourced by tests/engines/run.sh: Podman's `container checkpoint` and
# `container restore` of a running container, on the runtime under test
# and on runc. Podman (and the runtime it calls) find criu through PATH
# and check its version; bookworm's criu 3.17 cannot dump on this host's
# kernel, so the criu tests/criu/build.sh makes comes first on PATH for
# these steps only.

CRIU_DIR=$REPO/.build/criu

# checkpoint_setup builds criu (a no-op once built); without it the
# scenario fails saying so.
checkpoint_setup() {
	CRIU_OK=0
	if timeout 1200 bash "$REPO/tests/criu/build.sh" "$CRIU_DIR" >"$T/criu-build.log" 2>&1 &&
		PATH=$CRIU_DIR:$PATH timeout 30 criu check >"$T/criu-check.log" 2>&1; then
		CRIU_OK=1
	else
		note "criu for checkpoint: $(tail -n 3 "$T/criu-build.log" "$T/criu-check.log" 2>/dev/null | tr '\n' ' ')"
	fi
}

# pmc runs Podman with the built criu first on PATH, in $T: runc leaves
# the log of its criu feature check in its working directory.
pmc() { (cd "$T" && PATH=$CRIU_DIR:$PATH pm "$@"); }

# counter_of NAME: the value the counting container last wrote.
counter_of() { pm exec "$1" cat /tmp/count 2>/dev/null; }

# s_checkpoint NAME: a container counting in memory is checkpointed (it
# stops, the runtime's state of it is gone), restored (running again, a
# new host PID, the same shell as PID 1) and counts on from where it was,
# not from 1.
s_checkpoint() {
	local n=$1 out pid pid2 at c id
	[ "$CRIU_OK" = 1 ] || fail "no working criu in $CRIU_DIR (see the note above)" || return
	out=$(e run_d "$n" "" sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done' 2>&1) ||
		fail "run: $out" || return
	wait_status "$n" running || fail "not running: $(e status "$n")" || return
	id=$(e id "$n")
	STATE_DIRS+=("$(runtime_state_dir "$id")")
	for _ in $(seq 1 50); do
		c=$(counter_of "$n")
		[ -n "$c" ] && [ "$c" -ge 5 ] && break
		sleep 0.2
	done
	pid=$(e pid "$n")
	out=$(pmc container checkpoint "$n" 2>&1) || fail "checkpoint: $out" || return
	[ "$(e status "$n")" = exited ] || fail "status after checkpoint: $(e status "$n")" || return
	kill -0 "$pid" 2>/dev/null && fail "pid $pid still runs after checkpoint" && return
	out=$(runtime_state_dir "$id")
	[ -z "$out" ] || fail "runtime state $out left after checkpoint" || return
	out=$(pmc container restore "$n" 2>&1) || fail "restore: $out" || return
	wait_status "$n" running || fail "not running after restore: $(e status "$n")" || return
	pid2=$(e pid "$n")
	[ -n "$pid2" ] && [ "$pid2" != "$pid" ] && kill -0 "$pid2" 2>/dev/null ||
		fail "pid after restore: '$pid2' (before: $pid)" || return
	at=$(counter_of "$n")
	[ -n "$at" ] && [ "$at" -ge 5 ] || fail "counter after restore: '$at' (it counted to $c before)" || return
	sleep 1
	c=$(counter_of "$n")
	[ -n "$c" ] && [ "$c" -gt "$at" ] || fail "counter stands at '$c' 1 s after restore (was $at)" || return
	out=$(pm exec "$n" cat /proc/1/cmdline 2>&1 | tr '\0' ' ')
	case "$out" in *while*) ;; *) fail "PID 1 after restore: $out" || return ;; esac
	e_cleanup_one "$n"
}
