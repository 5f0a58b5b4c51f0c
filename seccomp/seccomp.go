// Package seccomp turns an OCI linux.seccomp profile into a kernel seccomp
// filter, following runc's interpretation of the profile.
//
// libseccomp compiles the profile to BPF; the package installs that program
// itself with seccomp(2) instead of seccomp_load(3), because libseccomp-golang
// forces SECCOMP_FILTER_FLAG_TSYNC on every filter while the container init
// wants the filter on its own thread only unless the profile asks for TSYNC,
// and because only the raw syscall lets every profile flag reach the kernel
// whatever the libseccomp version.
//
// Behaviour worth knowing (runc does the same unless noted):
//   - SCMP_ACT_ERRNO and SCMP_ACT_TRACE return EPERM when errnoRet (or
//     defaultErrnoRet) is unset; setting it on any other action is an error,
//     as the runtime spec demands.
//   - Syscall names libseccomp does not know are skipped silently, so one
//     profile serves kernels and libseccomp versions of different ages.
//   - A rule whose action equals the default action is skipped: libseccomp
//     refuses it and it would change nothing.
//   - The conditions of one rule are ANDed. When the same argument index
//     appears more than once in a rule, libseccomp cannot express it, so every
//     condition of that rule becomes a rule of its own: the conditions are
//     then ORed, including those on other indexes.
//   - For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the value the
//     masked argument must equal.
//   - SCMP_ACT_NOTIFY needs listenerPath (Validate refuses the profile at
//     create time rather than failing in the init), cannot be the default
//     action and cannot apply to write or sendmsg: the init still needs them
//     to hand the notify fd over after Install, and nobody could answer those
//     notifications before the agent has the fd. runc refuses write only;
//     sendmsg is refused too because sprout's init hands the fd over with it.
//   - listenerMetadata without listenerPath is refused, as the spec says.
//   - errnoRet above 4095 (MAX_ERRNO) for SCMP_ACT_ERRNO, or above 0xffff
//     for SCMP_ACT_TRACE, is refused: the kernel would clamp or truncate it
//     (runc passes it on silently).
//   - Each flag is probed before the load, so a kernel that lacks one yields
//     an error naming it. SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a
//     SCMP_ACT_NOTIFY rule (the kernel rejects it without a listener), and
//     TSYNC together with a notify rule adds SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
//     without which the kernel refuses the combination.
//   - A profile with neither defaultAction nor syscalls disables seccomp.
//   - A syscall numbered above every syscall the profile names (for its
//     architecture) fails with ENOSYS, not with the default action, unless
//     that action is allow, log or trace (see enosys.go). Unlike runc, the
//     native architecture gets this even when the profile lists no
//     architectures: its filter applies to the native one all the same.
//   - Install does not set no_new_privs: without it the kernel demands
//     CAP_SYS_ADMIN, so the caller loads before dropping capabilities.
package seccomp

import (
	"fmt"
	"path/filepath"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

const (
	// maxErrno is the largest errno the kernel returns as is; larger
	// SECCOMP_RET_ERRNO data is clamped to it, silently changing the profile.
	maxErrno = 4095
	// maxRetData is what fits in SECCOMP_RET_DATA, the tracer's event message
	// for SCMP_ACT_TRACE.
	maxRetData = 0xffff
	// maxArgs is the number of syscall arguments seccomp can inspect.
	maxArgs = 6
)

var actions = map[specs.LinuxSeccompAction]libseccomp.ScmpAction{
	specs.ActKill:        libseccomp.ActKillThread,
	specs.ActKillThread:  libseccomp.ActKillThread,
	specs.ActKillProcess: libseccomp.ActKillProcess,
	specs.ActTrap:        libseccomp.ActTrap,
	specs.ActErrno:       libseccomp.ActErrno,
	specs.ActTrace:       libseccomp.ActTrace,
	specs.ActAllow:       libseccomp.ActAllow,
	specs.ActLog:         libseccomp.ActLog,
	specs.ActNotify:      libseccomp.ActNotify,
}

var operators = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual:     libseccomp.CompareNotEqual,
	specs.OpLessThan:     libseccomp.CompareLess,
	specs.OpLessEqual:    libseccomp.CompareLessOrEqual,
	specs.OpEqualTo:      libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual,
	specs.OpGreaterThan:  libseccomp.CompareGreater,
	specs.OpMaskedEqual:  libseccomp.CompareMaskedEqual,
}

