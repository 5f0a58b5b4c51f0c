package seccomp

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// A syscall newer than every syscall a profile names is one the profile's
// author could not know: returning the default action's EPERM for it breaks
// the programs (glibc first of all) that try a new syscall and fall back to
// an old one on ENOSYS only. As runc does, a stub in front of libseccomp's
// program returns ENOSYS for any syscall number above the highest one the
// profile names, per architecture, unless the default action lets unknown
// syscalls through anyway (allow, log, trace) or already is ENOSYS.

// auditArches maps libseccomp's architectures to the AUDIT_ARCH_* value
// the kernel puts in seccomp_data.arch.
var auditArches = map[libseccomp.ScmpArch]uint32{
	libseccomp.ArchX86:         unix.AUDIT_ARCH_I386,
	libseccomp.ArchAMD64:       unix.AUDIT_ARCH_X86_64,
	libseccomp.ArchX32:         unix.AUDIT_ARCH_X86_64,
	libseccomp.ArchARM:         unix.AUDIT_ARCH_ARM,
	libseccomp.ArchARM64:       unix.AUDIT_ARCH_AARCH64,
	libseccomp.ArchMIPS:        unix.AUDIT_ARCH_MIPS,
	libseccomp.ArchMIPS64:      unix.AUDIT_ARCH_MIPS64,
	libseccomp.ArchMIPS64N32:   unix.AUDIT_ARCH_MIPS64N32,
	libseccomp.ArchMIPSEL:      unix.AUDIT_ARCH_MIPSEL,
	libseccomp.ArchMIPSEL64:    unix.AUDIT_ARCH_MIPSEL64,
	libseccomp.ArchMIPSEL64N32: unix.AUDIT_ARCH_MIPSEL64N32,
	libseccomp.ArchPPC:         unix.AUDIT_ARCH_PPC,
	libseccomp.ArchPPC64:       unix.AUDIT_ARCH_PPC64,
	libseccomp.ArchPPC64LE:     unix.AUDIT_ARCH_PPC64LE,
	libseccomp.ArchS390:        unix.AUDIT_ARCH_S390,
	libseccomp.ArchS390X:       unix.AUDIT_ARCH_S390X,
	libseccomp.ArchPARISC:      unix.AUDIT_ARCH_PARISC,
	libseccomp.ArchPARISC64:    unix.AUDIT_ARCH_PARISC64,
	libseccomp.ArchRISCV64:     unix.AUDIT_ARCH_RISCV64,
	libseccomp.ArchLOONGARCH64: unix.AUDIT_ARCH_LOONGARCH64,
	libseccomp.ArchM68K:        unix.AUDIT_ARCH_M68K,
	libseccomp.ArchSH:          unix.AUDIT_ARCH_SHEL,
	libseccomp.ArchSHEB:        unix.AUDIT_ARCH_SH,
}

// x32Bit marks an x32 syscall, which shares AUDIT_ARCH_X86_64 with amd64.
const x32Bit = 0x40000000

// seccomp_data offsets.
const (
	dataNr   = 0
	dataArch = 4
)

// needsEnosysStub tells whether unknown syscalls get a refusal from cfg's
// default action, which the stub then turns into ENOSYS for new ones.
func needsEnosysStub(cfg *specs.LinuxSeccomp) bool {
	switch cfg.DefaultAction {
	case specs.ActAllow, specs.ActLog, specs.ActTrace:
		return false
	case specs.ActErrno:
		return cfg.DefaultErrnoRet == nil || *cfg.DefaultErrnoRet != uint(unix.ENOSYS)
	}
	return true
}

// lastSyscalls finds, for the native architecture and each one cfg lists,
// the highest syscall number the profile names. Architectures for which it
// names none are left out: every syscall of theirs is as new as the
// profile.
func lastSyscalls(cfg *specs.LinuxSeccomp) (map[libseccomp.ScmpArch]uint32, error) {
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: native architecture: %w", err)
	}
	arches := []libseccomp.ScmpArch{native}
	for _, a := range cfg.Architectures {
		arches = append(arches, architectures[a])
	}
	last := map[libseccomp.ScmpArch]uint32{}
	for _, arch := range arches {
		if _, done := last[arch]; done {
			continue
		}
		found := false
		var max uint32
		for _, sc := range cfg.Syscalls {
			for _, name := range sc.Names {
				nr, err := libseccomp.GetSyscallFromNameByArch(name, arch)
				// Pseudo-syscalls (names an arch lacks) are negative.
				if err != nil || nr < 0 {
					continue
				}
				if !found || uint32(nr) > max {
					max, found = uint32(nr), true
				}
			}
		}
		if found {
			last[arch] = max
		}
	}
	return last, nil
}

