#!/bin/bash
# Runs the same container scenarios through Podman, containerd (ctr) and
# Docker with a given OCI runtime, each daemon started here with a private
# root, state and sockets under one temporary directory, and removed again
# whatever happens.
#
# usage: tests/engines/run.sh [--also-runc] [--trace] RUNTIME_PATH [podman|podman-rootless|containerd|docker ...]
set -uo pipefail

usage() {
	echo "usage: $0 [--also-runc] [--trace] RUNTIME_PATH [podman|podman-rootless|containerd|docker ...]" >&2
	exit 2
}

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNC=/usr/sbin/runc
STEP=${ENGINES_STEP_TIMEOUT:-60}
ALSO_RUNC=0
TRACE=0
while [ $# -gt 0 ]; do
	case "$1" in
	--also-runc) ALSO_RUNC=1 ;;
	--trace) TRACE=1 ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] || usage
RUNTIME=$(readlink -f "$1") || usage
shift
[ -x "$RUNTIME" ] || { echo "$RUNTIME: not an executable" >&2; exit 2; }
ENGINES=("$@")
[ ${#ENGINES[@]} -gt 0 ] || ENGINES=(podman podman-rootless containerd docker)
for e in "${ENGINES[@]}"; do
	case "$e" in podman | podman-rootless | containerd | docker) ;; *) echo "unknown engine: $e" >&2; usage ;; esac
done
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root" >&2; exit 2; }
. "$REPO/tests/lib/rootfs.sh"
. "$REPO/tests/lib/cgroups.sh"
. "$REPO/tests/lib/trace.sh"
. "$HERE/checkpoint.sh"

PKGS=(busybox-static util-linux bsdutils)
for e in "${ENGINES[@]}"; do
	case "$e" in
	podman) PKGS+=(podman conmon catatonit) ;;
	podman-rootless) PKGS+=(podman conmon catatonit uidmap passwd) ;;
	containerd) PKGS+=(containerd umoci) ;;
	docker) PKGS+=(containerd docker.io) ;;
	esac
done
[ $ALSO_RUNC -eq 1 ] && PKGS+=(runc)
timeout 900 bash "$REPO/tests/install-deps.sh" "${PKGS[@]}" || { echo "installing ${PKGS[*]} failed" >&2; exit 1; }

T=$(mktemp -d /tmp/sprout-engines.XXXXXX)
# One tag names every cgroup parent, containerd namespace and container
# this run creates, so cleanup removes exactly those.
TAG=se$(basename "$T" | cut -d. -f2 | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9')
TRACEDIR=
[ $TRACE -eq 1 ] && TRACEDIR=$(mktemp -d /tmp/sprout-engines-trace.XXXXXX)
DAEMON_PIDS=()
CGROUP_PARENTS=()
STATE_DIRS=()
PODMAN_UP=0
RL_USER=
LEAKS=
PASSED=0
FAILED=0

note() { echo "# $*" >&2; }

# t bounds one step in time.
t() { timeout -k 5 "$STEP" "$@"; }

# ---------------------------------------------------------------- cleanup

# shim_socket CMDLINE: the socket a containerd 1.6 shim listens on, which
# is named after the sha256 of its containerd address, namespace and id.
shim_socket() {
	local ns='' id='' addr='' prev='' a
	for a in $1; do
		case "$prev" in -namespace) ns=$a ;; -id) id=$a ;; -address) addr=$a ;; esac
		prev=$a
	done
	[ -n "$addr" ] && echo "/run/containerd/s/$(printf '%s' "$addr/$ns/$id" | sha256sum | cut -d' ' -f1)"
}

# Processes started on behalf of this run (shims, conmon, daemons' children)
# name the temp dir on their command line.
kill_tmp_procs() {
	local p cmd
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
		case "$cmd" in *"$T"*) ;; *) continue ;; esac
		kill -9 "$p" 2>/dev/null || continue
		LEAKS="$LEAKS process:$p(${cmd%% *})"
		# A killed shim leaves its socket behind.
		case "$cmd" in *containerd-shim*) rm -f "$(shim_socket "$cmd")" ;; esac
	done
}

# unmount_tmp unmounts everything under $T, deepest first.
unmount_tmp() {
	local mounts m
	for _ in 1 2 3; do
		mounts=$(awk -v p="$T/" 'index($5, p) == 1 { print length($5), $5 }' /proc/self/mountinfo |
			sort -rn | cut -d' ' -f2 | uniq)
		[ -z "$mounts" ] && return 0
		for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	done
	mounts=$(awk -v p="$T/" 'index($5, p) == 1 { printf " %s", $5 }' /proc/self/mountinfo)
	[ -n "$mounts" ] && LEAKS="$LEAKS mounts:$mounts"
}

