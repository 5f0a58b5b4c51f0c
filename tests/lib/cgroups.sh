# Sourced by the test tiers that let engines create cgroups: removes the
# cgroup parents a run named, in every hierarchy, and nothing else.
# The caller sets CGROUP_PARENTS (paths like /tag-podman) and LEAKS (a
# string that collects what could not be removed).

kill_cgroup_procs() {
	local cg=$1 f p
	find "$cg" -name cgroup.procs 2>/dev/null | while read -r f; do
		while read -r p; do kill -9 "$p" 2>/dev/null; done <"$f"
	done
}

remove_cgroups() {
	local parent ctl d
	for parent in "${CGROUP_PARENTS[@]}"; do
		for ctl in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
			d=${ctl%/}$parent
			[ -d "$d" ] || continue
			# A frozen task cannot die, so thaw before killing.
			find "$d" -name freezer.state 2>/dev/null | while read -r f; do echo THAWED >"$f" 2>/dev/null; done
			kill_cgroup_procs "$d"
		done
		for ctl in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
			d=${ctl%/}$parent
			[ -d "$d" ] || continue
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
				[ -d "$d" ] || break
				sleep 0.3
			done
			[ -d "$d" ] && LEAKS="$LEAKS cgroup:$d"
		done
	done
}
