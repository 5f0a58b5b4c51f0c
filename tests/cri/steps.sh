#!/bin/bash
# The CRI tier's steps; tests/cri/run.sh runs this inside its private
# namespaces with T, TAG, SPROUT, RUNC, CRICTL and TRACE set. It starts
# containerd with its CRI plugin and two runtime handlers, "sprout" and
# "runc", then runs every step on each and prints one line a step:
# "ok RUNTIME STEP" or "FAIL RUNTIME STEP: why".
set -uo pipefail

STEP=${CRI_STEP_TIMEOUT:-60}
RUNTIMES=(sprout runc)
D=$T/containerd
CTR=(ctr --address "$D/containerd.sock" --namespace k8s.io)
CRI=("$CRICTL" --config "$T/crictl.yaml")

. "$(dirname "${BASH_SOURCE[0]}")/../lib/trace.sh"

note() { echo "# $*" >&2; }
t() { timeout -k 5 "$STEP" "$@"; }
cri() { t "${CRI[@]}" "$@"; }

# ---------------------------------------------------------------- reporting

REASON=
declare -A RESULT PASSED FAILED

fail() {
	REASON=$(printf '%s' "$*" | tr '\n\r' '  ' | cut -c1-600)
	return 1
}

# step RUNTIME NAME FUNC ARGS... runs FUNC, which sets REASON when it fails.
step() {
	local rt=$1 name=$2 rc
	shift 2
	REASON=
	"$@"
	rc=$?
	[ $rc -ne 0 ] && [ -z "$REASON" ] && REASON="exit status $rc"
	if [ $rc -eq 0 ]; then
		echo "ok $rt $name"
		RESULT[$rt/$name]=ok
		PASSED[$rt]=$((${PASSED[$rt]:-0} + 1))
	else
		echo "FAIL $rt $name: $REASON"
		RESULT[$rt/$name]=fail
		FAILED[$rt]=$((${FAILED[$rt]:-0} + 1))
	fi
	STEPS+=("$name")
}
STEPS=()

# ---------------------------------------------------------------- set-up

# runtime_bin NAME REAL: the binary the CRI is told to run; with TRACE=1 a
# wrapper logging each call, its exit status and the tail of its --log.
runtime_bin() {
	if [ "$TRACE" != 1 ]; then
		echo "$2"
		return
	fi
	trace_wrapper "$2" "$1" "$T/bin" "$T/trace"
}

setup() {
	# containerd 1.6 puts shim sockets in /run/containerd/s and libcni its
	# cache in /var/lib/cni, whatever the config says.
	mount -t tmpfs -o mode=755 cri-run /run &&
		mount -t tmpfs -o mode=755 cri-varlib /var/lib &&
		ip link set lo up &&
		hostname cri-tier || return 1
	mkdir -p "$D"/{root,state,opt} "$T/cni" "$T/logs"
	cat >"$T/cni/10-cri-tier.conflist" <<'EOF'
{
  "cniVersion": "1.0.0",
  "name": "cri-tier",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cri0",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "10.88.0.0/24"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF
	local runtimes='' rt real
	for rt in "${RUNTIMES[@]}"; do
		real=$SPROUT
		[ "$rt" = runc ] && real=$RUNC
		mkdir -p "$T/root-$rt"
		runtimes="$runtimes
    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.$rt]
      runtime_type = \"io.containerd.runc.v2\"
      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.$rt.options]
        BinaryName = \"$(runtime_bin "$rt" "$real")\"
        Root = \"$T/root-$rt\""
	done
	cat >"$D/config.toml" <<EOF
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$D/containerd.sock"

[ttrpc]
  address = "$D/containerd.sock.ttrpc"

[debug]
  address = "$D/debug.sock"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$D/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/busybox:pause"
  # Root lacks CAP_SYS_RESOURCE here: a pod's oom_score_adj of -998
  # would fail every create.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$T/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"$runtimes
EOF
	cat >"$T/crictl.yaml" <<EOF