stop_daemon() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.25
	done
	note "cleanup: daemon $pid ignored SIGTERM, killing"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# teardown removes everything the engines made; it runs before the
# summary (so leaks are reported) and again from the exit trap.
teardown() {
	local pid d c
	[ $PODMAN_UP -eq 1 ] && timeout 30 "${PODMAN[@]}" rm -af -t 0 >/dev/null 2>&1
	[ -n "$RL_USER" ] && podman_rootless_teardown
	[ $DOCKER_UP -eq 1 ] && timeout 20 "${DOCKER[@]}" ps -aq 2>/dev/null | xargs -r timeout 30 "${DOCKER[@]}" rm -f >/dev/null 2>&1
	if [ $CONTAINERD_UP -eq 1 ]; then
		for c in $(timeout 20 "${CTR[@]}" containers ls -q 2>/dev/null); do
			timeout 20 "${CTR[@]}" task kill -s SIGKILL "$c" >/dev/null 2>&1
			sleep 0.3
			timeout 10 "${CTR[@]}" task delete -f "$c" >/dev/null 2>&1
			timeout 20 "${CTR[@]}" containers delete "$c" >/dev/null 2>&1
		done
	fi
	for pid in "${DAEMON_PIDS[@]}"; do stop_daemon "$pid"; done
	remove_cgroups
	kill_tmp_procs
	sleep 0.2
	unmount_tmp
	for d in "${STATE_DIRS[@]}"; do
		[ -e "$d" ] && { LEAKS="$LEAKS runtime-state:$d"; rm -rf "$d"; }
	done
	# containerd 1.6 shims always put their sockets in /run/containerd/s.
	for d in /run/containerd/s /run/containerd/fifo /run/containerd; do
		[ -d "$d" ] && ! grep -qx "$d" "$T/host-before" && rmdir "$d" 2>/dev/null
	done
	DAEMON_PIDS=()
	PODMAN_UP=0 DOCKER_UP=0 CONTAINERD_UP=0
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	teardown
	if awk -v p="$T/" 'index($5, p) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
		note "cleanup: mounts remain, keeping $T"
	else
		rm -rf --one-file-system "$T"
	fi
	[ -n "$TRACEDIR" ] && note "runtime calls traced in $TRACEDIR"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- reporting

CUR_ENGINE=
REASON=

report() {
	local name=$1 rc=$2
	if [ "$rc" -eq 0 ]; then
		echo "ok $CUR_ENGINE $name"
		PASSED=$((PASSED + 1))
	else
		echo "FAIL $CUR_ENGINE $name: $REASON"
		FAILED=$((FAILED + 1))
	fi
}

# scenario NAME FUNC ARGS... runs FUNC, which sets REASON when it fails.
scenario() {
	local name=$1 rc
	shift
	REASON=
	"$@"
	rc=$?
	[ $rc -ne 0 ] && [ -z "$REASON" ] && REASON="exit status $rc"
	report "$name" $rc
}

fail() {
	REASON=$(printf '%s' "$*" | tr '\n\r' '  ' | cut -c1-600)
	return 1
}

# ---------------------------------------------------------------- runtimes

# runtime_bin BINARY NAME gives the path an engine is told to use for
# BINARY; with --trace it is a wrapper, logging to NAME.log every call,
# its stderr, its exit status and the tail of its --log file.
runtime_bin() {
	if [ $TRACE -eq 0 ]; then
		echo "$1"
		return
	fi
	trace_wrapper "$1" "$2" "$T/trace-bin" "$TRACEDIR"
}

# runtime_state_dir ID finds the directory holding the runtime's state.json
# for container ID, wherever the engine pointed --root.
runtime_state_dir() {
	local id=$1 f
	f=$(find "$T" /run/sprout /run/runc -maxdepth 8 -path "*/$id/state.json" 2>/dev/null | head -n1)
	[ -n "$f" ] && dirname "$f"
}

# ---------------------------------------------------------------- engines
#
# Each engine implements: e_run_rm CMD..., e_run_d NAME [MEMBYTES] CMD...,
# e_exec NAME CMD..., e_exec_tty NAME CMD..., e_pid NAME, e_status NAME
# (running|paused|exited|missing), e_pause, e_resume, e_stop NAME GRACE,
# e_exit_code NAME, e_rm NAME, e_id NAME (the ID the runtime sees),
# e_ps NAME (host PIDs the runtime reports, when the engine asks it).

# ---- podman

PODMAN=(env "CONTAINERS_CONF=$T/podman/containers.conf"
	"CONTAINERS_STORAGE_CONF=$T/podman/storage.conf"
	"CONTAINERS_REGISTRIES_CONF=$T/podman/registries.conf"
	"TMPDIR=$T/podman/tmp"
	podman --root "$T/podman/root" --runroot "$T/podman/runroot"
	--tmpdir "$T/podman/libpod-tmp" --cgroup-manager cgroupfs --events-backend file)

podman_setup() {
	local d=$T/podman
	mkdir -p "$d"/{root,runroot,tmp,libpod-tmp,net,volumes}
	cat >"$d/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
tmp_dir = "$d/libpod-tmp"
volume_path = "$d/volumes"

[network]
# netavark keeps its state in /run/containers/networks whatever the
# config says; CNI keeps it in tmp_dir.
network_backend = "cni"
network_config_dir = "$d/net"
EOF
	cat >"$d/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$d/root"
runroot = "$d/runroot"
EOF
	: >"$d/registries.conf"
	PODMAN_UP=1
	CGROUP_PARENTS+=("/$TAG-podman")
	PM=("${PODMAN[@]}")
	PM_RUN=(--pull never --cgroup-parent "/$TAG-podman")
	local out
	# Podman 4.3 keeps the blob info cache of an image copy in
	# /var/lib/containers/cache whatever its root; a private mount of an
	# empty dir over /var/lib, for the import alone, keeps it in $d.
	mkdir -p "$d/varlib"
	out=$(tar -C "$T/rootfs" -c . | t unshare -m --propagation private \
		sh -c 'mount --bind "$0" /var/lib && exec "$@"' "$d/varlib" \
		"${PODMAN[@]}" import --change 'CMD ["/bin/sh"]' - localhost/busybox:latest 2>&1) ||
		{ note "podman import: $out"; return 1; }
}

P_RT=
# One adapter serves rootful and rootless Podman, which differ only in
# the podman command and its run flags: each setup sets PM and PM_RUN.
PM=()
PM_RUN=()
pm() { t "${PM[@]}" --runtime "$P_RT" "$@"; }

podman_e_run_rm() { pm run --rm "${PM_RUN[@]}" localhost/busybox "$@"; }
podman_e_run_d() {
	local name=$1 mem=$2
	shift 2
	pm run -d --name "$name" "${PM_RUN[@]}" ${mem:+--memory "$mem"} localhost/busybox "$@"
}
podman_e_exec() { local n=$1; shift; pm exec "$n" "$@"; }
podman_e_exec_tty() {
	local n=$1
	shift
	t script -qefc "$(printf '%q ' "${PM[@]}" --runtime "$P_RT" exec -t "$n" "$@")" /dev/null </dev/null
}
podman_e_pid() { pm inspect -f '{{.State.Pid}}' "$1"; }
podman_e_status() {
	local s
	s=$(pm inspect -f '{{.State.Status}}' "$1" 2>/dev/null) || { echo missing; return; }
	case "$s" in running | paused) echo "$s" ;; exited | stopped) echo exited ;; *) echo "$s" ;; esac
}
podman_e_pause() { pm pause "$1"; }
podman_e_resume() { pm unpause "$1"; }
podman_e_stop() { pm stop -t "$2" "$1"; }
podman_e_exit_code() { EXIT_CODE=$(pm inspect -f '{{.State.ExitCode}}' "$1"); }
podman_e_rm() { pm rm "$1"; }
podman_e_id() { pm inspect -f '{{.Id}}' "$1"; }
podman_e_ps() { return 2; }

