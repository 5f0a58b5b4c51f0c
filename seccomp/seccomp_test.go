package seccomp

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidateRejects(t *testing.T) {
	allow := specs.LinuxSyscall{Names: []string{"getpid"}, Action: specs.ActAllow}
	notify := specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActNotify}
	withArgs := func(args ...specs.LinuxSeccompArg) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: []string{"personality"}, Action: specs.ActErrno, Args: args}
	}
	for _, tc := range []struct {
		name  string
		cfg   specs.LinuxSeccomp
		field string
	}{
		{"missing default action", specs.LinuxSeccomp{Syscalls: []specs.LinuxSyscall{allow}},
			"linux.seccomp.defaultAction"},
		{"unknown default action", specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_FOO"},
			"linux.seccomp.defaultAction"},
		{"notify default action", specs.LinuxSeccomp{DefaultAction: specs.ActNotify, ListenerPath: "/run/agent.sock"},
			"linux.seccomp.defaultAction"},
		{"errno for allow default", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, DefaultErrnoRet: uintp(1)},
			"linux.seccomp.defaultErrnoRet"},
		{"default errno beyond MAX_ERRNO", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(4096)},
			"linux.seccomp.defaultErrnoRet"},
		{"unknown architecture", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86, "SCMP_ARCH_PDP11"}},
			"linux.seccomp.architectures[1]"},
		{"unknown flag", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, "SECCOMP_FILTER_FLAG_FOO"}},
			"linux.seccomp.flags[1]"},
		{"wait killable without notify", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}},
			"linux.seccomp.flags[0]"},
		{"relative listener path", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "agent.sock", Syscalls: []specs.LinuxSyscall{notify}},
			"linux.seccomp.listenerPath"},
		{"metadata without listener", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerMetadata: "x"},
			"linux.seccomp.listenerMetadata"},
		{"notify without listener", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{allow, notify}},
			"linux.seccomp.syscalls[1].action"},
		{"notify on write", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock",
			Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir", "write"}, Action: specs.ActNotify}}},
			"linux.seccomp.syscalls[0].names[1]"},
		{"notify on sendmsg", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock",
			Syscalls: []specs.LinuxSyscall{{Names: []string{"sendmsg"}, Action: specs.ActNotify}}},
			"linux.seccomp.syscalls[0].names[0]"},
		{"no names", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Action: specs.ActErrno}}},
			"linux.seccomp.syscalls[0].names"},
		{"empty name", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid", ""}, Action: specs.ActErrno}}},
			"linux.seccomp.syscalls[0].names[1]"},
		{"unknown action", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{allow, allow, allow, {Names: []string{"getpid"}, Action: "SCMP_ACT_FOO"}}},
			"linux.seccomp.syscalls[3].action"},
		{"errno for kill", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActKillProcess, ErrnoRet: uintp(1)}}},
			"linux.seccomp.syscalls[0].errnoRet"},
		{"trace data beyond 16 bits", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActTrace, ErrnoRet: uintp(0x10000)}}},
			"linux.seccomp.syscalls[0].errnoRet"},
		{"argument index 6", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{withArgs(specs.LinuxSeccompArg{Index: 0, Op: specs.OpEqualTo}, specs.LinuxSeccompArg{Index: 6, Op: specs.OpEqualTo})}},
			"linux.seccomp.syscalls[0].args[1].index"},
		{"unknown operator", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{allow, withArgs(specs.LinuxSeccompArg{Index: 0, Op: "SCMP_CMP_FOO"})}},
			"linux.seccomp.syscalls[1].args[0].op"},
		{"missing operator", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{withArgs(specs.LinuxSeccompArg{Index: 0})}},
			"linux.seccomp.syscalls[0].args[0].op"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(&tc.cfg)
			if err == nil {
				t.Fatalf("Validate accepted %+v", tc.cfg)
			}
			if !strings.HasPrefix(err.Error(), tc.field+": ") {
				t.Errorf("Validate = %q, want an error about %s", err, tc.field)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *specs.LinuxSeccomp
	}{
		{"nil", nil},
		// runc treats a profile without default action and rules as "no seccomp".
		{"disabled", &specs.LinuxSeccomp{Architectures: []specs.Arch{specs.ArchX86}}},
		{"every action, arch, flag and operator", &specs.LinuxSeccomp{
			DefaultAction:   specs.ActErrno,
			DefaultErrnoRet: uintp(38),
			Architectures: []specs.Arch{
				specs.ArchX86, specs.ArchX86_64, specs.ArchX32, specs.ArchARM, specs.ArchAARCH64,
				specs.ArchMIPS, specs.ArchMIPS64, specs.ArchMIPS64N32, specs.ArchMIPSEL,
				specs.ArchMIPSEL64, specs.ArchMIPSEL64N32, specs.ArchPPC, specs.ArchPPC64,
				specs.ArchPPC64LE, specs.ArchS390, specs.ArchS390X, specs.ArchPARISC,
				specs.ArchPARISC64, specs.ArchRISCV64, specs.ArchLOONGARCH64, specs.ArchM68K,
				specs.ArchSH, specs.ArchSHEB,
			},
			Flags: []specs.LinuxSeccompFlag{
				"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagLog,
				specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv,
			},
			ListenerPath:     "/run/agent.sock",
			ListenerMetadata: "meta",
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"getpid"}, Action: specs.ActKill},
				{Names: []string{"getpid"}, Action: specs.ActKillThread},
				{Names: []string{"getpid"}, Action: specs.ActKillProcess},
				{Names: []string{"getpid"}, Action: specs.ActTrap},
				{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: uintp(4095)},
				{Names: []string{"getpid"}, Action: specs.ActTrace, ErrnoRet: uintp(0xffff)},
				{Names: []string{"getpid"}, Action: specs.ActAllow},
				{Names: []string{"getpid"}, Action: specs.ActLog},
				{Names: []string{"mkdir"}, Action: specs.ActNotify},
				{Names: []string{"sprout_unknown_syscall"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
					{Index: 0, Op: specs.OpNotEqual},
					{Index: 1, Op: specs.OpLessThan},
					{Index: 2, Op: specs.OpLessEqual},
					{Index: 3, Op: specs.OpEqualTo},
					{Index: 4, Op: specs.OpGreaterEqual},
					{Index: 5, Op: specs.OpGreaterThan},
					{Index: 5, Op: specs.OpMaskedEqual, Value: 1, ValueTwo: 1},
				}},
			},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Validate(tc.cfg); err != nil {
				t.Fatalf("Validate = %v", err)
			}
		})
	}
}
