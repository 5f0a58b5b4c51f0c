package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func ptrTo[T any](v T) *T { return &v }

// validBase is the config `sprout spec` writes, which must pass.
func validBase() *specs.Spec {
	s := Default(false)
	s.Process.Terminal = false
	return s
}

func withoutNamespace(s *specs.Spec, t specs.LinuxNamespaceType) {
	var ns []specs.LinuxNamespace
	for _, n := range s.Linux.Namespaces {
		if n.Type != t {
			ns = append(ns, n)
		}
	}
	s.Linux.Namespaces = ns
}

// noMountNamespace is a config that may run without a mount namespace:
// nothing to mount or mask, the host's root.
func noMountNamespace(s *specs.Spec) {
	withoutNamespace(s, specs.MountNamespace)
	s.Mounts = nil
	s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
	s.Root = &specs.Root{Path: "/"}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(s *specs.Spec)
		want   string // "" when the config is valid
	}{
		{"default", func(s *specs.Spec) {}, ""},
		{"rootless default", func(s *specs.Spec) { *s = *Default(true) }, ""},

		// 1: IDs that are not IDs.
		{"uid -1", func(s *specs.Spec) { s.Process.User.UID = 4294967295 }, "process.user.uid: 4294967295 is out of range"},
		{"uid 2^31", func(s *specs.Spec) { s.Process.User.UID = 2147483648 }, "process.user.uid: 2147483648 is out of range"},
		{"uid 2^31-1", func(s *specs.Spec) { s.Process.User.UID = 2147483647 }, ""},
		{"gid -1", func(s *specs.Spec) { s.Process.User.GID = 4294967295 }, "process.user.gid: 4294967295"},
		{"additional gid -1", func(s *specs.Spec) { s.Process.User.AdditionalGids = []uint32{5, 4294967295} }, "process.user.additionalGids[1]"},
		{"uid mapping past -1", func(s *specs.Spec) {
			*s = *Default(true)
			s.Linux.UIDMappings[0] = specs.LinuxIDMapping{ContainerID: 0, HostID: 4294967295, Size: 1}
		}, "linux.uidMappings[0]: hostID 4294967295"},
		{"gid mapping wraps", func(s *specs.Spec) {
			*s = *Default(true)
			s.Linux.GIDMappings[0] = specs.LinuxIDMapping{ContainerID: 4294967290, HostID: 1000, Size: 100}
		}, "linux.gidMappings[0]: containerID 4294967290"},
		{"mapping size 0", func(s *specs.Spec) {
			*s = *Default(true)
			s.Linux.UIDMappings[0].Size = 0
		}, "linux.uidMappings[0].size"},
		{"mappings overlapping in the container", func(s *specs.Spec) {
			*s = *Default(true)
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 10}, {ContainerID: 9, HostID: 200000, Size: 1}}
		}, "linux.uidMappings[1]: containerID 9-9 overlaps linux.uidMappings[0]'s 0-9"},
		{"mappings overlapping on the host", func(s *specs.Spec) {
			*s = *Default(true)
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 10}, {ContainerID: 10, HostID: 99995, Size: 10}}
		}, "linux.gidMappings[1]: hostID 99995-100004 overlaps linux.gidMappings[0]'s 100000-100009"},
		{"mappings side by side", func(s *specs.Spec) {
			*s = *Default(true)
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 10}, {ContainerID: 10, HostID: 100010, Size: 10}}
		}, ""},
		{"mapping to the last ID", func(s *specs.Spec) {
			*s = *Default(true)
			s.Linux.UIDMappings[0] = specs.LinuxIDMapping{ContainerID: 0, HostID: 4294967294, Size: 1}
		}, ""},
		{"device uid -1", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, UID: ptrTo(uint32(4294967295))}}
		}, "linux.devices[0] (/dev/fuse): uid 4294967295"},
		{"device gid -1", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, GID: ptrTo(uint32(4294967295))}}
		}, "linux.devices[0] (/dev/fuse): gid 4294967295"},
		{"mount uid=-1", func(s *specs.Spec) { s.Mounts[1].Options = append(s.Mounts[1].Options, "uid=4294967295") }, "mounts[1] (/dev): option \"uid=4294967295\""},
		{"mount gid=-1 text", func(s *specs.Spec) { s.Mounts[2].Options = []string{"gid=-1"} }, "mounts[2] (/dev/pts): option \"gid=-1\""},
		{"mount gid too big", func(s *specs.Spec) { s.Mounts[2].Options = []string{"gid=4294967296"} }, "option \"gid=4294967296\""},
		{"mount uidMappings past -1", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/v", Source: "/v", Options: []string{"bind"},
				UIDMappings: []specs.LinuxIDMapping{{ContainerID: 1, HostID: 0, Size: 4294967295}}})
		}, "mounts[7] (/v): uidMappings[0]: containerID 1 + size 4294967295"},

		// 2: NUL bytes.
		{"NUL in namespace path", func(s *specs.Spec) {
			s.Linux.Namespaces[1].Path = "/proc/self/ns/net\x00x"
		}, "linux.namespaces[1].path: contains a NUL byte"},
		{"NUL in root.path", func(s *specs.Spec) { s.Root.Path = "rootfs\x00/x" }, "root.path: contains a NUL byte"},
		{"NUL in mount source", func(s *specs.Spec) { s.Mounts[0].Source = "proc\x00" }, "mounts[0].source"},
		{"NUL in mount destination", func(s *specs.Spec) { s.Mounts[3].Destination = "/dev/shm\x00/x" }, "mounts[3].destination"},
		{"NUL in mount type", func(s *specs.Spec) { s.Mounts[3].Type = "tmpfs\x00" }, "mounts[3].type"},
		{"NUL in mount data", func(s *specs.Spec) { s.Mounts[1].Options[2] = "mode=755\x00,uid=0" }, "mounts[1].options[2]"},
		{"NUL in hostname", func(s *specs.Spec) { s.Hostname = "a\x00b" }, "hostname: contains a NUL byte"},
		{"NUL in domainname", func(s *specs.Spec) { s.Domainname = "a\x00b" }, "domainname: contains a NUL byte"},
		{"NUL in env", func(s *specs.Spec) { s.Process.Env = append(s.Process.Env, "A=b\x00c") }, "process.env[2]"},
		{"NUL in args", func(s *specs.Spec) { s.Process.Args = []string{"sh", "-c\x00"} }, "process.args[1]"},
		{"NUL in cwd", func(s *specs.Spec) { s.Process.Cwd = "/\x00tmp" }, "process.cwd"},
		{"NUL in hook path", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true\x00x"}}}
		}, "hooks.poststop[0].path"},
		{"NUL in hook args", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true", Args: []string{"true", "\x00"}}}}
		}, "hooks.createRuntime[0].args[1]"},
		{"NUL in hook env", func(s *specs.Spec) {
			//lint:ignore SA1019 the deprecated phase is still checked
			s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/bin/true", Env: []string{"A=\x00"}}}}
		}, "hooks.prestart[0].env[0]"},
		{"NUL in sysctl key", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward\x00": "1"} }, "linux.sysctl key"},
		{"NUL in sysctl value", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1\x000"} }, `linux.sysctl "net.ipv4.ip_forward": contains a NUL byte`},
		{"NUL in masked path", func(s *specs.Spec) { s.Linux.MaskedPaths[0] = "/proc/kcore\x00" }, "linux.maskedPaths[0]"},
		{"NUL in readonly path", func(s *specs.Spec) { s.Linux.ReadonlyPaths[1] = "/proc/fs\x00" }, "linux.readonlyPaths[1]"},
		{"NUL in device path", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse\x00", Type: "c", Major: 10, Minor: 229}}
		}, "linux.devices[0].path"},
		{"NUL in cgroupsPath", func(s *specs.Spec) { s.Linux.CgroupsPath = "/a\x00b" }, "linux.cgroupsPath"},

		// 3: namespaced sysctls in the host's namespace.
		{"net sysctl with netns", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"} }, ""},
		{"net sysctl, slashes", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net/ipv4/ip_forward": "1"} }, ""},
		{"net sysctl without netns", func(s *specs.Spec) {
			withoutNamespace(s, specs.NetworkNamespace)
			s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
		}, `linux.sysctl "net.ipv4.ip_forward": not allowed in the host's network namespace`},
		{"ipc sysctl without ipcns", func(s *specs.Spec) {
			withoutNamespace(s, specs.IPCNamespace)
			s.Linux.Sysctl = map[string]string{"kernel.shmmax": "1"}
		}, `linux.sysctl "kernel.shmmax": not allowed in the host's ipc namespace`},
		{"mqueue sysctl without ipcns", func(s *specs.Spec) {
			withoutNamespace(s, specs.IPCNamespace)
			s.Linux.Sysctl = map[string]string{"fs.mqueue.msg_max": "1"}
		}, "host's ipc namespace"},
		{"kernel.domainname without utsns", func(s *specs.Spec) {
			withoutNamespace(s, specs.UTSNamespace)
			s.Hostname = ""
			s.Linux.Sysctl = map[string]string{"kernel.domainname": "x"}
		}, "host's uts namespace"},
		{"kernel.domainname with utsns", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.domainname": "x"} }, ""},
		{"kernel.hostname with utsns", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.hostname": "x"} },
			`linux.sysctl "kernel.hostname": is not allowed as it conflicts with the OCI "hostname" field`},
		{"host sysctl", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"vm.swappiness": "1"} }, "is not in a separate kernel namespace"},
		{"sysctl climbing out", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net/../kernel/core_pattern": "x"} }, "not a sysctl name"},
		{"sysctl ending in a dot", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.": "x"} }, "not a sysctl name"},

		// 4: no mount namespace.
		{"no mountns, nothing to mount", noMountNamespace, ""},
		{"no mountns, mounts", func(s *specs.Spec) {
			noMountNamespace(s)
			s.Mounts = []specs.Mount{{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"}}
		}, "mounts: needs a private mount namespace"},
		{"no mountns, default masked paths", func(s *specs.Spec) {
			withoutNamespace(s, specs.MountNamespace)
			s.Mounts = nil
		}, "linux.maskedPaths: unable to restrict sys entries without a private MNT namespace"},
		{"no mountns, read-only paths", func(s *specs.Spec) {
			noMountNamespace(s)
			s.Linux.ReadonlyPaths = []string{"/proc/sys"}
		}, "linux.readonlyPaths: unable to restrict"},
		{"no mountns, root.readonly", func(s *specs.Spec) {
			noMountNamespace(s)
			s.Root.Readonly = true
		}, "root.readonly: needs a private mount namespace"},
		{"no mountns, rootfsPropagation", func(s *specs.Spec) {
			noMountNamespace(s)
			s.Linux.RootfsPropagation = "rprivate"
		}, "linux.rootfsPropagation: needs a private mount namespace"},
		{"no mountns, devices", func(s *specs.Spec) {
			noMountNamespace(s)
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}}
		}, "linux.devices: needs a private mount namespace"},
		{"no mountns, rootfs", func(s *specs.Spec) {
			noMountNamespace(s)
			s.Root.Path = "rootfs"
		}, `root.path "rootfs": must be / without a private mount namespace`},
		{"joined mountns may mount", func(s *specs.Spec) {
			s.Linux.Namespaces[4].Path = "/proc/1/ns/mnt"
		}, ""},

		// 7: shapes that have no meaning.
		{"mount on /", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/", Type: "tmpfs", Source: "tmpfs"})
		}, `mounts[7].destination "/": a mount over the container's root is not allowed`},
		{"mount on .", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: ".", Type: "tmpfs", Source: "tmpfs"})
		}, `mounts[7].destination "."`},
		{"mount on ..", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "..", Type: "tmpfs", Source: "tmpfs"})
		}, `mounts[7].destination ".."`},
		{"mount on /proc/../..", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/proc/../..", Type: "tmpfs", Source: "tmpfs"})
		}, `mounts[7].destination "/proc/../.."`},
		{"relative destination, from / as in runc", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "tmp", Type: "tmpfs", Source: "tmpfs"})
		}, ""},
		{"env without =", func(s *specs.Spec) { s.Process.Env = append(s.Process.Env, "FOO") }, `process.env[2] "FOO": invalid environment variable: missing '='`},
		{"env without name", func(s *specs.Spec) { s.Process.Env = []string{"=x"} }, "name cannot be empty"},
		{"env with empty value", func(s *specs.Spec) { s.Process.Env = []string{"A="} }, ""},
		{"hostname of 64 bytes", func(s *specs.Spec) { s.Hostname = strings.Repeat("h", 64) }, ""},
		{"hostname of 65 bytes", func(s *specs.Spec) { s.Hostname = strings.Repeat("h", 65) }, "hostname: 65 bytes"},
		{"domainname of 65 bytes", func(s *specs.Spec) { s.Domainname = strings.Repeat("d", 65) }, "domainname: 65 bytes"},
		{"hostname without utsns", func(s *specs.Spec) { withoutNamespace(s, specs.UTSNamespace) }, "hostname: needs a new uts namespace"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validBase()
			tc.mutate(s)
			err := Validate(s)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("accepted, want an error containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Fatalf("error %q spans lines", err)
			}
		})
	}
}