# ---- rootless podman: a user made for the run (its subordinate IDs from
# useradd), its storage in its home under $T, the runtime run as root of
# the user namespace Podman makes. It has no cgroup it may write here
# (cgroup v1, no systemd), so only the scenarios that need none run.

podman_rootless_setup() {
	local d=$T/podman-rootless out
	RL_USER=${TAG:0:24}rl
	useradd -M -d "$d/home" -s /bin/sh "$RL_USER" || { note "useradd $RL_USER failed"; RL_USER=; return 1; }
	chmod 711 "$T"
	mkdir -p "$d/home/.config/containers" "$d/xdg"
	printf '[containers]\nnetns = "none"\n\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' \
		>"$d/home/.config/containers/containers.conf"
	printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' "$d/home/storage" "$d/xdg/containers" \
		>"$d/home/.config/containers/storage.conf"
	chown -R "$RL_USER:" "$d"
	chmod 700 "$d/xdg"
	PODMAN_RL=(setpriv --reuid "$RL_USER" --regid "$RL_USER" --init-groups
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "HOME=$d/home" "XDG_RUNTIME_DIR=$d/xdg" "USER=$RL_USER" podman)
	PM=("${PODMAN_RL[@]}")
	PM_RUN=(--pull never)
	out=$(tar -C "$T/rootfs" -c . | t "${PODMAN_RL[@]}" import --change 'CMD ["/bin/sh"]' - localhost/busybox:latest 2>&1) ||
		{ note "rootless podman import: $out"; return 1; }
}

