package libcontainer

// The process plan: what a container process does between its set-up and
// execve, decided here and run by nsexec's plan.c. exec's parent builds a
// whole plan and the C stage runs it, so no Go runtime starts inside the
// container; the container's init builds its plan in parts and runs them
// through cgo around its own steps (ready, start, startContainer hooks).

import (
	"fmt"
	"strings"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/capabilities"
	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
	"github.com/sprout-runtime/sprout/seccomp"
	"github.com/sprout-runtime/sprout/spec"
)

// planStdio gives the process its pty, sent on the console socket at fd
// consoleFd, or a session of its own without one.
func planStdio(pl *nsexec.Plan, p *specs.Process, consoleFd int) error {
	if !p.Terminal {
		pl.Setsid()
		return nil
	}
	if consoleFd < 0 {
		return fmt.Errorf("process.terminal: no console socket")
	}
	var rows, cols uint16
	if p.ConsoleSize != nil {
		rows, cols = uint16(p.ConsoleSize.Height), uint16(p.ConsoleSize.Width)
	}
	pl.Console(consoleFd, rows, cols)
	return nil
}

// planPrepare finds the program and checks the cwd, inside the container;
// every fd the process must not inherit is close-on-exec from then on.
func planPrepare(pl *nsexec.Plan, p *specs.Process, preserveFds int) {
	planLookPath(pl, p.Args[0], p.Env)
	pl.CheckCwd(p.Cwd)
	pl.CloexecFrom(3 + preserveFds)
}

// planLookPath resolves the program the way execvp would, with the PATH
// of the container's environment, the last one if several. Without a
// PATH there is nowhere to look, as in runc (no default list): a bare name
// is then not found, which an engine reports as its "not found" exit
// status.
func planLookPath(pl *nsexec.Plan, name string, env []string) {
	path, hasPath := "", false
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path, hasPath = v, true
		}
	}
	pl.LookPath(name, hasPath, path)
}

// planConfine sets credentials, capabilities, seccomp and the per-thread
// attributes, in the order their privileges need. exec adds
// process.execCPUAffinity.final, which the spec leaves out for the
// container's own init.
func planConfine(pl *nsexec.Plan, s *specs.Spec, caps *capabilities.Set, filter *seccomp.Filter, exec bool) error {
	p := s.Process
	// After the filter is compiled: a low RLIMIT_AS or RLIMIT_DATA would
	// leave libseccomp no memory to build it.
	for _, l := range p.Rlimits {
		pl.Rlimit(spec.Rlimits[l.Type], l.Soft, l.Hard, fmt.Sprintf("process.rlimits %s (soft %d, hard %d)", l.Type, l.Soft, l.Hard))
	}
	// Before any filter, so that a profile need not allow these. The cwd
	// as root first; a refusal is retried once the user is set.
	pl.Chdir(p.Cwd, false)
	pl.ChownStdio(p.User.UID)
	if err := planSchedAndPolicies(pl, s); err != nil {
		return err
	}
	// Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
	// process may be about to lose.
	if !p.NoNewPrivileges {
		filter.Plan(pl)
	}
	caps.PlanBounding(pl)
	pl.User(p.User.UID, p.User.GID, p.User.AdditionalGids)
	caps.PlanApply(pl)
	if p.NoNewPrivileges {
		pl.NoNewPrivs()
	}
	if p.User.Umask != nil {
		pl.Umask(*p.User.Umask)
	}
	pl.Chdir(p.Cwd, true)
	for _, w := range lsmWrites(p, spec.LSMEnabled("apparmor"), spec.LSMEnabled("selinux")) {
		pl.WriteProc(w.path, w.value, w.field)
	}
	if p.NoNewPrivileges {
		// As late as possible, so a profile that blocks what the process
		// needs on the way cannot break it: only execve follows.
		filter.Plan(pl)
	}
	// As late as possible, as it changes what uname tells the process too.
	if l := s.Linux; l != nil && l.Personality != nil {
		pl.Personality(uint32(personalities[l.Personality.Domain]), fmt.Sprintf("linux.personality (%s)", l.Personality.Domain))
	}
	if exec && p.ExecCPUAffinity != nil && p.ExecCPUAffinity.Final != "" {
		set, err := cpuSet(p.ExecCPUAffinity.Final)
		if err != nil {
			return fmt.Errorf("process.execCPUAffinity.final %q: %w", p.ExecCPUAffinity.Final, err)
		}
		pl.Affinity(unsafe.Slice((*byte)(unsafe.Pointer(set)), unsafe.Sizeof(*set)), fmt.Sprintf("process.execCPUAffinity.final %q", p.ExecCPUAffinity.Final))
	}
	return nil
}

// planSchedAndPolicies applies process.scheduler, process.ioPriority and
// linux.memoryPolicy. They come before capabilities are dropped: a
// real-time policy, a raised priority or the real-time I/O class need
// CAP_SYS_NICE or CAP_SYS_ADMIN, which the process may not keep.
func planSchedAndPolicies(pl *nsexec.Plan, s *specs.Spec) error {
	p := s.Process
	if sc := p.Scheduler; sc != nil {
		attr := &unix.SchedAttr{
			Size:   uint32(unsafe.Sizeof(unix.SchedAttr{})),
			Policy: schedPolicies[sc.Policy], Nice: sc.Nice, Priority: uint32(sc.Priority),
			Runtime: sc.Runtime, Deadline: sc.Deadline, Period: sc.Period,
		}
		for _, f := range sc.Flags {
			attr.Flags |= schedFlags[f]
		}
		pl.SchedAttr(attr, fmt.Sprintf("process.scheduler (%s)", sc.Policy))
	}
	if io := p.IOPriority; io != nil {
		pl.IOPrio(uint32(ioprioClasses[io.Class]<<13|io.Priority), fmt.Sprintf("process.ioPriority (%s, %d)", io.Class, io.Priority))
	}
	if s.Linux != nil && s.Linux.MemoryPolicy != nil {
		mp := s.Linux.MemoryPolicy
		mode := uint32(mempolicyModes[mp.Mode])
		for _, f := range mp.Flags {
			mode |= uint32(mempolicyFlags[f])
		}
		var mask []uint64
		if mp.Nodes != "" {
			nodes, err := parseIDList(mp.Nodes)
			if err != nil {
				return fmt.Errorf("linux.memoryPolicy (%s %q): %w", mp.Mode, mp.Nodes, err)
			}
			for _, n := range nodes {
				for len(mask) <= n/64 {
					mask = append(mask, 0)
				}
				mask[n/64] |= 1 << (n % 64)
			}
		}
		pl.MemPolicy(mode, mask, fmt.Sprintf("linux.memoryPolicy (%s %q)", mp.Mode, mp.Nodes))
	}
	return nil
}

// planExecve execs the program with the process's environment, HOME added
// from home when the environment lacks it.
func planExecve(pl *nsexec.Plan, p *specs.Process, home string) {
	env := p.Env
	if !hasEnv(env, "HOME") {
		env = append(env[:len(env):len(env)], "HOME="+home)
	}
	pl.Exec(p.Args, env)
}
