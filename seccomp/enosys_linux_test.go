package seccomp

import (
	"runtime"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// A syscall numbered above every one the profile names fails with ENOSYS,
// so that a program can fall back to an older syscall; one the profile
// could have named but did not still gets the default action.
func TestLoadEnosysForNewSyscalls(t *testing.T) {
	profile := specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: extraArches(),
		Syscalls:      []specs.LinuxSyscall{{Names: allowList, Action: specs.ActAllow}},
	}
	last, err := lastSyscalls(&profile)
	if err != nil {
		t.Fatal(err)
	}
	native, _ := libseccomp.GetNativeArch()
	max, ok := last[native]
	if !ok {
		t.Fatalf("no last syscall for the native architecture: %v", last)
	}
	calls := []probe{
		{Name: "getpid", Nr: unix.SYS_GETPID},
		{Name: "acct", Nr: unix.SYS_ACCT, Args: [3]uintptr{1}},
		{Name: "next", Nr: uintptr(max) + 1},
		{Name: "far", Nr: 4000},
	}
	want := map[string]string{
		"acct": errnoResult(unix.EPERM),
		"next": errnoResult(unix.ENOSYS),
		"far":  errnoResult(unix.ENOSYS),
	}
	if runtime.GOARCH == "amd64" {
		// x32 numbers carry bit 30; the profile lists x32, so its own
		// last syscall counts for them.
		calls = append(calls, probe{Name: "x32-far", Nr: x32Bit | 4000})
		want["x32-far"] = errnoResult(unix.ENOSYS)
	}
	res := runHelper(t, helperPlan{Profile: profile, Calls: calls})
	res.mustSucceed(t)
	want["getpid"] = okResult(uintptr(res.pid))
	res.expect(t, want)

	// With a default action that lets unknown syscalls through, or that is
	// ENOSYS already, there is nothing to patch.
	for _, cfg := range []specs.LinuxSeccomp{
		{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"acct"}, Action: specs.ActErrno}}},
		{DefaultAction: specs.ActLog, Syscalls: []specs.LinuxSyscall{{Names: []string{"acct"}, Action: specs.ActErrno}}},
		{DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(uint(unix.ENOSYS)), Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActAllow}}},
	} {
		if needsEnosysStub(&cfg) {
			t.Errorf("default %s (errno %v) gets a stub", cfg.DefaultAction, cfg.DefaultErrnoRet)
		}
	}
	if !needsEnosysStub(&specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess}) {
		t.Error("a killing default action gets no stub")
	}
}

// Every architecture's block checks seccomp_data.arch, then the number
// against that architecture's own last syscall.
func TestEnosysStubLayout(t *testing.T) {
	stub, err := enosysStub(map[libseccomp.ScmpArch]uint32{
		libseccomp.ArchAMD64: 450, libseccomp.ArchX32: x32Bit | 550, libseccomp.ArchX86: 460,
	})
	if err != nil {
		t.Fatal(err)
	}
	ret := len(stub) - 1
	if stub[ret].Code != unix.BPF_RET|unix.BPF_K || stub[ret].K != unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS) {
		t.Fatalf("the stub does not end in ret ENOSYS: %+v", stub[ret])
	}
	// Walk the program for a few inputs, as the kernel would.
	run := func(arch, nr uint32) string {
		for pc, a := 0, uint32(0); pc < len(stub); {
			in := stub[pc]
			switch in.Code {
			case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
				a = map[uint32]uint32{dataNr: nr, dataArch: arch}[in.K]
				pc++
			case unix.BPF_RET | unix.BPF_K:
				return "enosys"
			default:
				var taken bool
				switch in.Code &^ (unix.BPF_JMP | unix.BPF_K) {
				case unix.BPF_JEQ:
					taken = a == in.K
				case unix.BPF_JGT:
					taken = a > in.K
				case unix.BPF_JSET:
					taken = a&in.K != 0
				default:
					t.Fatalf("unexpected instruction %+v", in)
				}
				if taken {
					pc += 1 + int(in.Jt)
				} else {
					pc += 1 + int(in.Jf)
				}
			}
		}
		return "filter"
	}
	for _, c := range []struct {
		arch, nr uint32
		want     string
	}{
		{unix.AUDIT_ARCH_X86_64, 450, "filter"},
		{unix.AUDIT_ARCH_X86_64, 451, "enosys"},
		{unix.AUDIT_ARCH_X86_64, x32Bit | 550, "filter"},
		{unix.AUDIT_ARCH_X86_64, x32Bit | 551, "enosys"},
		{unix.AUDIT_ARCH_I386, 460, "filter"},
		{unix.AUDIT_ARCH_I386, 461, "enosys"},
		{unix.AUDIT_ARCH_AARCH64, 9999, "filter"},
	} {
		if got := run(c.arch, c.nr); got != c.want {
			t.Errorf("arch %#x nr %#x: %s, want %s", c.arch, c.nr, got, c.want)
		}
	}
}