# podman_rootless_teardown ends whatever still runs as the run's user
# (conmon, containers, the user namespace's pause process), then the user.
podman_rootless_teardown() {
	local uid p
	timeout 30 "${PODMAN_RL[@]}" rm -af -t 0 >/dev/null 2>&1
	uid=$(id -u "$RL_USER" 2>/dev/null) || { RL_USER=; return; }
	for p in /proc/[0-9]*; do
		[ "$(awk '/^Uid:/ { print $2 }' "$p/status" 2>/dev/null)" = "$uid" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	sleep 0.2
	userdel "$RL_USER" 2>/dev/null || LEAKS="$LEAKS user:$RL_USER"
	RL_USER=
}

# ---- containerd (and the containerd Docker uses)

containerd_start() {
	local d=$1
	mkdir -p "$d"/{root,state,opt}
	cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$d/containerd.sock"

[ttrpc]
  address = "$d/containerd.sock.ttrpc"

[debug]
  address = "$d/debug.sock"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
EOF
	containerd --config "$d/config.toml" >"$d/containerd.log" 2>&1 &
	DAEMON_PIDS+=($!)
	for _ in $(seq 1 120); do
		ctr --address "$d/containerd.sock" version >/dev/null 2>&1 && return 0
		kill -0 "${DAEMON_PIDS[-1]}" 2>/dev/null || break
		sleep 0.25
	done
	note "containerd did not come up: $(tail -n 5 "$d/containerd.log")"
	return 1
}

C_RT=
C_NS=$TAG
CTR=(ctr --address "$T/containerd/containerd.sock" --namespace "$C_NS")
CONTAINERD_UP=0
cr() { t "${CTR[@]}" "$@"; }

containerd_setup() {
	containerd_start "$T/containerd" || return 1
	CONTAINERD_UP=1
	CGROUP_PARENTS+=("/$C_NS")
	mkdir -p "$T/containerd/runc-root" "$T/containerd/fifo"
	local out
	out=$({
		oci_image_tar "$T/rootfs" "$T" "$T/busybox-oci.tar" latest &&
			cr images import --base-name localhost/busybox "$T/busybox-oci.tar"
	} 2>&1) || { note "containerd image: $out"; return 1; }
	cr images check "name==localhost/busybox:latest" 2>&1 | grep -q complete ||
		{ note "containerd image: localhost/busybox:latest not imported: $(cr images ls 2>&1)"; return 1; }
}

ctr_run_opts() { C_RUN=(--fifo-dir "$T/containerd/fifo" --runc-binary "$C_RT" --runc-root "$T/containerd/runc-root"); }

containerd_e_run_rm() {
	local id=$TAG-rm$RANDOM
	cr run --rm "${C_RUN[@]}" --cgroup "/$C_NS/$id" localhost/busybox:latest "$id" "$@"
}
containerd_e_run_d() {
	local name=$1 mem=$2
	shift 2
	cr run -d "${C_RUN[@]}" --cgroup "/$C_NS/$name" ${mem:+--memory-limit "$mem"} \
		localhost/busybox:latest "$name" "$@"
}
# A foreground `ctr run` is the only place ctr reports a task's exit
# status, so containers that are to be stopped run under one in the
# background and its status is kept for e_exit_code.
containerd_e_run_waited() {
	local name=$1
	shift
	cr run "${C_RUN[@]}" --cgroup "/$C_NS/$name" localhost/busybox:latest "$name" "$@" \
		>/dev/null 2>"$T/containerd/$name.run.err" &
	echo $! >"$T/containerd/$name.runpid"
}
containerd_e_exec() {
	local n=$1
	shift
	cr task exec --fifo-dir "$T/containerd/fifo" --exec-id "x$RANDOM" "$n" "$@"
}
containerd_e_exec_tty() {
	local n=$1
	shift
	t script -qefc "$(printf '%q ' "${CTR[@]}" task exec --fifo-dir "$T/containerd/fifo" -t --exec-id "t$RANDOM" "$n" "$@")" /dev/null </dev/null
}
containerd_e_pid() { cr task ls 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }'; }
containerd_e_status() {
	local s
	s=$(cr task ls 2>/dev/null | awk -v n="$1" '$1 == n { print $3 }')
	case "$s" in
	RUNNING) echo running ;;
	PAUSED) echo paused ;;
	STOPPED) echo exited ;;
	"") if [ -f "$T/containerd/$1.runpid" ] || cr containers info "$1" >/dev/null 2>&1; then echo exited; else echo missing; fi ;;
	*) echo "$s" ;;
	esac
}
containerd_e_pause() { cr task pause "$1"; }
containerd_e_resume() { cr task resume "$1"; }
# ctr has no stop: send SIGTERM, give the grace period, then SIGKILL, as
# the other engines do.
containerd_e_stop() {
	local n=$1 grace=$2 end
	end=$(($(date +%s%N) + grace * 1000000000))
	cr task kill -s SIGTERM "$n" || return 1
	while [ "$(date +%s%N)" -lt $end ]; do
		[ "$(containerd_e_status "$n")" = running ] || break
		sleep 0.1
	done
	[ "$(containerd_e_status "$n")" = running ] && { cr task kill -s SIGKILL "$n" || return 1; }
	for _ in $(seq 1 100); do
		[ "$(containerd_e_status "$n")" = running ] || return 0
		sleep 0.1
	done
	echo "still running 10s after SIGKILL"
	return 1
}
containerd_e_exit_code() {
	local pidf=$T/containerd/$1.runpid
	[ -f "$pidf" ] || return 1
	wait "$(cat "$pidf")"
	EXIT_CODE=$?
	rm -f "$pidf"
}
containerd_e_rm() {
	cr task delete "$1" >/dev/null 2>&1
	cr containers delete "$1"
}
containerd_e_id() { echo "$1"; }
containerd_e_ps() { cr task ps "$1" | awk 'NR > 1 { print $1 }'; }