runtime-endpoint: unix://$D/containerd.sock
image-endpoint: unix://$D/containerd.sock
timeout: $STEP
pull-image-on-create: false
disable-pull-on-run: true
EOF
	containerd --config "$D/config.toml" >"$D/containerd.log" 2>&1 &
	CONTAINERD=$!
	local up=0
	for _ in $(seq 1 120); do
		"${CRI[@]}" version >/dev/null 2>&1 && { up=1; break; }
		kill -0 "$CONTAINERD" 2>/dev/null || break
		sleep 0.25
	done
	[ $up -eq 1 ] || { note "containerd did not come up: $(tail -n 5 "$D/containerd.log")"; return 1; }
	local out
	out=$(t "${CTR[@]}" images import --base-name localhost/busybox "$T/busybox-oci.tar" 2>&1) ||
		{ note "image import: $out"; return 1; }
	for _ in $(seq 1 40); do
		out=$(cri images 2>&1)
		printf '%s\n' "$out" | grep -q 'localhost/busybox *latest' &&
			printf '%s\n' "$out" | grep -q 'localhost/busybox *pause' && return 0
		sleep 0.25
	done
	note "images not seen by the CRI: $out"
	return 1
}

# ---------------------------------------------------------------- helpers

# field ID TEMPLATE: a field of crictl inspect's JSON (container or pod).
field() { cri inspect -o go-template --template "$2" "$1" 2>/dev/null; }
podfield() { cri inspectp -o go-template --template "$2" "$1" 2>/dev/null; }

wait_state() {
	local id=$1 want=$2 s=
	for _ in $(seq 1 100); do
		s=$(field "$id" '{{.status.state}}')
		[ "$s" = "$want" ] && return 0
		sleep 0.2
	done
	fail "container state $s, want $want after 20s"
}

# state_dir RT ID: the runtime's own state directory for container ID.
state_dir() {
	local f
	f=$(find "$T/root-$1" -maxdepth 3 -path "*/$2/state.json" 2>/dev/null | head -n1)
	[ -n "$f" ] && dirname "$f"
}

# pod_json RT NAME PRIVILEGED [PIDMODE]: a pod config under this run's
# cgroup parent; PIDMODE 0 shares one PID namespace in the pod (CRI's
# POD), 1 gives each container its own (CONTAINER, the default).
pod_json() {
	local rt=$1 name=$2 priv=$3 pid=${4:-1} f=$T/$1-$2-pod.json
	mkdir -p "$T/logs/$rt-$name"
	cat >"$f" <<EOF
{
  "metadata": {"name": "$name-$rt", "namespace": "cri-tier", "uid": "$TAG-$rt-$name", "attempt": 1},
  "hostname": "$name-$rt",
  "log_directory": "$T/logs/$rt-$name",
  "linux": {
    "cgroup_parent": "/$TAG/$rt",
    "security_context": {"privileged": $priv, "namespace_options": {"pid": $pid}}
  }
}
EOF
	echo "$f"
}

# ctr_json RT NAME JSON-FIELDS: a container config of the busybox image.
ctr_json() {
	local f=$T/$1-$2-ctr.json
	cat >"$f" <<EOF
{
  "metadata": {"name": "$2"},
  "image": {"image": "localhost/busybox:latest"},
  "log_path": "$2.log",
  $3
}
EOF
	echo "$f"
}

# ---------------------------------------------------------------- steps
# Each sets REASON through fail when it fails. POD, MAIN, ... are IDs
# the later steps of the same runtime use.

s_runp() {
	local rt=$1 out ip
	POD_JSON=$(pod_json "$rt" pod false)
	out=$(cri runp --runtime "$rt" "$POD_JSON" 2>&1) || fail "runp: $out" || return
	POD=$out
	[ "$(podfield "$POD" '{{.status.state}}')" = SANDBOX_READY ] ||
		fail "pod state $(podfield "$POD" '{{.status.state}}')" || return
	ip=$(podfield "$POD" '{{.status.network.ip}}')
	case "$ip" in 10.88.0.*) ;; *) fail "pod IP '$ip' is not from the CNI bridge" || return ;; esac
	# The pod's sandbox must have been created by this runtime.
	[ -n "$(state_dir "$rt" "$POD")" ] || fail "no state of $POD under $T/root-$rt"
}

