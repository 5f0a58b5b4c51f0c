#!/bin/bash
# Runs runc's own integration suite (its bats files, from the runc v1.1.5
# source the Go module proxy serves) with a given binary as the runtime
# under test, each test alone in private mount and PID namespaces with a
# timeout, and prints pass/fail/skip counts and the failing tests.
#
# usage: tests/runc-bats/run.sh [-o OUTDIR] RUNTIME_PATH [FILE.bats ...]
#
# What it builds is kept in tests/runc-bats/cache (gitignored): the source,
# its helper binaries, the busybox image (Debian's dynamically linked
# busybox, hard-linked applets, as the suite's upstream image has) and the
# Debian image (debootstrap from the apt archive).
set -uo pipefail

usage() {
	echo "usage: $0 [-o OUTDIR] RUNTIME_PATH [FILE.bats ...]" >&2
	exit 2
}

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNC_VERSION=v1.1.5
CACHE=$HERE/cache
# A test running longer (a runtime hung on a lock) is killed. bats's own
# BATS_TEST_TIMEOUT cannot do it: its watchdog is a background job of the
# test's shell, which the tests that `wait` for their own jobs then wait
# for.
TEST_TIMEOUT=${RUNC_BATS_TEST_TIMEOUT:-180}
OUT=
while [ $# -gt 0 ]; do
	case "$1" in
	-o) OUT=$2; shift ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] || usage