# ---- docker

D_RT=
DOCKER=(env "DOCKER_HOST=unix://$T/docker/docker.sock" "DOCKER_CONFIG=$T/docker/cli" /usr/bin/docker)
DOCKER_UP=0
dk() { t "${DOCKER[@]}" "$@"; }

docker_setup() {
	local d=$T/docker
	mkdir -p "$d"/{root,exec,cli}
	containerd_start "$d/containerd" || return 1
	echo '{}' >"$d/daemon.json"
	CGROUP_PARENTS+=("/$TAG-docker")
	local rt_sprout rt_runc
	rt_sprout=$(runtime_bin "$RUNTIME" sprout)
	rt_runc=$(runtime_bin "$RUNC" runc)
	# dockerd 20.10 writes its trust key to /etc/docker/key.json and its
	# plugin directory to /run/docker/plugins with no flag to move them, so
	# it runs in its own mount namespace with private dirs over /etc/docker
	# and /run (it needs nothing else from either). $d is made a shared
	# mount first so the rootfs, shm and netns mounts dockerd makes under
	# it reach the host, where the shim and the runtime need them.
	mkdir -p "$d/etc-docker" "$d/run"
	if ! mount --bind "$d" "$d" || ! mount --make-shared "$d"; then
		note "docker: cannot make $d a shared mount"
		return 1
	fi
	unshare -m --propagation unchanged sh -c '[ ! -d /etc/docker ] || mount --bind "$0/etc-docker" /etc/docker || exit 1
		mount --bind "$0/run" /run || exit 1
		exec "$@"' "$d" \
		dockerd --config-file "$d/daemon.json" --data-root "$d/root" --exec-root "$d/exec" \
		--pidfile "$d/docker.pid" -H "unix://$d/docker.sock" --containerd "$d/containerd/containerd.sock" \
		--bridge=none --iptables=false --ip-masq=false \
		--ip6tables=false --userland-proxy=false --storage-driver overlay2 \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$TAG-docker" \
		--add-runtime "sprout=$rt_sprout" --add-runtime "hostrunc=$rt_runc" >"$d/dockerd.log" 2>&1 &
	DAEMON_PIDS+=($!)
	DOCKER_UP=1
	local up=0
	for _ in $(seq 1 120); do
		dk version >/dev/null 2>&1 && { up=1; break; }
		kill -0 "${DAEMON_PIDS[-1]}" 2>/dev/null || break
		sleep 0.25
	done
	[ $up -eq 1 ] || { note "dockerd did not come up: $(tail -n 5 "$d/dockerd.log")"; return 1; }
	local out
	out=$(tar -C "$T/rootfs" -c . | dk import --change 'CMD ["/bin/sh"]' - localhost/busybox:latest 2>&1) ||
		{ note "docker import: $out"; return 1; }
}

