#!/bin/bash
# The CRI tier: containerd's CRI plugin, driven by crictl as the kubelet
# would drive it, runs the same pod and container steps on sprout and on
# runc side by side (tests/cri/steps.sh, README.md there).
#
# Everything runs in private mount, network, IPC, UTS and PID namespaces:
# containerd 1.6 hard-codes its shim sockets under /run/containerd and
# libcni its cache under /var/lib/cni, so both get a tmpfs there; the CNI
# bridge and the pods' addresses live in the private network namespace;
# when the namespace's first process ends, the kernel kills every process
# left in it (daemon, shims, containers); until then that process, a
# shell, reaps what is orphaned to it (shims that have exited). What is left on the host are
# the cgroups, under one parent named for this run, removed here.
#
# usage: tests/cri/run.sh [--trace] SPROUT_PATH [RUNC_PATH]
set -uo pipefail

usage() {
	echo "usage: $0 [--trace] SPROUT_PATH [RUNC_PATH]" >&2
	exit 2
}

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CRICTL_VERSION=v1.34.0
TRACE=0
while [ $# -gt 0 ]; do
	case "$1" in
	--trace) TRACE=1 ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] && [ $# -le 2 ] || usage
SPROUT=$(readlink -f "$1") || usage
RUNC=$(readlink -f "${2:-/usr/sbin/runc}") || usage
for b in "$SPROUT" "$RUNC"; do
	[ -x "$b" ] || { echo "$b: not an executable" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root" >&2; exit 2; }
. "$REPO/tests/lib/rootfs.sh"
. "$REPO/tests/lib/cgroups.sh"

note() { echo "# $*" >&2; }

timeout 900 bash "$REPO/tests/install-deps.sh" containerd umoci containernetworking-plugins \
	busybox-static util-linux bsdutils iproute2 runc ||
	{ echo "installing the CRI tier's packages failed" >&2; exit 1; }

# crictl is built once from the Go module proxy and kept (gitignored).
CRICTL=$HERE/bin/crictl
# go install records no version in the binary: a stamp file does.
if [ ! -x "$CRICTL" ] || [ "$(cat "$CRICTL.version" 2>/dev/null)" != "$CRICTL_VERSION" ]; then
	GO=$(command -v go || echo /usr/local/go/bin/go)
	note "building crictl $CRICTL_VERSION"
	mkdir -p "$HERE/bin"
	(cd "$HERE/bin" && GOBIN="$HERE/bin" GOFLAGS=-mod=mod timeout 900 "$GO" install \
		"sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION") ||
		{ echo "building crictl failed" >&2; exit 1; }
	echo "$CRICTL_VERSION" >"$CRICTL.version"
fi

T=$(mktemp -d /tmp/sprout-cri.XXXXXX)
# One tag names the cgroup parent of every pod this run makes.
TAG=sc$(basename "$T" | cut -d. -f2 | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9')
CGROUP_PARENTS=("/$TAG")
LEAKS=
INNER=

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	# unshare --kill-child ends the namespace's first process with it.
	[ -n "$INNER" ] && kill -9 "$INNER" 2>/dev/null && wait "$INNER" 2>/dev/null
	remove_cgroups
	if awk -v p="$T/" 'index($5, p) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
		note "cleanup: mounts remain on the host under $T, keeping it"
	else
		rm -rf --one-file-system "$T"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_busybox_rootfs "$T/rootfs"
mkdir -p "$T/image"
out=$(oci_image_tar "$T/rootfs" "$T/image" "$T/busybox-oci.tar" latest \
	pause=/bin/sleep,2147483647 2>&1) || { note "image: $out"; exit 1; }
rm -rf "$T/image" "$T/rootfs"

# Paths containerd and CNI use by default: none may appear on the host.
HOST_PATHS=(/run/containerd /var/lib/containerd /var/lib/cni /run/netns /var/run/netns)
for p in "${HOST_PATHS[@]}"; do [ -e "$p" ] && echo "$p"; done >"$T/host-before"
[ $TRACE -eq 1 ] && mkdir -p "$T/trace"
unshare --mount --net --ipc --uts --pid --fork --mount-proc --propagation private --kill-child=SIGKILL \
	env T="$T" TAG="$TAG" SPROUT="$SPROUT" RUNC="$RUNC" CRICTL="$CRICTL" TRACE="$TRACE" \
	bash -c '"$@" & wait $!' reaper timeout -k 10 "${CRI_TIMEOUT:-600}" bash "$HERE/steps.sh" &
INNER=$!
wait "$INNER"
rc=$?
INNER=
[ $TRACE -eq 1 ] && { rm -rf /tmp/sprout-cri-trace; cp -a "$T/trace" /tmp/sprout-cri-trace && note "runtime calls traced in /tmp/sprout-cri-trace"; }

remove_cgroups
# Nothing the namespaces made may reach the host.
leftover=$(awk -v p="$T/" 'index($5, p) == 1 { printf " %s", $5 }' /proc/self/mountinfo)
[ -n "$leftover" ] && LEAKS="$LEAKS mounts:$leftover"
for p in "${HOST_PATHS[@]}"; do
	[ -e "$p" ] && ! grep -qx "$p" "$T/host-before" && LEAKS="$LEAKS host:$p"
done
if [ -n "$LEAKS" ]; then
	echo "FAIL all host-untouched: left behind:$LEAKS"
	rc=1
else
	echo "ok all host-untouched"
fi
note "took ${SECONDS}s"
exit $rc