RUNTIME=$(readlink -f "$1") || usage
shift
[ -x "$RUNTIME" ] || { echo "$RUNTIME: not an executable" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root" >&2; exit 2; }
# The suite's cgroups and containers have fixed names: one run at a time.
exec 9>/run/lock/sprout-runc-bats.lock
flock -w 7200 9 || { echo "$0: another run holds /run/lock/sprout-runc-bats.lock" >&2; exit 1; }
. "$REPO/tests/lib/cgroups.sh"
GO=$(command -v go || echo /usr/local/go/bin/go)
export PATH=$PATH:$(dirname "$GO")
# checkpoint.bats runs `criu` from PATH: the one make checkpoint builds
# (tests/criu/build.sh) works on this kernel, bookworm's 3.17 does not.
[ -x "$REPO/.build/criu/criu" ] && export PATH=$REPO/.build/criu:$PATH

note() { echo "# $*" >&2; }

timeout 900 bash "$REPO/tests/install-deps.sh" bats jq gawk gcc debootstrap iproute2 util-linux \
	libseccomp-dev pkg-config xz-utils ||
	{ echo "installing the suite's packages failed" >&2; exit 1; }

# ---------------------------------------------------------------- source

SRC=$CACHE/runc-$RUNC_VERSION
if [ ! -f "$SRC/.complete" ]; then
	note "fetching runc $RUNC_VERSION's source"
	dir=$(cd /tmp && GOFLAGS=-mod=mod timeout 600 "$GO" mod download -json \
		"github.com/opencontainers/runc@$RUNC_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[ -d "$dir/tests/integration" ] || { echo "go mod download gave no source" >&2; exit 1; }
	rm -rf "$SRC"
	mkdir -p "$CACHE"
	cp -a "$dir" "$SRC" && chmod -R u+w "$SRC" || exit 1
	# Module zips keep no file modes: the suite's scripts must be executable.
	find "$SRC" -name '*.sh' -exec chmod a+x {} + || exit 1
	# The helper binaries the suite runs; module zips carry no vendor tree,
	# so their dependencies come from the proxy, pinned by the go.sum.
	for h in recvtty sd-helper seccompagent; do
		(cd "$SRC" && GOFLAGS=-mod=mod CGO_ENABLED=1 timeout 900 "$GO" build -tags seccomp \
			-o "contrib/cmd/$h/$h" "./contrib/cmd/$h") || { echo "building $h failed" >&2; exit 1; }
	done
	touch "$SRC/.complete"
fi
TESTS=$SRC/tests/integration

# ---------------------------------------------------------------- images
# get-images.sh downloads only what is missing from testdata; both images
# are put there first, built offline. The names say .tar.xz as the suite
# wants; tar finds the compression from the content.

BUSYBOX_TAR=$TESTS/testdata/busybox-amd64.tar.xz
if [ ! -s "$BUSYBOX_TAR" ]; then
	note "building the busybox image"
	w=$(mktemp -d /tmp/sprout-bats-bb.XXXXXX)
	(
		set -e
		cd "$w"
		# Downloaded, not installed: it conflicts with busybox-static.
		apt-get download busybox >/dev/null 2>&1 || { apt-get update -qq && apt-get download busybox; }
		dpkg-deb -x busybox_*.deb pkg
		r=$w/rootfs
		# No /proc or /sys, as upstream's image: tests replace them by symlinks.
		mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,home,root,tmp,var/spool/mail,var/www,dev}
		cp pkg/bin/busybox "$r/bin/busybox"
		for a in $("$r/bin/busybox" --list-full); do
			[ -e "$r/$a" ] || ln "$r/bin/busybox" "$r/$a"
		done
		for l in $(ldd "$r/bin/busybox" | grep -o '/[^ ]*'); do
			mkdir -p "$r$(dirname "$l")"
			cp -L "$l" "$r$l"
		done
		cat >"$r/etc/passwd" <<-'EOF'
			root:x:0:0:root:/root:/bin/sh
			daemon:x:1:1:daemon:/usr/sbin:/bin/false
			bin:x:2:2:bin:/bin:/bin/false
			sys:x:3:3:sys:/dev:/bin/false
			sync:x:4:100:sync:/bin:/bin/sync
			mail:x:8:8:mail:/var/spool/mail:/bin/false
			www-data:x:33:33:www-data:/var/www:/bin/false
			operator:x:37:37:Operator:/var:/bin/false
			nobody:x:65534:65534:nobody:/home:/bin/false
		EOF
		cat >"$r/etc/group" <<-'EOF'
			root:x:0:
			daemon:x:1:
			bin:x:2:
			sys:x:3:
			adm:x:4:
			tty:x:5:
			disk:x:6:
			wheel:x:10:root
			mail:x:12:
			www-data:x:33:
			users:x:100:
			nogroup:x:65534:
		EOF
		chmod 1777 "$r/tmp"
		tar -C "$r" -cJf "$BUSYBOX_TAR.tmp" .
		mv "$BUSYBOX_TAR.tmp" "$BUSYBOX_TAR"
	) || { echo "building the busybox image failed" >&2; rm -rf "$w"; exit 1; }
	rm -rf "$w"
fi

DEBIAN_TAR=$TESTS/testdata/debian-amd64.tar.xz
if [ ! -s "$DEBIAN_TAR" ]; then
	note "building the Debian image with debootstrap (a few minutes, once)"
	w=$(mktemp -d /tmp/sprout-bats-deb.XXXXXX)
	mirror=$(awk '/^URIs:/ { print $2; exit } /^deb / { print $2; exit }' /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list 2>/dev/null)
	if timeout 1800 debootstrap --variant=minbase bookworm "$w/rootfs" "${mirror:-http://deb.debian.org/debian}" >"$w/log" 2>&1; then
		tar -C "$w/rootfs" --exclude './dev/*' --exclude './proc/*' --exclude './sys/*' -czf "$DEBIAN_TAR.tmp" . &&
			mv "$DEBIAN_TAR.tmp" "$DEBIAN_TAR"
	else
		note "debootstrap failed (hooks.bats will fail): $(tail -n 3 "$w/log")"
	fi
	rm -rf "$w"
fi

# ---------------------------------------------------------------- run

FILES=("$@")
if [ ${#FILES[@]} -eq 0 ]; then
	for f in "$TESTS"/*.bats; do FILES+=("$(basename "$f")"); done
fi
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/sprout-bats-out.XXXXXX)
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
W=$(mktemp -d /tmp/sprout-bats.XXXXXX)
# The userns tests' mapped root must reach the bundles under it.
chmod 755 "$W"

# The suite's cgroups: its parent for set_cgroups_path, and containers
# without a cgroupsPath get /<id>, all named test_*. Only those that did
# not exist before are removed.
cgroups_now() {
	local d
	for d in /sys/fs/cgroup/*/runc-cgroups-integration-test /sys/fs/cgroup/*/test[_-]* \
		/sys/fs/cgroup/unified/runc-cgroups-integration-test /sys/fs/cgroup/unified/test[_-]*; do
		[ -d "$d" ] && echo "/${d#/sys/fs/cgroup/*/}"
	done | sort -u
}
cgroups_now >"$W/cgroups-before"

thaw_new_cgroups() {
	local c f
	for c in $(comm -13 "$W/cgroups-before" <(cgroups_now)); do
		find "/sys/fs/cgroup/freezer$c" -name freezer.state 2>/dev/null |
			while read -r f; do echo THAWED >"$f" 2>/dev/null; done
	done
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "${RUNNING:-}" ] && kill -9 "$RUNNING" 2>/dev/null
	CGROUP_PARENTS=()
	while read -r c; do CGROUP_PARENTS+=("$c"); done < <(comm -13 "$W/cgroups-before" <(cgroups_now))
	LEAKS=
	remove_cgroups
	[ -n "$LEAKS" ] && note "left behind:$LEAKS"
	rm -rf --one-file-system "$W"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASS=0 FAIL=0 SKIP=0
FAILED_TESTS=()

# run_test FILE NAME N: runs one test alone and appends its TAP line,
# renumbered N, and its diagnostics to $OUT/FILE.tap.
run_test() {
	local f=$1 t=$2 n=$3 name=${1%.bats} re raw=$W/raw rc
	re=$(printf '%s' "$t" | sed 's/[][\\.*^$(){}+?|/]/\\&/g')
	mkdir -p "$W/tmp"
	# A new PID namespace ends every process the test left when its first
	# process ends, and unshare --kill-child ends that one with unshare,
	# whatever kills it; a new mount namespace drops the mounts.
	# bats runs from the source's directory and, as in upstream's CI, on a
	# terminal (script): the tests of `run` with a terminal need one.
	# The namespace's first process is a shell that reaps what is orphaned
	# to it (a detached container's init, as the host's init would):
	# an unreaped zombie still looks alive to `kill -0` and `tail --pid`.
	unshare --mount --pid --fork --mount-proc --propagation private --kill-child=SIGKILL \
		env -C "$TESTS" TMPDIR="$W/tmp" RUNC="$RUNTIME" bash -c '"$@" & wait $!' reaper \
		timeout -k 10 "$TEST_TIMEOUT" script -qefc "bats --tap -f $(printf '%q' "^$re\$") $f 2>>$OUT/$name.stderr" /dev/null \
		</dev/null >"$raw" 9>&- &
	RUNNING=$!
	# A task frozen in a cgroup v1 freezer cannot die, so neither can the
	# PID namespace it is in: past the timeout, thaw the suite's cgroups.
	local end=$((SECONDS + TEST_TIMEOUT + 15))
	while kill -0 "$RUNNING" 2>/dev/null; do
		[ $SECONDS -ge $end ] && thaw_new_cgroups
		sleep 0.2
	done
	wait "$RUNNING"
	rc=$?
	RUNNING=
	if grep -qE '^(not )?ok 1 ' <(tr -d '\r' <"$raw"); then
		tr -d '\r' <"$raw" | grep -v '^1\.\.' | sed -E "s/^(not )?ok 1 /\1ok $n /" >>"$OUT/$name.tap"
	else
		{
			echo "not ok $n $t"
			echo "# no result (exit status $rc): timed out after ${TEST_TIMEOUT}s or did not run"
			tr -d '\r' <"$raw" | sed 's/^/# /'
		} >>"$OUT/$name.tap"
	fi
	rm -rf --one-file-system "$W/tmp" "$raw"
	# What a hung test left: its cgroups (the processes died with the
	# namespace; a frozen one is thawed first).
	CGROUP_PARENTS=()
	while read -r c; do CGROUP_PARENTS+=("$c"); done < <(comm -13 "$W/cgroups-before" <(cgroups_now))
	LEAKS=
	remove_cgroups
	[ -n "$LEAKS" ] && note "$name: $t: left behind:$LEAKS"
}

for f in "${FILES[@]}"; do
	name=${f%.bats}
	tap=$OUT/$name.tap
	: >"$tap"
	: >"$OUT/$name.stderr"
	n=0
	# Each test alone: a hung one costs its own timeout, not the file's rest.
	while IFS= read -r t; do
		n=$((n + 1))
		run_test "$f" "$t" $n
	done < <(sed -n 's/^@test "\(.*\)" {$/\1/p' "$TESTS/$f")
	p=$(grep -E '^ok ' "$tap" | grep -cv ' # skip')
	s=$(grep -E '^ok ' "$tap" | grep -c ' # skip')
	fl=$(grep -cE '^not ok ' "$tap")
	PASS=$((PASS + p)) SKIP=$((SKIP + s)) FAIL=$((FAIL + fl))
	while read -r line; do
		FAILED_TESTS+=("$name: $line")
	done < <(grep -E '^not ok ' "$tap" | sed -E 's/^not ok [0-9]+ //; s/ in [0-9]+ms$//')
	echo "$name: $p passed, $fl failed, $s skipped"
done

echo
echo "runc bats ($RUNC_VERSION) with $RUNTIME: $PASS passed, $FAIL failed, $SKIP skipped (TAP in $OUT)"
if [ ${#FAILED_TESTS[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${FAILED_TESTS[@]}"
fi
[ $FAIL -eq 0 ]