docker_run_opts() { D_RUN=(--runtime "$D_RT" --network none); }
docker_e_run_rm() { dk run --rm "${D_RUN[@]}" localhost/busybox "$@"; }
docker_e_run_d() {
	local name=$1 mem=$2
	shift 2
	dk run -d --name "$name" "${D_RUN[@]}" ${mem:+--memory "$mem"} localhost/busybox "$@"
}
docker_e_exec() { local n=$1; shift; dk exec "$n" "$@"; }
docker_e_exec_tty() {
	local n=$1
	shift
	t script -qefc "$(printf '%q ' "${DOCKER[@]}" exec -t "$n" "$@")" /dev/null </dev/null
}
docker_e_pid() { dk inspect -f '{{.State.Pid}}' "$1"; }
docker_e_status() {
	local s
	s=$(dk inspect -f '{{.State.Status}}' "$1" 2>/dev/null) || { echo missing; return; }
	case "$s" in running | paused) echo "$s" ;; exited | dead) echo exited ;; *) echo "$s" ;; esac
}
docker_e_pause() { dk pause "$1"; }
docker_e_resume() { dk unpause "$1"; }
docker_e_stop() { dk stop -t "$2" "$1"; }
docker_e_exit_code() { EXIT_CODE=$(dk inspect -f '{{.State.ExitCode}}' "$1"); }
docker_e_rm() { dk rm "$1"; }
docker_e_id() { dk inspect -f '{{.Id}}' "$1"; }
docker_e_ps() {
	# docker top lists the PIDs containerd got from the runtime's ps.
	dk top "$1" -o pid | awk 'NR > 1 { print $1 }'
}

# ---------------------------------------------------------------- scenarios

E=
# Rootless Podman runs through the podman adapter too.
e() { local f=${E%_rootless}_e_$1; shift; "$f" "$@"; }

# cgroup_dir PID CONTROLLER: the host path of PID's cgroup for CONTROLLER.
cgroup_dir() {
	local p
	p=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
	[ -n "$p" ] && echo "/sys/fs/cgroup/$2$p"
}

wait_status() {
	local n=$1 want=$2
	for _ in $(seq 1 50); do
		[ "$(e status "$n")" = "$want" ] && return 0
		sleep 0.2
	done
	return 1
}

s_run_rm() {
	local out rc
	out=$(e run_rm sh -c 'echo hello-from-container; exit 3' 2>&1)
	rc=$?
	[ $rc -eq 3 ] || fail "want exit status 3, got $rc: $out" || return
	printf '%s' "$out" | grep -q '^hello-from-container' || fail "output: $out" || return
	out=$(e run_rm true 2>&1) || fail "true exited $?: $out"
}

s_detached() {
	local n=$1 out pid ids
	out=$(e run_d "$n" "" sleep 1000 2>&1) || fail "run -d: $out" || return
	wait_status "$n" running || fail "not running: $(e status "$n")" || return
	sleep 2
	[ "$(e status "$n")" = running ] || fail "stopped after 2s: $(e status "$n")" || return
	pid=$(e pid "$n") && [ -n "$pid" ] && [ "$pid" -gt 0 ] || fail "no pid: $pid" || return
	grep -q '^sleep' "/proc/$pid/comm" 2>/dev/null || fail "pid $pid is $(cat "/proc/$pid/comm" 2>&1), not sleep" || return
	STATE_DIRS+=("$(runtime_state_dir "$(e id "$n")")")
	ids=$(e ps "$n" 2>&1)
	case $? in
	2) ;;
	0) printf '%s\n' "$ids" | grep -qx "$pid" || fail "ps does not list $pid: $ids" ;;
	*) fail "ps: $ids" ;;
	esac
}