# start_in_pod VAR RT NAME JSON-FIELDS STATE: creates a container of the
# busybox image in POD, sets VAR to its ID, starts it and waits for STATE.
start_in_pod() {
	local -n id_var=$1
	local out cfg
	[ -n "$POD" ] || fail "no pod" || return
	cfg=$(ctr_json "$2" "$3" "$4")
	out=$(cri create "$POD" "$cfg" "$POD_JSON" 2>&1) || fail "create: $out" || return
	id_var=$out
	out=$(cri start "$id_var" 2>&1) || fail "start: $out" || return
	wait_state "$id_var" "$5"
}

s_create_start() {
	local rt=$1 out
	start_in_pod MAIN "$rt" main '"command": ["sh", "-c", "trap \"\" TERM; echo log-out-1; echo log-err-1 >&2; exec sleep 100000"]' \
		CONTAINER_RUNNING || return
	local sd
	sd=$(state_dir "$rt" "$MAIN")
	[ -n "$sd" ] || fail "no state of $MAIN under $T/root-$rt" || return
	out=$(cri exec --sync "$MAIN" cat /proc/1/comm 2>&1)
	[ "$out" = sleep ] || fail "pid 1 in the container is '$out', not sleep"
}

s_exec_sync() {
	local out rc
	[ -n "$MAIN" ] || fail "no container" || return
	out=$(cri exec --sync "$MAIN" sh -c 'echo out-$((6*7)); echo err-1 >&2' 2>&1) || fail "exec: $out" || return
	printf '%s\n' "$out" | grep -qx out-42 || fail "stdout: $out" || return
	printf '%s\n' "$out" | grep -qx err-1 || fail "stderr: $out" || return
	# crictl exits 1 and names the command's exit status.
	out=$(cri exec --sync "$MAIN" sh -c 'exit 3' 2>&1)
	printf '%s\n' "$out" | grep -q 'exited with 3' || fail "want exit status 3: $out" || return
	# The pod's network namespace, set up by the CNI bridge.
	out=$(cri exec --sync "$MAIN" cat /proc/net/dev 2>&1)
	printf '%s\n' "$out" | grep -q 'eth0:' || fail "no eth0 in the pod: $out"
}

s_exec_stream() {
	local out
	[ -n "$MAIN" ] || fail "no container" || return
	out=$(printf 'piped\n' | cri exec -i "$MAIN" sh -c 'read l; echo got-$l; exit 4' 2>&1)
	printf '%s\n' "$out" | grep -q 'exit code 4' || fail "want exit status 4: $out" || return
	printf '%s\n' "$out" | grep -qx got-piped || fail "output: $out"
}

s_exec_tty() {
	local out
	[ -n "$MAIN" ] || fail "no container" || return
	out=$(t script -qefc "$(printf '%q ' "${CRI[@]}" exec -it "$MAIN" sh -c 'tty; test -t 0 && echo stdin-tty; exit 5')" /dev/null </dev/null 2>&1)
	out=$(printf '%s' "$out" | tr -d '\r')
	printf '%s\n' "$out" | grep -q 'exit code 5' || fail "want exit status 5: $out" || return
	# script(1) turns its stdin's EOF into a NUL the pty echoes, anywhere
	# in the output, so nothing is anchored.
	printf '%s\n' "$out" | grep -aq '/dev/pts/[0-9]' || fail "tty: $out" || return
	printf '%s\n' "$out" | grep -aq stdin-tty || fail "stdin not a tty: $out"
}

s_attach() {
	local rt=$1 out
	start_in_pod ATT "$rt" att '"stdin": true, "stdin_once": true, "command": ["sh", "-c", "read l; echo attached-$l; exit 6"]' \
		CONTAINER_RUNNING || return
	out=$(printf 'hello\n' | cri attach -i "$ATT" 2>&1)
	printf '%s\n' "$out" | grep -qx attached-hello || fail "attach output: $out" || return
	# Stopped the moment it has exited, as Kubernetes' own attach test
	# does: the CRI may not have seen the exit yet and kill it.
	out=$(cri stop "$ATT" 2>&1) || fail "stop right after the exit: $out" || return
	wait_state "$ATT" CONTAINER_EXITED || return
	out=$(field "$ATT" '{{.status.exitCode}}')
	[ "$out" = 6 ] || fail "exit code $out, want 6"
}

