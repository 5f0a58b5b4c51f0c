package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/capabilities"
	"github.com/sprout-runtime/sprout/libcontainer"
	"github.com/sprout-runtime/sprout/seccomp"
	"github.com/sprout-runtime/sprout/spec"
)

// runc 1.1.5 has no features command; engines that know the runtime-spec
// features document (features.md) ask for it to learn what a runtime
// accepts before they write a config.
var featuresCommand = &cli.Command{
	Name:  "features",
	Usage: "print the OCI features document: what this sprout accepts in a config",
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 0, 0); err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "    ")
		return enc.Encode(sproutFeatures())
	},
}

func sproutFeatures() *features.Features {
	yes, no := true, false
	maj, min, micro := libseccomp.GetLibraryVersion()
	mpolModes, mpolFlags := libcontainer.MemoryPolicyNames()
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  mountOptions(),
		Linux: &features.Linux{
			Namespaces:   namespaceNames(),
			Capabilities: capabilities.Names(),
			Cgroup:       &features.Cgroup{V1: &yes, V2: &yes, Systemd: &yes, SystemdUser: &no, Rdma: &yes},
			Seccomp:      seccompFeatures(),
			Apparmor:     &features.Apparmor{Enabled: &no},
			Selinux:      &features.Selinux{Enabled: &no},
			IntelRdt:     &features.IntelRdt{Enabled: &no},
			MemoryPolicy: &features.MemoryPolicy{Modes: mpolModes, Flags: mpolFlags},
			MountExtensions: &features.MountExtensions{
				IDMap: &features.IDMap{Enabled: &yes},
			},
			NetDevices: &features.NetDevices{Enabled: &yes},
		},
		Annotations: map[string]string{
			"com.github.sprout-runtime.sprout.version": version,
			"com.github.sprout-runtime.sprout.commit":  commit,
			// checkpoint and restore exist; whether criu works is told when they run.
			"com.github.sprout-runtime.sprout.checkpoint.enabled": "true",
			"io.github.seccomp.libseccomp.version":                fmt.Sprintf("%d.%d.%d", maj, min, micro),
		},
	}
}

// ociMountOptions are the mount options the runtime spec names
// (features.md). The spec package keeps its option tables to itself, so
// the features are what its parser takes as options instead of handing
// them to the filesystem: the list cannot drift from what mounts do.
var ociMountOptions = []string{
	"acl", "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap", "iversion",
	"lazytime", "loud", "mand", "noacl", "noatime", "nodev", "nodiratime", "noexec", "noiversion",
	"nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
	"ratime", "rbind", "rdev", "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev",
	"rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro",
	"ridmap", "rprivate", "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow",
	"runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync",
	"tmpcopyup", "unbindable",
}

func namespaceNames() []string {
	var names []string
	for _, k := range spec.NamespaceKinds {
		names = append(names, string(k.Type))
	}
	sort.Strings(names)
	return names
}

func mountOptions() []string {
	var known []string
	for _, o := range ociMountOptions {
		if len(spec.ParseMountOptions([]string{o}).Data) == 0 {
			known = append(known, o)
		}
	}
	return known
}

// seccompFeatures reports the actions, operators, architectures and flags
// of the runtime spec that seccomp.Validate accepts, for the same reason
// as mountOptions: the package's tables are its own.
func seccompFeatures() *features.Seccomp {
	yes := true
	accepts := func(cfg specs.LinuxSeccomp) bool {
		// A listener path makes SCMP_ACT_NOTIFY rules valid.
		cfg.ListenerPath = "/run/features-probe.sock"
		return seccomp.Validate(&cfg) == nil
	}
	rule := func(action specs.LinuxSeccompAction, args ...specs.LinuxSeccompArg) []specs.LinuxSyscall {
		return []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: action, Args: args}}
	}
	f := &features.Seccomp{Enabled: &yes}
	for _, a := range []specs.LinuxSeccompAction{
		specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap, specs.ActErrno,
		specs.ActTrace, specs.ActAllow, specs.ActLog, specs.ActNotify,
	} {
		if accepts(specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: rule(a)}) {
			f.Actions = append(f.Actions, string(a))
		}
	}
	for _, op := range []specs.LinuxSeccompOperator{
		specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
		specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual,
	} {
		if accepts(specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: rule(specs.ActErrno, specs.LinuxSeccompArg{Op: op})}) {
			f.Operators = append(f.Operators, string(op))
		}
	}
	for _, arch := range []specs.Arch{
		specs.ArchX86, specs.ArchX86_64, specs.ArchX32, specs.ArchARM, specs.ArchAARCH64,
		specs.ArchMIPS, specs.ArchMIPS64, specs.ArchMIPS64N32, specs.ArchMIPSEL, specs.ArchMIPSEL64,
		specs.ArchMIPSEL64N32, specs.ArchPPC, specs.ArchPPC64, specs.ArchPPC64LE, specs.ArchS390,
		specs.ArchS390X, specs.ArchPARISC, specs.ArchPARISC64, specs.ArchRISCV64,
		specs.ArchLOONGARCH64, specs.ArchM68K, specs.ArchSH, specs.ArchSHEB,
	} {
		if accepts(specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{arch}}) && libseccompKnows(arch) {
			f.Archs = append(f.Archs, string(arch))
		}
	}
	for _, flag := range []specs.LinuxSeccompFlag{
		"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow,
		specs.LinuxSeccompFlagWaitKillableRecv,
	} {
		// With a notify rule, which SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs.
		if accepts(specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{flag}, Syscalls: rule(specs.ActNotify)}) {
			f.KnownFlags = append(f.KnownFlags, string(flag))
		}
	}
	return f
}

// libseccompKnows tells whether the libseccomp sprout is linked with can
// build filters for arch: Validate knows every architecture of the spec,
// an older library does not (2.5 has no loongarch64, m68k or sh), and the
// profile would fail when the init loads it.
func libseccompKnows(arch specs.Arch) bool {
	a, err := libseccomp.GetArchFromString(strings.TrimPrefix(string(arch), "SCMP_ARCH_"))
	if err != nil {
		return false
	}
	// Every architecture has read(2); an unsupported one resolves nothing.
	_, err = libseccomp.GetSyscallFromNameByArch("read", a)
	return err == nil
}