s_exec() {
	local n=$1 out rc
	out=$(e exec "$n" sh -c 'echo out-$((6*7)); echo err >&2; exit 4' 2>&1)
	rc=$?
	[ $rc -eq 4 ] || fail "want exit status 4, got $rc: $out" || return
	printf '%s\n' "$out" | grep -qx 'out-42' || fail "output: $out" || return
	out=$(e exec "$n" cat /proc/1/comm 2>&1) || fail "exec cat: $out" || return
	[ "$out" = sleep ] || fail "pid 1 inside is '$out', not sleep"
}

s_exec_tty() {
	local n=$1 out rc
	out=$(e exec_tty "$n" sh -c 'tty; test -t 0 && test -t 1 && echo both-tty; exit 5' 2>&1)
	rc=$?
	out=$(printf '%s' "$out" | tr -d '\r')
	[ $rc -eq 5 ] || fail "want exit status 5, got $rc: $out" || return
	# script(1) turns its stdin's EOF into a NUL the pty echoes as ^@,
	# anywhere in the output.
	printf '%s\n' "$out" | grep -aq '/dev/pts/[0-9]' || fail "tty: $out" || return
	printf '%s\n' "$out" | grep -aq 'both-tty' || fail "stdin/stdout not a tty: $out"
}

s_memory() {
	local n=$1 out pid cg lim
	out=$(e run_d "$n" 67108864 sleep 1000 2>&1) || fail "run: $out" || return
	wait_status "$n" running || fail "not running: $(e status "$n")" || return
	pid=$(e pid "$n")
	cg=$(cgroup_dir "$pid" memory) || fail "no memory cgroup for $pid" || return
	case "$cg" in /sys/fs/cgroup/memory/ | /sys/fs/cgroup/memory/process_api*) fail "container left in $cg" || return ;; esac
	lim=$(cat "$cg/memory.limit_in_bytes" 2>&1)
	[ "$lim" = 67108864 ] || fail "$cg/memory.limit_in_bytes = $lim" || return
	# ctr's default spec mounts no cgroupfs; Podman's and Docker's do.
	if [ "$E" != containerd ]; then
		out=$(e exec "$n" cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1)
		[ "$out" = 67108864 ] || fail "inside the container memory.limit_in_bytes = $out" || return
	fi
	STATE_DIRS+=("$(runtime_state_dir "$(e id "$n")")")
	e_cleanup_one "$n"
}

s_pause() {
	local n=$1 out pid fz
	pid=$(e pid "$n")
	fz=$(cgroup_dir "$pid" freezer)/freezer.state
	out=$(e pause "$n" 2>&1) || fail "pause: $out" || return
	[ "$(e status "$n")" = paused ] || fail "status after pause: $(e status "$n")" || return
	[ "$(cat "$fz")" = FROZEN ] || fail "$fz = $(cat "$fz")" || return
	out=$(e resume "$n" 2>&1) || fail "resume: $out" || return
	[ "$(e status "$n")" = running ] || fail "status after resume: $(e status "$n")" || return
	[ "$(cat "$fz")" = THAWED ] || fail "$fz = $(cat "$fz") after resume" || return
	out=$(e exec "$n" echo alive 2>&1)
	[ "$out" = alive ] || fail "exec after resume: $out"
}

# stop_case NAME GRACE WANT_CODE MIN MAX CMD...: stopping must take between
# MIN and MAX seconds and leave exit status WANT_CODE.
stop_case() {
	local n=$1 grace=$2 want=$3 min=$4 max=$5 out t0 el
	shift 5
	if [ "$E" = containerd ]; then
		containerd_e_run_waited "$n" "$@"
	else
		out=$(e run_d "$n" "" "$@" 2>&1) || fail "run: $out" || return
	fi
	wait_status "$n" running || fail "not running: $(e status "$n")" || return
	# Give the shell time to install its trap.
	sleep 1
	STATE_DIRS+=("$(runtime_state_dir "$(e id "$n")")")
	t0=$(date +%s.%N)
	out=$(e stop "$n" "$grace" 2>&1) || fail "stop: $out" || return
	el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	[ "$(e status "$n")" = exited ] || fail "status after stop: $(e status "$n")" || return
	EXIT_CODE=
	e exit_code "$n"
	[ "$EXIT_CODE" = "$want" ] || fail "exit status $EXIT_CODE, want $want" || return
	awk -v e="$el" -v a="$min" -v b="$max" 'BEGIN { exit !(e >= a && e <= b) }' || fail "stop took ${el}s, want ${min}-${max}s" || return
}

s_stop_term() {
	# The trap makes SIGTERM end it well inside the grace period.
	stop_case "$1" 10 0 0 5 sh -c 'trap "exit 0" TERM; while true; do sleep 0.2; done'
}

