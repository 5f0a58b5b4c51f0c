package spec

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// seedConfigs are config.json documents for the fuzzer to start from: the
// default one and the known-bad shapes of the validator's table.
func seedConfigs(f *testing.F) {
	base, err := json.Marshal(validBase())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(base)
	f.Add([]byte(`{"ociVersion":"1.0.2",`))
	f.Add([]byte(`{"ociVersion":"1.0.2","process":{"user":{"uid":4294967296},"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{}}`))
	f.Add([]byte(`{"ociVersion":"1.0.2","process":{"user":{"uid":-1},"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{}}`))
	f.Add([]byte(`{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","env":["A"]},"root":{"path":"/"},"linux":{"sysctl":{"net.ipv4.ip_forward":"1"}}}`))
	f.Add([]byte(`{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"/"},"mounts":[{"destination":"/x","type":"tmpfs","source":"tmpfs"}],"linux":{"namespaces":[{"type":"pid"}]}}`))
	for _, m := range []func(s *specs.Spec){
		func(s *specs.Spec) { s.Process.User.UID = 4294967295 },
		func(s *specs.Spec) { s.Process.User.AdditionalGids = []uint32{2147483648} },
		func(s *specs.Spec) {
			*s = *Default(true)
			s.Linux.UIDMappings[0] = specs.LinuxIDMapping{ContainerID: 4294967290, HostID: 0, Size: 10}
		},
		func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "c", GID: ptrTo(uint32(4294967295))}}
		},
		func(s *specs.Spec) { s.Mounts[2].Options = []string{"gid=4294967295"} },
		func(s *specs.Spec) { s.Linux.Namespaces[1].Path = "/proc/self/ns/net\x00x" },
		func(s *specs.Spec) { s.Linux.Namespaces[4].Path = "/proc/self/ns/mnt\x00" },
		func(s *specs.Spec) { s.Root.Path = "rootfs\x00" },
		func(s *specs.Spec) { s.Mounts[0].Destination = "/proc\x00" },
		func(s *specs.Spec) { s.Mounts[1].Options = []string{"size=1\x00"} },
		func(s *specs.Spec) { s.Hostname = "a\x00" },
		func(s *specs.Spec) { s.Process.Env = []string{"A=\x00"} },
		func(s *specs.Spec) { s.Process.Args = []string{"sh\x00"} },
		func(s *specs.Spec) { s.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/x\x00"}}} },
		func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward\x00": "1"} },
		func(s *specs.Spec) {
			withoutNamespace(s, specs.NetworkNamespace)
			s.Linux.Sysctl = map[string]string{"net.core.somaxconn": "1"}
		},
		func(s *specs.Spec) {
			withoutNamespace(s, specs.IPCNamespace)
			s.Linux.Sysctl = map[string]string{"kernel.sem": "1"}
		},
		func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net/../kernel/core_pattern": "|/x"} },
		func(s *specs.Spec) { withoutNamespace(s, specs.MountNamespace) },
		func(s *specs.Spec) {
			noMountNamespace(s)
			s.Root.Readonly = true
		},
		func(s *specs.Spec) {
			noMountNamespace(s)
			s.Root.Path = "rootfs"
		},
		func(s *specs.Spec) { s.Mounts = append(s.Mounts, specs.Mount{Destination: ".."}) },
		func(s *specs.Spec) { s.Mounts = append(s.Mounts, specs.Mount{Destination: "/"}) },
		func(s *specs.Spec) { s.Process.Env = []string{"FOO"} },
		func(s *specs.Spec) { s.Hostname = strings.Repeat("h", 65) },
	} {
		s := validBase()
		m(s)
		data, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzConfig decodes and validates config.json documents. Nothing may
// panic, and nothing the validator accepts may be one of the shapes it
// exists to refuse.
func FuzzConfig(f *testing.F) {
	seedConfigs(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		if err := Validate(s); err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		if bad := knownBad(s); bad != "" {
			t.Fatalf("accepted a config with %s", bad)
		}
	})
}

