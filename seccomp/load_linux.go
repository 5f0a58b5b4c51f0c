package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
)

const (
	// sockFilterSize is sizeof(struct sock_filter), the unit of the program
	// seccomp_export_bpf writes.
	sockFilterSize = 8
	// bpfMaxInsns is the kernel's BPF_MAXINSNS, the longest program
	// seccomp(2) accepts.
	bpfMaxInsns = 4096
	// optimizeThreshold is the rule count above which a binary tree beats
	// libseccomp's linear syscall dispatch; libseccomp <= 2.5.4 also
	// mis-generates the tree for empty filters.
	optimizeThreshold = 32
)

// Filter is a compiled profile, ready to install. Compiling allocates
// (libseccomp works in C memory); installing does not, so a plan can
// apply rlimits that would starve libseccomp before its filter.
type Filter struct {
	prog  []unix.SockFilter
	flags uintptr
}

// Compile validates and builds the filter described by cfg. It returns nil
// when cfg disables seccomp.
func Compile(cfg *specs.LinuxSeccomp) (*Filter, error) {
	if err := Validate(cfg); err != nil {
		return nil, err
	}
	if disabled(cfg) {
		return nil, nil
	}
	prog, notify, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	flags, err := kernelFlags(cfg, notify)
	if err != nil {
		return nil, err
	}
	return &Filter{prog: prog, flags: flags}, nil
}

// Plan appends the filter's installation to a container process's plan:
// on the thread that runs the plan (on every thread of the process with
// SECCOMP_FILTER_FLAG_TSYNC), with the notify fd, when a rule uses
// SCMP_ACT_NOTIFY, sent to whoever waits on the process. A nil Filter adds
// nothing.
func (f *Filter) Plan(p *nsexec.Plan) {
	if f == nil {
		return
	}
	p.Seccomp(uint64(f.flags), f.prog, fmt.Sprintf("linux.seccomp: installing seccomp filter (flags %s)", flagNames(f.flags)))
}

// compile turns cfg into a BPF program. notify reports that at least one
// SCMP_ACT_NOTIFY rule made it into the program.
func compile(cfg *specs.LinuxSeccomp) (prog []unix.SockFilter, notify bool, err error) {
	filter, notify, err := buildFilter(cfg)
	if err != nil {
		return nil, false, err
	}
	defer filter.Release()
	prog, err = exportBPF(filter)
	if err != nil {
		return nil, false, err
	}
	if needsEnosysStub(cfg) {
		last, err := lastSyscalls(cfg)
		if err != nil {
			return nil, false, err
		}
		stub, err := enosysStub(last)
		if err != nil {
			return nil, false, err
		}
		prog = append(stub, prog...)
		if len(prog) > bpfMaxInsns {
			return nil, false, fmt.Errorf("seccomp profile compiles to %d BPF instructions, the kernel accepts at most %d", len(prog), bpfMaxInsns)
		}
	}
	return prog, notify, nil
}

// buildFilter creates the libseccomp filter for an already validated cfg.
func buildFilter(cfg *specs.LinuxSeccomp) (_ *libseccomp.ScmpFilter, notify bool, err error) {
	def, err := resolveAction(cfg.DefaultAction, cfg.DefaultErrnoRet, "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet")
	if err != nil {
		return nil, false, err
	}
	filter, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, false, fmt.Errorf("linux.seccomp.defaultAction: creating filter with %s: %w", cfg.DefaultAction, err)
	}
	defer func() {
		if err != nil {
			filter.Release()
		}
	}()
	for i, arch := range cfg.Architectures {
		if err := filter.AddArch(architectures[arch]); err != nil {
			return nil, false, fmt.Errorf("linux.seccomp.architectures[%d]: adding %s: %w", i, arch, err)
		}
	}
	rules := 0
	for i, sc := range cfg.Syscalls {
		field := fmt.Sprintf("linux.seccomp.syscalls[%d]", i)
		act, err := resolveAction(sc.Action, sc.ErrnoRet, field+".action", field+".errnoRet")
		if err != nil {
			return nil, false, err
		}
		if act == def {
			continue
		}
		conds, split, err := conditions(field, sc.Args)
		if err != nil {
			return nil, false, err
		}
		for j, name := range sc.Names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				continue
			}
			if err := addRule(filter, nr, act, conds, split); err != nil {
				return nil, false, fmt.Errorf("%s.names[%d]: adding rule for %q: %w", field, j, name, err)
			}
			rules++
			notify = notify || act == libseccomp.ActNotify
		}
	}
	if rules > optimizeThreshold {
		// Only size and speed are at stake; libseccomp < 2.5 lacks the tree
		// and then keeps the linear layout.
		_ = filter.SetOptimize(2)
	}
	return filter, notify, nil
}

