package seccomp

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// runBPF interprets prog, as the kernel would, for a call of syscall nr
// with no arguments from the native ABI, and returns the filter's verdict.
func runBPF(t *testing.T, prog []unix.SockFilter, arch uint32, nr int32) uint32 {
	t.Helper()
	var data [64]byte // struct seccomp_data
	binary.NativeEndian.PutUint32(data[0:], uint32(nr))
	binary.NativeEndian.PutUint32(data[4:], arch)
	var a, x uint32
	var mem [16]uint32
	for pc := 0; pc < len(prog); pc++ {
		ins := prog[pc]
		src := ins.K
		if ins.Code&unix.BPF_X != 0 {
			src = x
		}
		switch class := ins.Code & 0x07; {
		case ins.Code == unix.BPF_LD|unix.BPF_W|unix.BPF_ABS:
			a = binary.NativeEndian.Uint32(data[ins.K:])
		case ins.Code == unix.BPF_LD|unix.BPF_IMM:
			a = ins.K
		case ins.Code == unix.BPF_LD|unix.BPF_MEM:
			a = mem[ins.K]
		case ins.Code == unix.BPF_LDX|unix.BPF_IMM:
			x = ins.K
		case ins.Code == unix.BPF_LDX|unix.BPF_MEM:
			x = mem[ins.K]
		case ins.Code == unix.BPF_ST:
			mem[ins.K] = a
		case ins.Code == unix.BPF_STX:
			mem[ins.K] = x
		case ins.Code == unix.BPF_MISC|unix.BPF_TAX:
			x = a
		case ins.Code == unix.BPF_MISC|unix.BPF_TXA:
			a = x
		case ins.Code == unix.BPF_RET|unix.BPF_K:
			return ins.K
		case ins.Code == unix.BPF_RET|unix.BPF_A:
			return a
		case class == unix.BPF_ALU && ins.Code&0xf0 == unix.BPF_AND:
			a &= src
		case class == unix.BPF_ALU && ins.Code&0xf0 == unix.BPF_OR:
			a |= src
		case class == unix.BPF_JMP && ins.Code&0xf0 == unix.BPF_JA:
			pc += int(ins.K)
		case class == unix.BPF_JMP:
			var taken bool
			switch ins.Code & 0xf0 {
			case unix.BPF_JEQ:
				taken = a == src
			case unix.BPF_JGT:
				taken = a > src
			case unix.BPF_JGE:
				taken = a >= src
			case unix.BPF_JSET:
				taken = a&src != 0
			default:
				t.Fatalf("instruction %d: unsupported jump %#x", pc, ins.Code)
			}
			if taken {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		default:
			t.Fatalf("instruction %d: unsupported opcode %#x", pc, ins.Code)
		}
	}
	t.Fatal("program fell off its end")
	return 0
}

func nativeAuditArch(t *testing.T) uint32 {
	t.Helper()
	switch runtime.GOARCH {
	case "amd64":
		return unix.AUDIT_ARCH_X86_64
	case "arm64":
		return unix.AUDIT_ARCH_AARCH64
	}
	t.Skipf("no audit architecture token known for %s", runtime.GOARCH)
	return 0
}

func mustCompile(t *testing.T, cfg *specs.LinuxSeccomp) []unix.SockFilter {
	t.Helper()
	if err := Validate(cfg); err != nil {
		t.Fatal(err)
	}
	prog, _, err := compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// TestCompileActions runs the compiled program on a matching and a
// non-matching syscall and checks the verdicts against the kernel ABI values,
// including the kill actions no helper process can report on.
func TestCompileActions(t *testing.T) {
	arch := nativeAuditArch(t)
	defaultRet := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM))
	for _, tc := range []struct {
		action   specs.LinuxSeccompAction
		errnoRet *uint
		want     uint32
	}{
		{specs.ActKill, nil, unix.SECCOMP_RET_KILL_THREAD},
		{specs.ActKillThread, nil, unix.SECCOMP_RET_KILL_THREAD},
		{specs.ActKillProcess, nil, unix.SECCOMP_RET_KILL_PROCESS},
		{specs.ActTrap, nil, unix.SECCOMP_RET_TRAP},
		{specs.ActErrno, uintp(uint(unix.EUSERS)), unix.SECCOMP_RET_ERRNO | uint32(unix.EUSERS)},
		{specs.ActErrno, uintp(0), unix.SECCOMP_RET_ERRNO},
		{specs.ActTrace, nil, unix.SECCOMP_RET_TRACE | uint32(unix.EPERM)},
		{specs.ActTrace, uintp(0xfffe), unix.SECCOMP_RET_TRACE | 0xfffe},
		{specs.ActAllow, nil, unix.SECCOMP_RET_ALLOW},
		{specs.ActLog, nil, unix.SECCOMP_RET_LOG},
		{specs.ActNotify, nil, unix.SECCOMP_RET_USER_NOTIF},
	} {
		t.Run(fmt.Sprintf("%s/%v", tc.action, tc.errnoRet != nil), func(t *testing.T) {
			prog := mustCompile(t, &specs.LinuxSeccomp{
				DefaultAction: specs.ActErrno,
				ListenerPath:  "/run/agent.sock",
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: tc.action, ErrnoRet: tc.errnoRet}},
			})
			if got := runBPF(t, prog, arch, unix.SYS_GETPPID); got != tc.want {
				t.Errorf("getppid: filter returns %#x, want %#x", got, tc.want)
			}
			if got := runBPF(t, prog, arch, unix.SYS_GETPID); got != defaultRet {
				t.Errorf("getpid: filter returns %#x, want the default %#x", got, defaultRet)
			}
			// Any other ABI is not in the filter and gets libseccomp's
			// bad-architecture action, a thread kill.
			if got := runBPF(t, prog, arch^1, unix.SYS_GETPID); got != unix.SECCOMP_RET_KILL_THREAD {
				t.Errorf("foreign ABI: filter returns %#x, want %#x", got, uint32(unix.SECCOMP_RET_KILL_THREAD))
			}
		})
	}
}