s_logs() {
	local out
	[ -n "$MAIN" ] || fail "no container" || return
	out=$(cri logs "$MAIN" 2>&1) || fail "logs: $out" || return
	printf '%s\n' "$out" | grep -qx log-out-1 || fail "logs of main: $out" || return
	printf '%s\n' "$out" | grep -qx log-err-1 || fail "stderr missing from the logs of main: $out" || return
	[ -n "$ATT" ] || fail "no attached container" || return
	out=$(cri logs "$ATT" 2>&1) || fail "logs: $out" || return
	printf '%s\n' "$out" | grep -qx attached-hello || fail "logs of att: $out"
}

# The container exits by itself; stopping it afterwards must succeed (the
# shim kills an exited task before deleting it and needs the runtime's
# "container not running" to know it has gone).
s_stop_exited() {
	local rt=$1 out id
	start_in_pod id "$rt" done '"command": ["sh", "-c", "echo done; exit 7"]' CONTAINER_EXITED || return
	out=$(field "$id" '{{.status.exitCode}}')
	[ "$out" = 7 ] || fail "exit code $out, want 7" || return
	out=$(cri stop "$id" 2>&1) || fail "stop: $out" || return
	out=$(cri rm "$id" 2>&1) || fail "rm: $out" || return
	[ -z "$(state_dir "$rt" "$id")" ] || fail "runtime state of $id left after rm"
}

# The shim's kill of a task whose process has exited and not been
# deleted yet: the CRI does this whenever a stop races with an exit.
# The shim knows the process is gone only by the runtime's "container
# not running"; any other text becomes "unknown error after kill". The
# CRI deletes exited tasks at once, so the task is made with ctr, in its
# own containerd namespace, through the same shim.
s_kill_exited_task() {
	local rt=$1 out id=$TAG-$1-exited real=$SPROUT
	[ "$rt" = runc ] && real=$RUNC
	local c=("${CTR[@]::${#CTR[@]}-2}" --namespace "cri-tier-$rt")
	out=$(t "${c[@]}" images import --base-name localhost/busybox "$T/busybox-oci.tar" 2>&1) ||
		fail "image import: $out" || return
	mkdir -p "$T/ctr-fifo"
	out=$(t "${c[@]}" run -d --fifo-dir "$T/ctr-fifo" --runtime io.containerd.runc.v2 \
		--runc-binary "$(runtime_bin "$rt" "$real")" --runc-root "$T/root-$rt" \
		--cgroup "/$TAG/$rt/$id" localhost/busybox:latest "$id" sh -c 'exit 3' 2>&1) ||
		fail "ctr run: $out" || return
	for _ in $(seq 1 50); do
		t "${c[@]}" task ls 2>/dev/null | grep -q "^$id .*STOPPED" && break
		sleep 0.2
	done
	out=$(t "${c[@]}" task ls 2>&1)
	printf '%s\n' "$out" | grep -q "^$id .*STOPPED" || fail "task not stopped: $out" || return
	out=$(t "${c[@]}" task kill -s SIGKILL "$id" 2>&1)
	local killed=$out
	out=$(t "${c[@]}" task delete "$id" 2>&1) || fail "task delete: $out" || return
	out=$(t "${c[@]}" containers delete "$id" 2>&1) || fail "containers delete: $out" || return
	printf '%s\n' "$killed" | grep -q 'unknown error after kill' && fail "kill of the exited task: $killed" && return 1
	[ -z "$killed" ] || printf '%s\n' "$killed" | grep -q 'process already finished' ||
		fail "kill of the exited task: $killed"
}

s_stop_running() {
	local out t0 el
	[ -n "$MAIN" ] || fail "no container" || return
	# sleep inherits an ignored SIGTERM: the SIGKILL after 2s ends it.
	t0=$SECONDS
	out=$(cri stop --timeout 2 "$MAIN" 2>&1) || fail "stop: $out" || return
	el=$((SECONDS - t0))
	[ $el -le 15 ] || fail "stop took ${el}s" || return
	wait_state "$MAIN" CONTAINER_EXITED || return
	out=$(field "$MAIN" '{{.status.exitCode}}')
	[ "$out" = 137 ] || fail "exit code $out, want 137"
}

