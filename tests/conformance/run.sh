#!/usr/bin/env bash
# Runs the OCI runtime-tools v0.9.0 validation suite against each runtime
# given (default: the repository's ./sprout and /usr/sbin/runc) and compares
# the first, the runtime under test, with the second, the reference.
# See README.md for what is judged and how.
#
#   bash tests/conformance/run.sh [RUNTIME...]
#
# Environment: CONFORMANCE_ONLY=prog1,prog2 runs a subset,
# CONFORMANCE_TIMEOUT (seconds, default 120) bounds each program,
# CONFORMANCE_LOGS (default tests/conformance/logs) receives the logs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$here/bin
name=sprout-conformance

die() {
	echo "conformance: $*" >&2
	exit 2
}

# Runs one program in cgroups of its own, then clears whatever it left in
# them. Its exit status goes to PROG.rc; timeout(1) makes it 124, or 137
# when the program outlived SIGTERM by 10 seconds.
run_program() {
	local rt=$1 prog=$2 out=$3 cg=$4 d
	while IFS= read -r d; do
		make_cgroup "$d/$cg"
	done <"$work/cgroups"
	set +e
	(
		set -e
		while IFS= read -r d; do
			echo "$BASHPID" >"$d/$cg/cgroup.procs"
		done <"$work/cgroups"
		cd "$work"
		RUNTIME=$rt TMPDIR=$work/tmp exec timeout -k 10 "$timeout_s" "$bin/$prog"
	) >"$out.tap" 2>"$out.err" </dev/null
	echo $? >"$out.rc"
	set -e
	local -a trees=()
	while IFS= read -r d; do
		trees+=("$d/$cg")
	done <"$work/cgroups"
	while IFS= read -r d; do
		trees+=("$d/cgrouptest" "$d/testdir")
	done <"$work/hierarchies"
	sweep_cgroups "${trees[@]}" >>"$out.err"
}

# The cpuset controller refuses tasks in a cgroup that has no CPUs or
# memory nodes of its own.
make_cgroup() {
	mkdir "$1"
	if [[ -f $1/cpuset.cpus ]]; then
		cat "$1/../cpuset.cpus" >"$1/cpuset.cpus"
		cat "$1/../cpuset.mems" >"$1/cpuset.mems"
	fi
}