func TestCompileDefaultErrno(t *testing.T) {
	arch := nativeAuditArch(t)
	for _, tc := range []struct {
		errnoRet *uint
		want     uint32
	}{
		{nil, unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{uintp(uint(unix.ENOSYS)), unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
	} {
		prog := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: tc.errnoRet})
		if got := runBPF(t, prog, arch, unix.SYS_GETPID); got != tc.want {
			t.Errorf("defaultErrnoRet %v: filter returns %#x, want %#x", tc.errnoRet, got, tc.want)
		}
	}
}

func TestCompileNotifyReported(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		want  bool
	}{
		{"known syscall", []string{"mkdir"}, true},
		{"unknown syscall only", []string{"sprout_no_such_syscall"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				ListenerPath:  "/run/agent.sock",
				Syscalls:      []specs.LinuxSyscall{{Names: tc.names, Action: specs.ActNotify}},
			}
			_, notify, err := compile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if notify != tc.want {
				t.Errorf("compile reports notify=%v, want %v", notify, tc.want)
			}
		})
	}
}

func TestBuildFilterArchitectures(t *testing.T) {
	arches := extraArches()
	if len(arches) == 0 {
		t.Skip("no multi-ABI architecture list for this GOARCH")
	}
	filter, _, err := buildFilter(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: arches})
	if err != nil {
		t.Fatal(err)
	}
	defer filter.Release()
	for _, name := range arches {
		arch, err := libseccomp.GetArchFromString(strings.TrimPrefix(strings.ToLower(string(name)), "scmp_arch_"))
		if err != nil {
			t.Fatal(err)
		}
		if present, err := filter.IsArchPresent(arch); err != nil || !present {
			t.Errorf("%s not in the filter (err %v)", name, err)
		}
	}
}

func TestBuildFilterArchitectureUnsupportedByLibseccomp(t *testing.T) {
	// SuperH arrived in libseccomp 2.6.
	if major, minor, _ := libseccomp.GetLibraryVersion(); major > 2 || minor >= 6 {
		t.Skip("libseccomp supports every architecture the spec lists")
	}
	cfg := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86, specs.ArchSHEB}}
	if err := Validate(cfg); err != nil {
		t.Fatalf("Validate = %v; a name the spec lists is valid", err)
	}
	_, _, err := buildFilter(cfg)
	if err == nil || !strings.HasPrefix(err.Error(), "linux.seccomp.architectures[1]: ") {
		t.Fatalf("buildFilter = %v, want an error naming linux.seccomp.architectures[1]", err)
	}
}

func TestKernelFlagsWaitKillableNeedsListener(t *testing.T) {
	cfg := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		ListenerPath:  "/run/agent.sock",
		Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagWaitKillableRecv},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"sprout_no_such_syscall"}, Action: specs.ActNotify}},
	}
	if err := Validate(cfg); err != nil {
		t.Fatal(err)
	}
	_, notify, err := compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = kernelFlags(cfg, notify)
	if err == nil || !strings.HasPrefix(err.Error(), "linux.seccomp.flags[1]: ") {
		t.Fatalf("kernelFlags = %v, want an error naming linux.seccomp.flags[1]", err)
	}
}

func TestLoadDisabled(t *testing.T) {
	// Disabled profiles must not reach the kernel, so this runs in-process:
	// the thread's filter count must not move.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadFilters(t)
	for _, cfg := range []*specs.LinuxSeccomp{nil, {}} {
		fd, err := Load(cfg)
		if err != nil || fd != -1 {
			t.Errorf("Load(%+v) = %d, %v; want -1, nil", cfg, fd, err)
		}
	}
	if after := threadFilters(t); after != before {
		t.Errorf("Seccomp_filters went from %s to %s", before, after)
	}
}

func threadFilters(t *testing.T) string {
	t.Helper()
	status, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	return statusField(string(status), "Seccomp_filters")
}
