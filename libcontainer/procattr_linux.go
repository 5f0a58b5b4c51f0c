package libcontainer

// Runs inside the container's init, except setInitialAffinity: process
// attributes that the kernel keeps per thread and that survive execve, set
// on the thread that execs the process.

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cpuSet turns a validated CPU list into the kernel's mask.
func cpuSet(list string) (*unix.CPUSet, error) {
	ids, err := parseIDList(list)
	if err != nil {
		return nil, err
	}
	var set unix.CPUSet
	for _, id := range ids {
		if id >= len(set)*64 {
			return nil, fmt.Errorf("CPU %d is beyond what sched_setaffinity takes", id)
		}
		set.Set(id)
	}
	return &set, nil
}

// setInitialAffinity runs in the runtime: it pins the init stage of an
// exec, still single-threaded and waiting for its bootstrap, to
// process.execCPUAffinity.initial before it joins the container's cgroup,
// so the work of entering the container stays off the container's CPUs.
func setInitialAffinity(pid int, p *specs.Process) error {
	if p.ExecCPUAffinity == nil || p.ExecCPUAffinity.Initial == "" {
		return nil
	}
	set, err := cpuSet(p.ExecCPUAffinity.Initial)
	if err == nil {
		err = unix.SchedSetaffinity(pid, set)
	}
	if err != nil {
		return fmt.Errorf("process.execCPUAffinity.initial %q: %w", p.ExecCPUAffinity.Initial, err)
	}
	return nil
}