func TestValidateExecProcess(t *testing.T) {
	cases := []struct {
		name string
		p    specs.Process
		want string
	}{
		{"plain", specs.Process{Args: []string{"ls"}, Env: []string{"A=1"}, Cwd: "/"}, ""},
		{"uid -1", specs.Process{Args: []string{"ls"}, User: specs.User{UID: 4294967295}}, "process.user.uid"},
		{"NUL in arg", specs.Process{Args: []string{"ls", "a\x00"}}, "process.args[1]"},
		{"env without =", specs.Process{Args: []string{"ls"}, Env: []string{"A"}}, "process.env[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateExecProcess(&tc.p)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestValidateSharedNamespaces(t *testing.T) {
	// A namespace joined by path that the caller found to be its own
	// counts as shared.
	s := validBase()
	s.Linux.Namespaces[1].Path = "/proc/self/ns/net"
	s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	if err := Validate(s); err != nil {
		t.Fatalf("joined netns refused by the pure check: %v", err)
	}
	shared := SharedNamespaces(s)
	if shared[specs.NetworkNamespace] {
		t.Fatal("a joined netns is shared by the config alone")
	}
	shared[specs.NetworkNamespace] = true
	err := ValidateSharedNamespaces(s, shared)
	if err == nil || !strings.Contains(err.Error(), "host's network namespace") {
		t.Fatalf("error %v", err)
	}
}

func TestReadConfigFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "config.json")
	if err := os.WriteFile(good, []byte(`{"ociVersion":"1.0.2"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConfigFile(good); err != nil {
		t.Fatalf("regular file: %v", err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, MaxConfigSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	exact := filepath.Join(dir, "exact.json")
	if err := os.WriteFile(exact, make([]byte, MaxConfigSize), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConfigFile(exact); err != nil {
		t.Fatalf("file of exactly the limit: %v", err)
	}
	cases := []struct{ path, want string }{
		{big, "larger than the 4194304 bytes (4 MiB) allowed"},
		{"/dev/zero", "not a regular file (a character device)"},
		{dir, "not a regular file (a directory)"},
		{filepath.Join(dir, "missing"), "no such file"},
	}
	for _, tc := range cases {
		_, err := ReadConfigFile(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.path, err, tc.want)
		}
	}
}

func TestRootfsPath(t *testing.T) {
	bundle := t.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(bundle, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("rootfs", filepath.Join(bundle, "rel")); err != nil {
		t.Fatal(err)
	}
	// The bundle itself reached through a link is fine.
	viaLink := filepath.Join(t.TempDir(), "bundle")
	if err := os.Symlink(bundle, viaLink); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ bundle, root, want string }{
		{bundle, "rootfs", ""},
		{viaLink, "rootfs", ""},
		{bundle, filepath.Join(bundle, "rootfs"), ""},
		{bundle, "link", "invalid rootfs: it is a symlink"},
		{bundle, "rel", "invalid rootfs: it is a symlink"},
		{bundle, filepath.Join(bundle, "link"), "invalid rootfs"},
		{bundle, "missing", "not a directory"},
	}
	for _, tc := range cases {
		got, err := RootfsPath(tc.bundle, tc.root)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s in %s: %v", tc.root, tc.bundle, err)
			} else if !filepath.IsAbs(got) {
				t.Errorf("%s in %s: %q is not absolute", tc.root, tc.bundle, got)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s in %s: error %v, want %q", tc.root, tc.bundle, err, tc.want)
		}
	}
}