# A pod whose containers share the sandbox's PID namespace (what
# Kubernetes' HostNetwork=false test uses): the container sees the pause
# process as PID 1; its exit is followed by the shim's kill of every
# process left, and the pod stops and goes.
s_shared_pid() {
	local rt=$1 out cfg pod pj id
	pj=$(pod_json "$rt" spid false 0)
	pod=$(cri runp --runtime "$rt" "$pj" 2>&1) || fail "runp: $pod" || return
	cfg=$(ctr_json "$rt" spid '"command": ["sh", "-c", "cat /proc/1/cmdline | tr \"\\\\0\" \" \"; echo; echo mypid-$$"]')
	id=$(cri create "$pod" "$cfg" "$pj" 2>&1) || fail "create: $id" || return
	out=$(cri start "$id" 2>&1) || fail "start: $out" || return
	wait_state "$id" CONTAINER_EXITED || return
	out=$(cri logs "$id" 2>&1)
	printf '%s\n' "$out" | grep -q '^/bin/sleep 2147483647' || fail "PID 1 is not the pod's pause process: $out" || return
	printf '%s\n' "$out" | grep -q '^mypid-1$' && fail "the container has its own PID namespace: $out" && return 1
	rm_pod "$rt" "$pod"
}

# A bidirectional (rshared) volume in a privileged pod, as CSI node
# plugins use: mounts made on either side show on the other.
s_prop_setup() {
	local rt=$1 out cfg v=$T/vol-$1
	mkdir -p "$v"
	mount --bind "$v" "$v" && mount --make-rshared "$v" || fail "cannot make $v a shared mount" || return
	PPOD_JSON=$(pod_json "$rt" priv true)
	out=$(cri runp --runtime "$rt" "$PPOD_JSON" 2>&1) || fail "runp: $out" || return
	PPOD=$out
	cfg=$(ctr_json "$rt" prop "\"command\": [\"sleep\", \"100000\"],
  \"mounts\": [{\"container_path\": \"/vol\", \"host_path\": \"$v\", \"propagation\": 2}],
  \"linux\": {\"security_context\": {\"privileged\": true}}")
	out=$(cri create "$PPOD" "$cfg" "$PPOD_JSON" 2>&1) || fail "create: $out" || return
	PROP=$out
	out=$(cri start "$PROP" 2>&1) || fail "start: $out" || return
	wait_state "$PROP" CONTAINER_RUNNING
}

s_prop_to_host() {
	local rt=$1 out v=$T/vol-$1
	[ -n "$PROP" ] || fail "no container" || return
	out=$(cri exec --sync "$PROP" sh -c 'mkdir -p /vol/from-ctr && mount -t tmpfs from-ctr /vol/from-ctr && echo c >/vol/from-ctr/f' 2>&1) ||
		fail "mount in the container: $out" || return
	for _ in $(seq 1 20); do
		[ "$(findmnt -n -o SOURCE --mountpoint "$v/from-ctr")" = from-ctr ] && break
		sleep 0.1
	done
	[ "$(findmnt -n -o SOURCE --mountpoint "$v/from-ctr")" = from-ctr ] ||
		fail "the container's mount did not reach the host; the container's /vol: $(cri exec --sync "$PROP" grep ' /vol' /proc/self/mountinfo 2>&1); the host's: $(grep " $v" /proc/self/mountinfo)" || return
	[ "$(cat "$v/from-ctr/f" 2>&1)" = c ] || fail "$v/from-ctr/f: $(cat "$v/from-ctr/f" 2>&1)"
}