var architectures = map[specs.Arch]libseccomp.ScmpArch{
	specs.ArchX86:         libseccomp.ArchX86,
	specs.ArchX86_64:      libseccomp.ArchAMD64,
	specs.ArchX32:         libseccomp.ArchX32,
	specs.ArchARM:         libseccomp.ArchARM,
	specs.ArchAARCH64:     libseccomp.ArchARM64,
	specs.ArchMIPS:        libseccomp.ArchMIPS,
	specs.ArchMIPS64:      libseccomp.ArchMIPS64,
	specs.ArchMIPS64N32:   libseccomp.ArchMIPS64N32,
	specs.ArchMIPSEL:      libseccomp.ArchMIPSEL,
	specs.ArchMIPSEL64:    libseccomp.ArchMIPSEL64,
	specs.ArchMIPSEL64N32: libseccomp.ArchMIPSEL64N32,
	specs.ArchPPC:         libseccomp.ArchPPC,
	specs.ArchPPC64:       libseccomp.ArchPPC64,
	specs.ArchPPC64LE:     libseccomp.ArchPPC64LE,
	specs.ArchS390:        libseccomp.ArchS390,
	specs.ArchS390X:       libseccomp.ArchS390X,
	specs.ArchPARISC:      libseccomp.ArchPARISC,
	specs.ArchPARISC64:    libseccomp.ArchPARISC64,
	specs.ArchRISCV64:     libseccomp.ArchRISCV64,
	specs.ArchLOONGARCH64: libseccomp.ArchLOONGARCH64,
	specs.ArchM68K:        libseccomp.ArchM68K,
	specs.ArchSH:          libseccomp.ArchSH,
	specs.ArchSHEB:        libseccomp.ArchSHEB,
}

var filterFlags = map[specs.LinuxSeccompFlag]uintptr{
	"SECCOMP_FILTER_FLAG_TSYNC":            unix.SECCOMP_FILTER_FLAG_TSYNC,
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}

// notifyForbidden lists the syscalls the init needs between Install and execve
// to hand the notify fd over; see the package documentation.
var notifyForbidden = []string{"write", "sendmsg"}

// disabled reports whether cfg asks for no filter at all.
func disabled(cfg *specs.LinuxSeccomp) bool {
	return cfg == nil || (cfg.DefaultAction == "" && len(cfg.Syscalls) == 0)
}

// Validate checks cfg without touching the kernel, so `sprout create` can
// reject a bad profile with an error that names the offending field. A nil
// cfg is valid and means no seccomp.
func Validate(cfg *specs.LinuxSeccomp) error {
	if disabled(cfg) {
		return nil
	}
	if cfg.DefaultAction == "" {
		return fmt.Errorf("linux.seccomp.defaultAction: required when syscalls are listed")
	}
	def, err := resolveAction(cfg.DefaultAction, cfg.DefaultErrnoRet, "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet")
	if err != nil {
		return err
	}
	if def == libseccomp.ActNotify {
		return fmt.Errorf("linux.seccomp.defaultAction: %s cannot be the default action: the init's own syscalls before execve would wait for an agent that has no fd yet", specs.ActNotify)
	}
	for i, arch := range cfg.Architectures {
		if _, ok := architectures[arch]; !ok {
			return fmt.Errorf("linux.seccomp.architectures[%d]: unknown architecture %q", i, arch)
		}
	}
	for i, flag := range cfg.Flags {
		if _, ok := filterFlags[flag]; !ok {
			return fmt.Errorf("linux.seccomp.flags[%d]: unknown flag %q", i, flag)
		}
	}
	if cfg.ListenerPath != "" && !filepath.IsAbs(cfg.ListenerPath) {
		return fmt.Errorf("linux.seccomp.listenerPath: %q is not an absolute path", cfg.ListenerPath)
	}
	if cfg.ListenerMetadata != "" && cfg.ListenerPath == "" {
		return fmt.Errorf("linux.seccomp.listenerMetadata: set without linux.seccomp.listenerPath")
	}
	notifyRule := -1
	for i := range cfg.Syscalls {
		act, err := validateSyscall(i, &cfg.Syscalls[i])
		if err != nil {
			return err
		}
		if act == libseccomp.ActNotify && notifyRule < 0 {
			notifyRule = i
		}
	}
	if notifyRule >= 0 && cfg.ListenerPath == "" {
		return fmt.Errorf("linux.seccomp.syscalls[%d].action: %s requires linux.seccomp.listenerPath", notifyRule, specs.ActNotify)
	}
	if i := slices.Index(cfg.Flags, specs.LinuxSeccompFlagWaitKillableRecv); i >= 0 && notifyRule < 0 {
		// The kernel only accepts it together with a notify listener.
		return fmt.Errorf("linux.seccomp.flags[%d]: %s requires a rule with action %s", i, specs.LinuxSeccompFlagWaitKillableRecv, specs.ActNotify)
	}
	return nil
}

