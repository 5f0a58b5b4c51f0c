package libcontainer

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The kernel's numbers for the names of process.scheduler,
// process.ioPriority, linux.personality and linux.memoryPolicy
// (uapi sched.h, ioprio.h, personality.h, mempolicy.h).
var (
	schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
		specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3,
		specs.SchedISO: 4, specs.SchedIdle: 5, specs.SchedDeadline: 6,
	}
	schedFlags = map[specs.LinuxSchedulerFlag]uint64{
		specs.SchedFlagResetOnFork: 0x01, specs.SchedFlagReclaim: 0x02, specs.SchedFlagDLOverrun: 0x04,
		specs.SchedFlagKeepPolicy: 0x08, specs.SchedFlagKeepParams: 0x10,
		specs.SchedFlagUtilClampMin: 0x20, specs.SchedFlagUtilClampMax: 0x40,
	}
	ioprioClasses = map[specs.IOPriorityClass]int{
		specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
	}
	personalities = map[specs.LinuxPersonalityDomain]uintptr{
		specs.PerLinux: 0x0000, specs.PerLinux32: 0x0008,
	}
	mempolicyModes = map[specs.MemoryPolicyModeType]uint{
		specs.MpolDefault: 0, specs.MpolPreferred: 1, specs.MpolBind: 2, specs.MpolInterleave: 3,
		specs.MpolLocal: 4, specs.MpolPreferredMany: 5, specs.MpolWeightedInterleave: 6,
	}
	mempolicyFlags = map[specs.MemoryPolicyFlagType]uint{
		specs.MpolFNumaBalancing: 0x2000, specs.MpolFRelativeNodes: 0x4000, specs.MpolFStaticNodes: 0x8000,
	}
)

// maxListID bounds a CPU or node number: the kernel's own limits
// (NR_CPUS, MAX_NUMNODES) are far below it, and it keeps a typo from
// allocating a huge mask.
const maxListID = 1 << 16

// parseIDList reads a CPU or node list as cpuset and numactl write it:
// "0-3,7" is 0, 1, 2, 3 and 7.
func parseIDList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty list")
	}
	var ids []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		first, err := strconv.Atoi(lo)
		if err != nil || first < 0 || first >= maxListID {
			return nil, fmt.Errorf("%q is not a number or range", part)
		}
		last := first
		if isRange {
			last, err = strconv.Atoi(hi)
			if err != nil || last < first || last >= maxListID {
				return nil, fmt.Errorf("%q is not a number or range", part)
			}
		}
		for id := first; id <= last; id++ {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// validateProcAttrs checks the scheduling, I/O priority, CPU affinity,
// personality and memory policy of a config.
func validateProcAttrs(s *specs.Spec) error {
	p := s.Process
	if sc := p.Scheduler; sc != nil {
		if _, ok := schedPolicies[sc.Policy]; !ok {
			return fmt.Errorf("process.scheduler.policy: unknown policy %q", sc.Policy)
		}
		for i, f := range sc.Flags {
			if _, ok := schedFlags[f]; !ok {
				return fmt.Errorf("process.scheduler.flags[%d]: unknown flag %q", i, f)
			}
		}
		if sc.Nice < -20 || sc.Nice > 19 {
			return fmt.Errorf("process.scheduler.nice: %d is outside -20..19", sc.Nice)
		}
	}
	if io := p.IOPriority; io != nil {
		if _, ok := ioprioClasses[io.Class]; !ok {
			return fmt.Errorf("process.ioPriority.class: unknown class %q", io.Class)
		}
		if io.Priority < 0 || io.Priority > 7 {
			return fmt.Errorf("process.ioPriority.priority: %d is outside 0..7", io.Priority)
		}
	}
	if a := p.ExecCPUAffinity; a != nil {
		for _, l := range []struct{ field, list string }{{"initial", a.Initial}, {"final", a.Final}} {
			if l.list == "" {
				continue
			}
			if _, err := parseIDList(l.list); err != nil {
				return fmt.Errorf("process.execCPUAffinity.%s: %w", l.field, err)
			}
		}
	}
	if s.Linux == nil {
		return nil
	}
	if pers := s.Linux.Personality; pers != nil {
		if _, ok := personalities[pers.Domain]; !ok {
			return fmt.Errorf("linux.personality.domain: unknown domain %q", pers.Domain)
		}
		// The spec defines no flag; runc warns and goes on.
		if len(pers.Flags) > 0 {
			warn("linux.personality.flags: no flag is supported, %v ignored", pers.Flags)
		}
	}
	if mp := s.Linux.MemoryPolicy; mp != nil {
		if _, ok := mempolicyModes[mp.Mode]; !ok {
			return fmt.Errorf("linux.memoryPolicy.mode: unknown mode %q", mp.Mode)
		}
		for i, f := range mp.Flags {
			if _, ok := mempolicyFlags[f]; !ok {
				return fmt.Errorf("linux.memoryPolicy.flags[%d]: unknown flag %q", i, f)
			}
		}
		switch {
		case mp.Mode == specs.MpolDefault || mp.Mode == specs.MpolLocal:
			if mp.Nodes != "" {
				return fmt.Errorf("linux.memoryPolicy.nodes: %s takes no nodes", mp.Mode)
			}
		default:
			if _, err := parseIDList(mp.Nodes); err != nil {
				return fmt.Errorf("linux.memoryPolicy.nodes: %w", err)
			}
		}
	}
	return nil
}

// MemoryPolicyNames lists the linux.memoryPolicy modes and flags sprout
// accepts, sorted, for the features document.
func MemoryPolicyNames() (modes, flags []string) {
	for m := range mempolicyModes {
		modes = append(modes, string(m))
	}
	for f := range mempolicyFlags {
		flags = append(flags, string(f))
	}
	slices.Sort(modes)
	slices.Sort(flags)
	return modes, flags
}