// knownBad names the first refused shape s has, independently of how the
// validator finds it.
func knownBad(s *specs.Spec) string {
	u := s.Process.User
	for _, id := range append([]uint32{u.UID, u.GID}, u.AdditionalGids...) {
		if id > 1<<31-1 {
			return "a process uid or gid out of range"
		}
	}
	for _, maps := range [][]specs.LinuxIDMapping{s.Linux.UIDMappings, s.Linux.GIDMappings} {
		for _, m := range maps {
			if m.Size == 0 || uint64(m.ContainerID)+uint64(m.Size) > 1<<32-1 || uint64(m.HostID)+uint64(m.Size) > 1<<32-1 {
				return "an ID mapping reaching (uid_t)-1"
			}
		}
	}
	for _, d := range s.Linux.Devices {
		if (d.UID != nil && *d.UID == 1<<32-1) || (d.GID != nil && *d.GID == 1<<32-1) {
			return "a device owned by (uid_t)-1"
		}
	}
	strs := []string{s.Root.Path, s.Hostname, s.Domainname, s.Process.Cwd, s.Linux.CgroupsPath}
	strs = append(strs, s.Process.Args...)
	strs = append(strs, s.Process.Env...)
	strs = append(strs, s.Linux.MaskedPaths...)
	strs = append(strs, s.Linux.ReadonlyPaths...)
	for _, n := range s.Linux.Namespaces {
		strs = append(strs, n.Path)
	}
	for k, v := range s.Linux.Sysctl {
		strs = append(strs, k, v)
	}
	own := map[specs.LinuxNamespaceType]bool{}
	for _, n := range s.Linux.Namespaces {
		own[n.Type] = true
	}
	for _, m := range s.Mounts {
		strs = append(append(strs, m.Source, m.Destination, m.Type), m.Options...)
		if filepath.Clean("/"+m.Destination) == "/" {
			return "a mount over the root"
		}
		for _, o := range m.Options {
			if o == "uid=4294967295" || o == "gid=4294967295" {
				return "a mount option naming (uid_t)-1"
			}
		}
	}
	if s.Hooks != nil {
		for _, ph := range hookPhases(s.Hooks) {
			for _, h := range ph.hooks {
				strs = append(append(append(strs, h.Path), h.Args...), h.Env...)
			}
		}
	}
	for _, v := range strs {
		if strings.IndexByte(v, 0) >= 0 {
			return "a NUL byte in a string passed to the kernel"
		}
	}
	for _, e := range s.Process.Env {
		if i := strings.IndexByte(e, '='); i <= 0 {
			return "an environment entry without a name or '='"
		}
	}
	if len(s.Hostname) > 64 || len(s.Domainname) > 64 {
		return "a hostname longer than the kernel takes"
	}
	for k := range s.Linux.Sysctl {
		path := "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
		if filepath.Clean(path) != path {
			return "a sysctl key that is not a clean path below /proc/sys"
		}
		need := map[string]specs.LinuxNamespaceType{
			"/proc/sys/net/": specs.NetworkNamespace, "/proc/sys/fs/mqueue/": specs.IPCNamespace,
			"/proc/sys/kernel/shm": specs.IPCNamespace, "/proc/sys/kernel/msg": specs.IPCNamespace,
			"/proc/sys/kernel/sem": specs.IPCNamespace, "/proc/sys/kernel/hostname": specs.UTSNamespace,
			"/proc/sys/kernel/domainname": specs.UTSNamespace,
		}
		found := false
		for prefix, t := range need {
			if strings.HasPrefix(path, prefix) {
				if !own[t] {
					return "a namespaced sysctl in the host's namespace"
				}
				found = true
			}
		}
		if !found {
			return "a sysctl of the host"
		}
	}
	if !own[specs.MountNamespace] {
		if len(s.Mounts) > 0 || len(s.Linux.MaskedPaths) > 0 || len(s.Linux.ReadonlyPaths) > 0 ||
			s.Root.Readonly || s.Linux.RootfsPropagation != "" || len(s.Linux.Devices) > 0 || filepath.Clean(s.Root.Path) != "/" {
			return "rootfs set-up without a mount namespace"
		}
	}
	return ""
}