// stubInsn is a cBPF instruction whose jump targets are still labels.
type stubInsn struct {
	ins    unix.SockFilter
	jt, jf string
}

// enosysStub builds the program to put in front of libseccomp's: per
// architecture, a syscall number above last's returns ENOSYS; everything
// else falls through to the filter. The stub's jumps are forward only and
// land at most a few hundred bytes ahead, within cBPF's 8-bit offsets.
func enosysStub(last map[libseccomp.ScmpArch]uint32) ([]unix.SockFilter, error) {
	const (
		enosys = "enosys"
		filter = "filter"
	)
	byAudit := map[uint32][]libseccomp.ScmpArch{}
	for arch := range last {
		audit, ok := auditArches[arch]
		if !ok {
			continue
		}
		byAudit[audit] = append(byAudit[audit], arch)
	}
	if len(byAudit) == 0 {
		return nil, nil
	}
	audits := make([]uint32, 0, len(byAudit))
	for a := range byAudit {
		audits = append(audits, a)
	}
	slices.Sort(audits)

	var prog []stubInsn
	labels := map[string]int{}
	label := func(name string) { labels[name] = len(prog) }
	ld := func(off uint32) {
		prog = append(prog, stubInsn{ins: unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off}})
	}
	jmp := func(op uint16, k uint32, jt, jf string) {
		prog = append(prog, stubInsn{ins: unix.SockFilter{Code: unix.BPF_JMP | op | unix.BPF_K, K: k}, jt: jt, jf: jf})
	}
	// "" as a target is the next instruction.
	ld(dataArch)
	for i, audit := range audits {
		next := filter
		if i+1 < len(audits) {
			next = fmt.Sprintf("arch%d", i+1)
		}
		jmp(unix.BPF_JEQ, audit, "", next)
		ld(dataNr)
		switch audit {
		case unix.AUDIT_ARCH_X86_64:
			amd64, hasAmd64 := last[libseccomp.ArchAMD64]
			x32, hasX32 := last[libseccomp.ArchX32]
			switch {
			case hasAmd64 && hasX32:
				jmp(unix.BPF_JSET, x32Bit, "x32", "")
				jmp(unix.BPF_JGT, amd64, enosys, filter)
				label("x32")
				jmp(unix.BPF_JGT, x32, enosys, filter)
			case hasAmd64:
				// x32 calls are libseccomp's to judge (a bad arch).
				jmp(unix.BPF_JSET, x32Bit, filter, "")
				jmp(unix.BPF_JGT, amd64, enosys, filter)
			default:
				jmp(unix.BPF_JSET, x32Bit, "", filter)
				jmp(unix.BPF_JGT, x32, enosys, filter)
			}
		case unix.AUDIT_ARCH_S390, unix.AUDIT_ARCH_S390X:
			// Syscall 0 multiplexes the syscalls the s390 tables lack: an
			// unknown syscall arrives as it.
			jmp(unix.BPF_JEQ, 0, enosys, "")
			jmp(unix.BPF_JGT, last[byAudit[audit][0]], enosys, filter)
		default:
			jmp(unix.BPF_JGT, last[byAudit[audit][0]], enosys, filter)
		}
		if i+1 < len(audits) {
			label(next)
		}
	}
	label(enosys)
	prog = append(prog, stubInsn{ins: unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)}})
	label(filter)

	out := make([]unix.SockFilter, len(prog))
	for pc, in := range prog {
		out[pc] = in.ins
		for _, j := range []struct {
			target string
			dst    *uint8
		}{{in.jt, &out[pc].Jt}, {in.jf, &out[pc].Jf}} {
			if j.target == "" {
				continue
			}
			off := labels[j.target] - pc - 1
			if off < 0 || off > 255 {
				return nil, fmt.Errorf("linux.seccomp: ENOSYS stub jump of %d instructions", off)
			}
			*j.dst = uint8(off)
		}
	}
	return out, nil
}