s_stop_kill() {
	# PID 1 without a handler ignores SIGTERM: only the SIGKILL after the
	# grace period ends it.
	stop_case "$1" 2 137 1.9 10 sleep 1000
}

s_rm() {
	local n out id sd
	for n in "$@"; do
		id=$(e id "$n")
		sd=$(runtime_state_dir "$id")
		out=$(e rm "$n" 2>&1) || fail "rm $n: $out" || return
		[ "$(e status "$n")" = missing ] || fail "$n still listed after rm" || return
		[ -z "$sd" ] || [ ! -e "$sd" ] || fail "runtime state $sd left after rm" || return
		out=$(runtime_state_dir "$id")
		[ -z "$out" ] || fail "runtime state $out left after rm" || return
	done
}

# e_cleanup_one removes a container whatever its state; what is left
# over is found by teardown and reported by host-untouched.
e_cleanup_one() {
	local n=$1
	case "$E" in
	podman | podman_rootless) STEP=30 pm rm -f -t 0 "$n" ;;
	docker) STEP=30 dk rm -f "$n" ;;
	containerd)
		STEP=10 cr task kill -s SIGKILL "$n"
		sleep 0.5
		STEP=10 cr task delete -f "$n"
		STEP=10 cr containers delete "$n"
		;;
	esac >/dev/null 2>&1
	return 0
}

run_scenarios() {
	local label=$1 p=$TAG-$2
	CUR_ENGINE=$label
	scenario run-rm s_run_rm
	scenario detached s_detached "$p-d"
	scenario exec s_exec "$p-d"
	scenario exec-tty s_exec_tty "$p-d"
	# A rootless engine has no cgroup to freeze or limit on this host.
	if [ "$E" != podman_rootless ]; then
		scenario pause-resume s_pause "$p-d"
		scenario memory s_memory "$p-m"
	fi
	[ "$E" = podman ] && scenario checkpoint-restore s_checkpoint "$p-cr"
	scenario stop-term s_stop_term "$p-st"
	scenario stop-kill s_stop_kill "$p-sk"
	e stop "$p-d" 1 >/dev/null 2>&1
	[ "$E" = containerd ] && sleep 0.5
	scenario rm s_rm "$p-d" "$p-st" "$p-sk"
	local n
	for n in "$p-d" "$p-m" "$p-st" "$p-sk" "$p-cr"; do e_cleanup_one "$n"; done
}

# ---------------------------------------------------------------- main

# Host paths the engines would use by default: none may appear.
HOST_PATHS=(/var/lib/containers /run/containers /etc/containers/networks /var/lib/containerd
	/run/containerd /opt/containerd /var/lib/docker /run/docker /etc/docker/key.json /run/libpod
	/var/run/docker.sock /var/lib/cni)
for p in "${HOST_PATHS[@]}"; do [ -e "$p" ] && echo "$p"; done >"$T/host-before"
host_untouched() {
	local p new=
	for p in "${HOST_PATHS[@]}"; do
		[ -e "$p" ] && ! grep -qx "$p" "$T/host-before" && new="$new $p"
	done
	[ -z "$new$LEAKS" ] || fail "created on the host:$new; left behind:$LEAKS"
}

build_busybox_rootfs "$T/rootfs"
RUNTIMES=(sprout)
[ $ALSO_RUNC -eq 1 ] && RUNTIMES+=(runc)
for E in "${ENGINES[@]}"; do
	t0=$SECONDS
	E=${E//-/_}
	if ! "${E}_setup"; then
		CUR_ENGINE=$E
		REASON="could not start $E (see messages above)"
		report setup 1
		continue
	fi
	[ "$E" = podman ] && checkpoint_setup
	note "$E up in $((SECONDS - t0))s"
	for r in "${RUNTIMES[@]}"; do
		if [ "$r" = sprout ]; then bin=$RUNTIME; label=$E; else bin=$RUNC; label="$E(runc)"; fi
		P_RT=$(runtime_bin "$bin" "$r")
		C_RT=$P_RT
		ctr_run_opts
		D_RT=hostrunc
		[ "$r" = sprout ] && D_RT=sprout
		docker_run_opts
		t0=$SECONDS
		run_scenarios "$label" "$r"
		note "$label scenarios took $((SECONDS - t0))s"
	done
done

teardown
CUR_ENGINE=all
scenario host-untouched host_untouched
note "took ${SECONDS}s"
echo "engines: $PASSED passed, $FAILED failed"
[ $FAILED -eq 0 ]