s_prop_from_host() {
	local rt=$1 out v=$T/vol-$1
	[ -n "$PROP" ] || fail "no container" || return
	mkdir -p "$v/from-host" && mount -t tmpfs from-host "$v/from-host" && echo h >"$v/from-host/f" ||
		fail "mount on the host" || return
	out=$(cri exec --sync "$PROP" sh -c 'grep -c " /vol/from-host " /proc/self/mountinfo; cat /vol/from-host/f' 2>&1)
	[ "$out" = "$(printf '1\nh')" ] ||
		fail "the host's mount did not reach the container: $out; its /vol: $(cri exec --sync "$PROP" grep ' /vol' /proc/self/mountinfo 2>&1)"
}

# rm_pod RT ID: stop and remove a pod, then check nothing is left of it
# in the runtime's state or the cgroups.
rm_pod() {
	local rt=$1 id=$2 out left
	out=$(cri stopp "$id" 2>&1) || fail "stopp: $out" || return
	out=$(podfield "$id" '{{.status.state}}')
	[ "$out" = SANDBOX_NOTREADY ] || fail "pod state after stopp: $out" || return
	out=$(cri rmp "$id" 2>&1) || fail "rmp: $out" || return
	out=$(cri pods -q 2>&1)
	printf '%s\n' "$out" | grep -q "^$id" && fail "pod still listed after rmp" && return 1
	[ -z "$(state_dir "$rt" "$id")" ] || fail "runtime state of the sandbox $id left"
}

s_rm_pods() {
	local rt=$1 left
	[ -n "$POD" ] || fail "no pod" || return
	rm_pod "$rt" "$POD" || return
	if [ -n "$PPOD" ]; then
		umount -R "$T/vol-$rt/from-host" 2>/dev/null
		rm_pod "$rt" "$PPOD" || return
	fi
	left=$(find "$T/root-$rt" -name state.json 2>/dev/null)
	[ -z "$left" ] || fail "runtime state left: $left" || return
	# Every cgroup the runtime made for the pods' containers is gone.
	left=$(find /sys/fs/cgroup/*/"$TAG/$rt" -mindepth 1 -type d 2>/dev/null | head -n 5)
	[ -z "$left" ] || fail "cgroups left: $left"
}

run_steps() {
	local rt=$1
	POD= POD_JSON= MAIN= ATT= PPOD= PPOD_JSON= PROP=
	step "$rt" runp s_runp "$rt"
	step "$rt" create-start s_create_start "$rt"
	step "$rt" exec-sync s_exec_sync
	step "$rt" exec-stream s_exec_stream
	step "$rt" exec-tty s_exec_tty
	step "$rt" attach s_attach "$rt"
	step "$rt" logs s_logs
	step "$rt" stop-exited s_stop_exited "$rt"
	step "$rt" stop-running s_stop_running
	step "$rt" kill-exited-task s_kill_exited_task "$rt"
	step "$rt" shared-pid-pod s_shared_pid "$rt"
	step "$rt" rshared-volume s_prop_setup "$rt"
	step "$rt" rshared-to-host s_prop_to_host "$rt"
	step "$rt" rshared-from-host s_prop_from_host "$rt"
	step "$rt" stop-rm-pods s_rm_pods "$rt"
}

# ---------------------------------------------------------------- main

if ! setup; then
	echo "FAIL all setup: containerd's CRI did not come up (see above)"
	exit 1
fi
note "containerd's CRI up in ${SECONDS}s"
for rt in "${RUNTIMES[@]}"; do
	t0=$SECONDS
	run_steps "$rt"
	note "$rt: steps took $((SECONDS - t0))s"
done
kill -TERM "$CONTAINERD" 2>/dev/null
for _ in $(seq 1 40); do kill -0 "$CONTAINERD" 2>/dev/null || break; sleep 0.25; done

rc=0
for rt in "${RUNTIMES[@]}"; do
	echo "cri $rt: ${PASSED[$rt]:-0} passed, ${FAILED[$rt]:-0} failed"
	[ "${FAILED[$rt]:-0}" -eq 0 ] || rc=1
done
n=${#RUNTIMES[@]}
for s in "${STEPS[@]::${#STEPS[@]}/n}"; do
	[ "${RESULT[sprout/$s]}" = fail ] && [ "${RESULT[runc/$s]}" = ok ] &&
		echo "sprout fails where runc passes: $s"
done
exit $rc
