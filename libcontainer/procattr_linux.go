package libcontainer

// Runs inside the container's init, except setInitialAffinity: process
// attributes that the kernel keeps per thread and that survive execve, set
// on the thread that execs the process.

import (
	"fmt"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setSchedAndPolicies applies process.scheduler, process.ioPriority and
// linux.memoryPolicy. It runs before capabilities are dropped: a real-time
// policy, a raised priority or the real-time I/O class need CAP_SYS_NICE
// or CAP_SYS_ADMIN, which the process may not keep.
func setSchedAndPolicies(s *specs.Spec) error {
	p := s.Process
	if sc := p.Scheduler; sc != nil {
		attr := &unix.SchedAttr{
			Policy: schedPolicies[sc.Policy], Nice: sc.Nice, Priority: uint32(sc.Priority),
			Runtime: sc.Runtime, Deadline: sc.Deadline, Period: sc.Period,
		}
		for _, f := range sc.Flags {
			attr.Flags |= schedFlags[f]
		}
		if err := unix.SchedSetAttr(0, attr, 0); err != nil {
			return fmt.Errorf("process.scheduler (%s): %w", sc.Policy, err)
		}
	}
	if io := p.IOPriority; io != nil {
		const whoProcess = 1 // IOPRIO_WHO_PROCESS: with 0, the calling thread
		prio := ioprioClasses[io.Class]<<13 | io.Priority
		if _, _, e := unix.RawSyscall(unix.SYS_IOPRIO_SET, whoProcess, 0, uintptr(prio)); e != 0 {
			return fmt.Errorf("process.ioPriority (%s, %d): %w", io.Class, io.Priority, e)
		}
	}
	if s.Linux != nil && s.Linux.MemoryPolicy != nil {
		if err := setMemoryPolicy(s.Linux.MemoryPolicy); err != nil {
			return fmt.Errorf("linux.memoryPolicy (%s %q): %w", s.Linux.MemoryPolicy.Mode, s.Linux.MemoryPolicy.Nodes, err)
		}
	}
	return nil
}

func setMemoryPolicy(mp *specs.LinuxMemoryPolicy) error {
	mode := mempolicyModes[mp.Mode]
	for _, f := range mp.Flags {
		mode |= mempolicyFlags[f]
	}
	var mask []uint64
	if mp.Nodes != "" {
		nodes, err := parseIDList(mp.Nodes)
		if err != nil {
			return err
		}
		for _, n := range nodes {
			for len(mask) <= n/64 {
				mask = append(mask, 0)
			}
			mask[n/64] |= 1 << (n % 64)
		}
	}
	var ptr unsafe.Pointer
	// The kernel reads maxnode-1 bits.
	maxnode := uintptr(0)
	if len(mask) > 0 {
		ptr, maxnode = unsafe.Pointer(&mask[0]), uintptr(len(mask)*64+1)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SET_MEMPOLICY, uintptr(mode), uintptr(ptr), maxnode); e != 0 {
		return e
	}
	return nil
}

// setPersonality applies linux.personality; as late as possible, as it
// changes what uname tells the init too.
func setPersonality(l *specs.Linux) error {
	if l == nil || l.Personality == nil {
		return nil
	}
	if _, _, e := unix.RawSyscall(unix.SYS_PERSONALITY, personalities[l.Personality.Domain], 0, 0); e != 0 {
		return fmt.Errorf("linux.personality (%s): %w", l.Personality.Domain, e)
	}
	return nil
}

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

// setFinalAffinity applies process.execCPUAffinity.final to the exec'ing
// thread, after the move into the container's cgroup.
func setFinalAffinity(p *specs.Process) error {
	if p.ExecCPUAffinity == nil || p.ExecCPUAffinity.Final == "" {
		return nil
	}
	set, err := cpuSet(p.ExecCPUAffinity.Final)
	if err == nil {
		err = unix.SchedSetaffinity(0, set)
	}
	if err != nil {
		return fmt.Errorf("process.execCPUAffinity.final %q: %w", p.ExecCPUAffinity.Final, err)
	}
	return nil
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