# Kills every process left in the given cgroups and below, then removes
# them. Only cgroups this run created are passed: its own, and the suite's
# fixed names, which were checked absent before the run.
sweep_cgroups() {
	local top d pids pid
	local -A killed=()
	# A frozen process cannot die, and a cgroup is frozen by its ancestors,
	# hence the separate top-down pass.
	for top in "$@"; do
		[[ -d $top ]] || continue
		while IFS= read -r d; do
			if [[ -f $d/freezer.state ]]; then
				echo THAWED >"$d/freezer.state" || true
			fi
		done < <(find "$top" -type d)
	done
	for top in "$@"; do
		[[ -d $top ]] || continue
		while IFS= read -r d; do
			for _ in $(seq 100); do
				pids=$(cat "$d/cgroup.procs" 2>/dev/null) || break
				[[ -n $pids ]] || break
				for pid in $pids; do
					killed[$pid]=1
					kill -KILL "$pid" 2>/dev/null || true
				done
				sleep 0.1
			done
			rmdir "$d" || echo "conformance harness: cannot remove cgroup $d"
		done < <(find "$top" -depth -type d)
	done
	if ((${#killed[@]} > 0)); then
		echo "conformance harness: killed ${#killed[@]} leftover process(es): ${!killed[*]}"
	fi
}

# Prints, for each mounted cgroup hierarchy, its mount point and the
# directory of this process's cgroup in it.
cgroup_hierarchies() {
	awk '
	FNR == NR {
		# /proc/self/cgroup: ID:CONTROLLERS:PATH, no controllers for cgroup2.
		split($0, f, ":")
		path = substr($0, length(f[1]) + length(f[2]) + 3)
		if (f[2] == "") { v2 = path; next }
		n = split(f[2], c, ",")
		for (i = 1; i <= n; i++) v1[c[i]] = path
		next
	}
	{
		sep = index($0, " - ")
		split(substr($0, sep + 3), post, " ")
		if (post[1] != "cgroup" && post[1] != "cgroup2") next
		if (seen[$3]++) next
		path = ""
		if (post[1] == "cgroup2") path = v2
		else {
			n = split(post[3], o, ",")
			for (i = 1; i <= n; i++) if (o[i] in v1) { path = v1[o[i]]; break }
		}
		if (path == "") next
		root = $4
		if (root != "/") {
			if (index(path, root) != 1) next
			path = substr(path, length(root) + 1)
		}
		sub(/\/$/, "", path)
		print $5 "\t" $5 path
	}' /proc/self/cgroup /proc/self/mountinfo
}

# Containers a program failed to delete, found by their bundle lying in this
# run's work directory so that nobody else's container is touched.
delete_leftover_containers() {
	local rt=$1 log=$2 id bundle ids
	ids=$("$rt" list -q 2>/dev/null) || return 0
	for id in $ids; do
		bundle=$("$rt" state "$id" 2>/dev/null | grep -o '"bundle": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/') || true
		if [[ $bundle == "$work"/* ]]; then
			echo "conformance harness: deleting leftover container $id" >>"$log"
			"$rt" delete -f "$id" >>"$log" 2>&1 || true
		fi
	done
}

# The part of the run inside the private mount namespace.
inner() {
	local i rt prog dir
	readlink /proc/self/ns/mnt >"$work/mntns.tmp"
	mv "$work/mntns.tmp" "$work/mntns"
	while IFS= read -r d; do
		echo "$BASHPID" >"$d/cgroup.procs"
	done <"$work/cgroups"
	mapfile -t runtimes <"$work/runtimes"
	mapfile -t dirs <"$work/dirs"
	mapfile -t programs <"$work/programs"
	for i in "${!runtimes[@]}"; do
		rt=${runtimes[$i]}
		dir=${dirs[$i]}
		for prog in "${programs[@]}"; do
			run_program "$rt" "$prog" "$dir/$prog" "$((i + 1))-$prog"
			"$bin/report" line "$dir" "$prog"
		done
		delete_leftover_containers "$rt" "$dir/cleanup.log"
	done
}

# Everything the run may have left: the namespace runner, processes still in
# the private mount namespace (held open so that its number cannot be
# reused by someone else's namespace meanwhile), cgroups, containers, the
# work directory. Safe to call twice.
cleanup() {
	local d p found
	if [[ -n ${inner_pid:-} ]]; then
		kill -TERM "$inner_pid" 2>/dev/null || true
		wait "$inner_pid" 2>/dev/null || true
		inner_pid=
	fi
	if [[ -n ${ns_fd:-} ]]; then
		for _ in $(seq 100); do
			found=0
			for p in /proc/[0-9]*; do
				if [[ $(readlink "$p/ns/mnt" 2>/dev/null) == "$ns_id" ]]; then
					kill -KILL "${p#/proc/}" 2>/dev/null || true
					found=1
				fi
			done
			((found)) || break
			sleep 0.1
		done
		exec {ns_fd}<&-
		ns_fd=
	fi
	if [[ -n ${work:-} && -d $work ]]; then
		local -a trees=()
		if [[ -f $work/cgroups ]]; then
			while IFS= read -r d; do
				trees+=("$d")
			done <"$work/cgroups"
		fi
		if [[ -f $work/hierarchies ]]; then
			while IFS= read -r d; do
				trees+=("$d/cgrouptest" "$d/testdir")
			done <"$work/hierarchies"
		fi
		sweep_cgroups "${trees[@]}" >&2
		for d in "${runtimes[@]}"; do
			delete_leftover_containers "$d" /dev/stderr
		done
		if grep -qF " $work" /proc/self/mountinfo; then
			echo "conformance: mounts left under $work, not removing it" >&2
		else
			rm -rf --one-file-system "$work"
		fi
		work=
	fi
}

if [[ ${1:-} == --inner ]]; then
	work=$CONFORMANCE_WORK
	timeout_s=$CONFORMANCE_TIMEOUT_S
	inner
	exit 0
fi

[[ $(id -u) == 0 ]] || die "must run as root"
timeout_s=${CONFORMANCE_TIMEOUT:-120}
[[ $timeout_s =~ ^[0-9]+$ ]] || die "CONFORMANCE_TIMEOUT=$timeout_s is not a number of seconds"
logs=${CONFORMANCE_LOGS:-$here/logs}
if (($# == 0)); then
	set -- "$here/../../sprout" /usr/sbin/runc
fi
runtimes=()
for rt in "$@"; do
	if [[ $rt != */* ]]; then
		rt=$(command -v "$rt") || die "runtime $rt not found in PATH"
	fi
	[[ -x $rt && -f $rt ]] || die "runtime $rt is not an executable file"
	runtimes+=("$(cd "$(dirname "$rt")" && pwd)/$(basename "$rt")")
done

go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOWORK=off
cd "$here"
mkdir -p "$bin"
echo "building the validation suite into $bin" >&2
CGO_ENABLED=0 "$go" build -o "$bin/" \
	github.com/opencontainers/runtime-tools/validation/... \
	github.com/opencontainers/runtime-tools/cmd/runtimetest \
	./report || die "build failed"
tools_dir=$("$go" list -m -f '{{.Dir}}' github.com/opencontainers/runtime-tools)
suite=()
while IFS= read -r pkg; do
	[[ -n $pkg ]] && suite+=("${pkg##*/}")
done < <("$go" list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' \
	github.com/opencontainers/runtime-tools/validation/...)
((${#suite[@]} > 0)) || die "no validation programs found"

if [[ -n ${CONFORMANCE_ONLY:-} ]]; then
	IFS=, read -ra programs <<<"$CONFORMANCE_ONLY"
	for prog in "${programs[@]}"; do
		[[ " ${suite[*]} " == *" $prog "* ]] || die "CONFORMANCE_ONLY: $prog is not a program of the suite"
	done
else
	programs=("${suite[@]}")
fi

# Serialises runs on this host: the suite's cgroup names are fixed.
exec {lock_fd}>"/run/$name.lock"
flock -n "$lock_fd" || die "another conformance run holds /run/$name.lock"

mapfile -t hierarchies < <(cgroup_hierarchies)
((${#hierarchies[@]} > 0)) || die "no cgroup hierarchy mounted"
for h in "${hierarchies[@]}"; do
	mnt=${h%%$'\t'*}
	for fixed in cgrouptest testdir; do
		[[ ! -e $mnt/$fixed ]] || die "$mnt/$fixed exists: left by an earlier run, or the suite is running elsewhere; remove it first"
	done
done

work=$(mktemp -d "/tmp/$name.XXXXXX")
inner_pid=
ns_fd=
trap cleanup EXIT
trap 'exit 130' INT TERM
# The bundles go under tmp/ with /tmp's own permissions, so that a
# user-namespaced container sees the same path as with the default TMPDIR.
chmod 0755 "$work"
mkdir -m 1777 "$work/tmp"
cp "$bin/runtimetest" "$tools_dir/rootfs-amd64.tar.gz" "$work/"
for h in "${hierarchies[@]}"; do
	echo "${h%%$'\t'*}" >>"$work/hierarchies"
	echo "${h#*$'\t'}/$name.$$" >>"$work/cgroups"
done
while IFS= read -r d; do
	make_cgroup "$d"
done <"$work/cgroups"

# CONFORMANCE_LOGS is emptied: make sure it holds only earlier logs.
if [[ -e $logs ]]; then
	for d in "$logs"/* "$logs"/.[!.]*; do
		[[ ! -e $d || ( -d $d && $(basename "$d") =~ ^[0-9]+- ) ]] ||
			die "$logs holds $d, which is not a log of run.sh: not emptying it"
	done
	rm -rf "$logs"
fi
dirs=()
for i in "${!runtimes[@]}"; do
	dir=$logs/$((i + 1))-$(basename "${runtimes[$i]}")
	mkdir -p "$dir"
	echo "${runtimes[$i]}" >"$dir/runtime"
	dirs+=("$dir")
done

echo "running ${#programs[@]} program(s) against ${runtimes[*]}; logs in $logs" >&2
start=$SECONDS
printf '%s\n' "${runtimes[@]}" >"$work/runtimes"
printf '%s\n' "${dirs[@]}" >"$work/dirs"
printf '%s\n' "${programs[@]}" >"$work/programs"
CONFORMANCE_WORK=$work CONFORMANCE_TIMEOUT_S=$timeout_s \
	unshare -m --propagation slave -- "$BASH" "$here/run.sh" --inner &
inner_pid=$!
until [[ -s $work/mntns ]] || ! kill -0 "$inner_pid" 2>/dev/null; do
	sleep 0.05
done
if [[ -s $work/mntns ]] && exec {ns_fd}<"/proc/$inner_pid/ns/mnt"; then
	ns_id=$(readlink "/proc/$$/fd/$ns_fd")
	[[ $ns_id == "$(<"$work/mntns")" ]] || die "the namespace runner is gone: cannot check what it left"
fi
set +e
wait "$inner_pid"
inner_rc=$?
set -e
inner_pid=
cleanup
((inner_rc == 0)) || die "the run stopped early (status $inner_rc)"
echo "finished in $((SECONDS - start))s" >&2

"$bin/report" summary -known "$here/known.txt" \
	-suite "$(IFS=,; echo "${suite[*]}")" \
	-programs "$(IFS=,; echo "${programs[*]}")" \
	"${dirs[@]}"