func addRule(filter *libseccomp.ScmpFilter, nr libseccomp.ScmpSyscall, act libseccomp.ScmpAction, conds []libseccomp.ScmpCondition, split bool) error {
	switch {
	case len(conds) == 0:
		return filter.AddRule(nr, act)
	case split:
		for _, cond := range conds {
			if err := filter.AddRuleConditional(nr, act, []libseccomp.ScmpCondition{cond}); err != nil {
				return err
			}
		}
		return nil
	default:
		return filter.AddRuleConditional(nr, act, conds)
	}
}

// exportBPF extracts the compiled program. libseccomp < 2.6 can only write it
// to an fd; a memfd avoids both a temporary file and the pipe plus reader
// goroutine a pipe would need.
func exportBPF(filter *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	fd, err := unix.MemfdCreate("sprout-seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating memfd for the seccomp program: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:sprout-seccomp-bpf")
	defer f.Close()
	if err := filter.ExportBPF(f); err != nil {
		return nil, fmt.Errorf("exporting seccomp program: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewinding seccomp program memfd: %w", err)
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading seccomp program: %w", err)
	}
	if len(raw) == 0 || len(raw)%sockFilterSize != 0 {
		return nil, fmt.Errorf("libseccomp exported a %d-byte program, not a whole number of BPF instructions", len(raw))
	}
	n := len(raw) / sockFilterSize
	if n > bpfMaxInsns {
		return nil, fmt.Errorf("seccomp profile compiles to %d BPF instructions, the kernel accepts at most %d", n, bpfMaxInsns)
	}
	prog := make([]unix.SockFilter, n)
	for i := range prog {
		b := raw[i*sockFilterSize:]
		prog[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(b[0:2]),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.NativeEndian.Uint32(b[4:8]),
		}
	}
	return prog, nil
}

// kernelFlags computes the seccomp(2) flags for cfg, checking that the
// running kernel knows each of them so an old kernel yields an error naming
// the flag instead of a bare EINVAL from the final load.
func kernelFlags(cfg *specs.LinuxSeccomp, notify bool) (uintptr, error) {
	var flags uintptr
	if notify {
		if err := probeFlags(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER); err != nil {
			return 0, fmt.Errorf("linux.seccomp.syscalls: %s needs seccomp user notification: %w", specs.ActNotify, err)
		}
		flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	for i, name := range cfg.Flags {
		bit := filterFlags[name]
		probe := bit
		if bit == unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV {
			if !notify {
				return 0, fmt.Errorf("linux.seccomp.flags[%d]: %s needs a notify listener, but no %s rule names a syscall libseccomp knows", i, name, specs.ActNotify)
			}
			probe |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
		}
		if err := probeFlags(probe); err != nil {
			return 0, fmt.Errorf("linux.seccomp.flags[%d]: %s: %w", i, name, err)
		}
		flags |= bit
	}
	if flags&unix.SECCOMP_FILTER_FLAG_TSYNC != 0 && notify {
		// Plain TSYNC reports a failed thread through the return value the
		// listener fd needs; TSYNC_ESRCH moves that failure to errno.
		if err := probeFlags(unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH); err != nil {
			return 0, fmt.Errorf("linux.seccomp.flags: SECCOMP_FILTER_FLAG_TSYNC with %s needs SECCOMP_FILTER_FLAG_TSYNC_ESRCH (Linux 5.7): %w", specs.ActNotify, err)
		}
		flags |= unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	return flags, nil
}

// probeFlags asks the kernel whether it accepts flags: seccomp(2) validates
// the flags before it reads the program, so a NULL program yields EFAULT for
// known flags and EINVAL for unknown ones, and never installs anything.
func probeFlags(flags uintptr) error {
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, 0)
	switch errno {
	case unix.EFAULT:
		return nil
	case unix.EINVAL:
		return errors.New("not supported by the running kernel")
	default:
		return fmt.Errorf("probing kernel support: %w", errno)
	}
}

// flagNames spells out flags for error messages.
func flagNames(flags uintptr) string {
	names := []struct {
		bit  uintptr
		name string
	}{
		{unix.SECCOMP_FILTER_FLAG_TSYNC, "TSYNC"},
		{unix.SECCOMP_FILTER_FLAG_LOG, "LOG"},
		{unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW, "SPEC_ALLOW"},
		{unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, "NEW_LISTENER"},
		{unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "TSYNC_ESRCH"},
		{unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "WAIT_KILLABLE_RECV"},
	}
	var set []string
	for _, n := range names {
		if flags&n.bit != 0 {
			set = append(set, n.name)
		}
	}
	if len(set) == 0 {
		return "none"
	}
	return strings.Join(set, "|")
}