// FuzzMountOptions splits comma-separated option lists. Each option is a
// flag, a propagation, a recursive attribute, bind, or data: exactly one.
func FuzzMountOptions(f *testing.F) {
	for _, seed := range []string{
		"nosuid,strictatime,mode=755,size=65536k", "rbind,ro,rprivate", "rro,rrw,rnosuid",
		"bind,rw,ro,rw", "uid=4294967295,gid=-1", "mode=755\x00", "", ",,", "defaults", "nosymfollow,rshared",
		"tmpcopyup,rnoatime,rrelatime", "rro,rrw", "rrw,rro",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, list string) {
		opts := strings.Split(list, ",")
		m := ParseMountOptions(opts)
		if m.Flags&m.ClearFlags != 0 {
			t.Fatalf("%q: flags %#x both set and cleared (%#x)", list, m.Flags, m.ClearFlags)
		}
		// The access-time mode is a field, cleared as a whole to set one.
		if both := m.RecAttrSet & m.RecAttrClr &^ unix.MOUNT_ATTR__ATIME; both != 0 {
			t.Fatalf("%q: recursive attributes %#x both set and cleared", list, both)
		}
		if len(m.Data) > len(opts) {
			t.Fatalf("%q: more data options than options", list)
		}
		for _, o := range opts {
			one := ParseMountOptions([]string{o})
			known := one.Flags != 0 || one.ClearFlags != 0 || len(one.Propagation) > 0 ||
				one.RecAttrSet != 0 || one.RecAttrClr != 0 || one.Bind || one.CopyUp || o == "defaults"
			switch {
			case known && len(one.Data) != 0:
				t.Fatalf("%q: known and passed as data too", o)
			case !known && (len(one.Data) != 1 || one.Data[0] != o):
				t.Fatalf("%q: unknown, but data is %q", o, one.Data)
			}
		}
		if validateMountOptions(opts) == nil {
			for _, d := range m.Data {
				if d == "" || strings.IndexByte(d, 0) >= 0 {
					t.Fatalf("%q: accepted data %q", list, d)
				}
			}
		}
	})
}

// FuzzValidateFields sets the fields the validator guards on a valid
// config directly, so that every run reaches the checks rather than the
// JSON decoder.
func FuzzValidateFields(f *testing.F) {
	f.Add(uint32(0), uint32(0), uint32(0), uint32(1), "", "/tmp", "A=1", "sprout", "net.ipv4.ip_forward", "rootfs", "mode=755", uint8(0))
	f.Add(uint32(4294967295), uint32(5), uint32(4294967295), uint32(2), "/proc/self/ns/net\x00x", ".", "FOO", "a\x00b", "vm.swappiness", "/", "uid=4294967295", uint8(1))
	f.Add(uint32(2147483648), uint32(2147483647), uint32(4294967294), uint32(1), "/proc/1/ns/net", "..", "=x", strings.Repeat("h", 65), "kernel.shmmax", "/x/..", "gid=-1", uint8(2))
	f.Add(uint32(1000), uint32(1000), uint32(100000), uint32(65536), "", "/proc/../..", "A=\x00", "", "net/../kernel/core_pattern", "rootfs\x00", "size=1\x00", uint8(3))
	f.Fuzz(func(t *testing.T, uid, gid, hostID, size uint32, nsPath, dest, env, hostname, sysctl, root, opt string, drop uint8) {
		s := validBase()
		s.Process.User = specs.User{UID: uid, GID: gid, AdditionalGids: []uint32{gid ^ uid}}
		s.Linux.Namespaces[1].Path = nsPath
		s.Mounts = append(s.Mounts, specs.Mount{Destination: dest, Type: "tmpfs", Source: "tmpfs", Options: []string{opt}})
		s.Process.Env = append(s.Process.Env, env)
		s.Hostname = hostname
		s.Linux.Sysctl = map[string]string{sysctl: "1"}
		s.Root.Path = root
		if drop&1 != 0 {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: uid, HostID: hostID, Size: size}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: gid, HostID: hostID, Size: size}}
		}
		switch drop >> 1 % 4 {
		case 1:
			withoutNamespace(s, specs.MountNamespace)
		case 2:
			noMountNamespace(s)
			s.Root.Path = root
		case 3:
			withoutNamespace(s, specs.NetworkNamespace)
			withoutNamespace(s, specs.IPCNamespace)
			withoutNamespace(s, specs.UTSNamespace)
		}
		err := Validate(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		if bad := knownBad(s); bad != "" {
			t.Fatalf("accepted a config with %s", bad)
		}
	})
}
