// Package spec loads, validates and generates OCI runtime configurations.
package spec

import (
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/cgroups"
)

var defaultCaps = []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}

// ForHost returns the configuration `sprout spec` writes: Default, with a
// cgroup namespace only on a cgroup2-only host, as newer runc does (1.1
// never adds one). On a v1 or hybrid host the container would see its v1
// hierarchies rooted at its cgroup while `exec --cgroup` and a forced delete
// of its sub-cgroups work with the host's view.
func ForHost(rootless bool) *specs.Spec {
	s := Default(rootless)
	if cgroups.DetectMode() != cgroups.Unified {
		var ns []specs.LinuxNamespace
		for _, n := range s.Linux.Namespaces {
			if n.Type != specs.CgroupNamespace {
				ns = append(ns, n)
			}
		}
		s.Linux.Namespaces = ns
	}
	return s
}

// Default returns the configuration runc writes, with a cgroup namespace,
// so that a bundle made for one runtime works with the other. With
// rootless it maps the caller's IDs to root in a new user namespace.
func Default(rootless bool) *specs.Spec {
	caps := func() []string { return append([]string(nil), defaultCaps...) }
	s := &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Terminal: true,
			User:     specs.User{UID: 0, GID: 0},
			Args:     []string{"sh"},
			Env:      []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"},
			Cwd:      "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps(), Effective: caps(), Permitted: caps(), Ambient: caps(),
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: "rootfs", Readonly: true},
		Hostname: "sprout",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		},
		Linux: &specs.Linux{
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace}, {Type: specs.CgroupNamespace},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
			},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
	if rootless {
		makeRootless(s)
	}
	return s
}

func makeRootless(s *specs.Spec) {
	s.Linux.Resources = nil
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Geteuid()), Size: 1}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Getegid()), Size: 1}}
	var ns []specs.LinuxNamespace
	for _, n := range s.Linux.Namespaces {
		// A rootless caller cannot make a network namespace worth having,
		// nor a cgroup namespace over cgroups it may not own.
		if n.Type != specs.NetworkNamespace && n.Type != specs.CgroupNamespace {
			ns = append(ns, n)
		}
	}
	s.Linux.Namespaces = append(ns, specs.LinuxNamespace{Type: specs.UserNamespace})
	for i := range s.Mounts {
		m := &s.Mounts[i]
		switch m.Destination {
		case "/dev/pts":
			m.Options = removeOption(m.Options, "gid=5")
		case "/sys":
			m.Type, m.Source = "none", "/sys"
			m.Options = []string{"rbind", "nosuid", "noexec", "nodev", "ro"}
		}
	}
}

func removeOption(opts []string, drop string) []string {
	var out []string
	for _, o := range opts {
		if o != drop {
			out = append(out, o)
		}
	}
	return out
}