// validateSyscall checks cfg.Syscalls[i] and returns its resolved action.
func validateSyscall(i int, sc *specs.LinuxSyscall) (libseccomp.ScmpAction, error) {
	field := fmt.Sprintf("linux.seccomp.syscalls[%d]", i)
	if len(sc.Names) == 0 {
		return libseccomp.ActInvalid, fmt.Errorf("%s.names: must list at least one syscall", field)
	}
	act, err := resolveAction(sc.Action, sc.ErrnoRet, field+".action", field+".errnoRet")
	if err != nil {
		return libseccomp.ActInvalid, err
	}
	for j, name := range sc.Names {
		if name == "" {
			return libseccomp.ActInvalid, fmt.Errorf("%s.names[%d]: empty syscall name", field, j)
		}
		if act == libseccomp.ActNotify && slices.Contains(notifyForbidden, name) {
			return libseccomp.ActInvalid, fmt.Errorf("%s.names[%d]: %s cannot be used for the %s syscall: the init needs it to hand the notify fd to the agent", field, j, specs.ActNotify, name)
		}
	}
	if _, _, err := conditions(field, sc.Args); err != nil {
		return libseccomp.ActInvalid, err
	}
	return act, nil
}

// resolveAction maps a profile action and its optional errno to the
// libseccomp action; actionField and errnoField name them in errors.
func resolveAction(name specs.LinuxSeccompAction, errnoRet *uint, actionField, errnoField string) (libseccomp.ScmpAction, error) {
	act, ok := actions[name]
	if !ok {
		return libseccomp.ActInvalid, fmt.Errorf("%s: unknown action %q", actionField, name)
	}
	var limit uint
	switch act {
	case libseccomp.ActErrno:
		limit = maxErrno
	case libseccomp.ActTrace:
		limit = maxRetData
	default:
		if errnoRet != nil {
			return libseccomp.ActInvalid, fmt.Errorf("%s: action %s does not take an errno", errnoField, name)
		}
		return act, nil
	}
	ret := uint(unix.EPERM)
	if errnoRet != nil {
		ret = *errnoRet
	}
	if ret > limit {
		return libseccomp.ActInvalid, fmt.Errorf("%s: %d is out of range for %s (maximum %d)", errnoField, ret, name, limit)
	}
	return act.SetReturnCode(int16(ret)), nil
}

// conditions converts the args of one rule. split reports that an argument
// index repeats, so the conditions must go into one rule each.
func conditions(field string, args []specs.LinuxSeccompArg) (conds []libseccomp.ScmpCondition, split bool, err error) {
	var seen [maxArgs]bool
	for k, arg := range args {
		if arg.Index >= maxArgs {
			return nil, false, fmt.Errorf("%s.args[%d].index: %d is out of range (syscalls have arguments 0 to %d)", field, k, arg.Index, maxArgs-1)
		}
		op, ok := operators[arg.Op]
		if !ok {
			return nil, false, fmt.Errorf("%s.args[%d].op: unknown operator %q", field, k, arg.Op)
		}
		cond, err := libseccomp.MakeCondition(arg.Index, op, arg.Value, arg.ValueTwo)
		if err != nil {
			return nil, false, fmt.Errorf("%s.args[%d]: %w", field, k, err)
		}
		split = split || seen[arg.Index]
		seen[arg.Index] = true
		conds = append(conds, cond)
	}
	return conds, split, nil
}
