package spec

import (
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Refusals of spec.Validate that TestValidate does not cover: each names
// the field at fault.
func TestValidateNamesTheField(t *testing.T) {
	userns := func(s *specs.Spec) { *s = *Default(true) }
	for _, tc := range []struct {
		name   string
		mutate func(s *specs.Spec)
		want   string
	}{
		{"no root", func(s *specs.Spec) { s.Root = nil }, "root.path: must be set"},
		{"no process", func(s *specs.Spec) { s.Process = nil }, "process: must be set"},
		{"no linux", func(s *specs.Spec) { s.Linux = nil }, "linux: must be set"},
		{"empty cwd", func(s *specs.Spec) { s.Process.Cwd = "" }, "process.cwd: must be set"},
		{"relative cwd", func(s *specs.Spec) { s.Process.Cwd = "tmp" }, `process.cwd "tmp": must be an absolute path`},
		{"unknown rlimit", func(s *specs.Spec) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_NOPE"})
		},
			`process.rlimits[1]: unknown type "RLIMIT_NOPE"`},
		{"rlimit twice", func(s *specs.Spec) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: 1, Hard: 1})
		}, "process.rlimits[1]: RLIMIT_NOFILE given twice"},
		{"soft above hard", func(s *specs.Spec) { s.Process.Rlimits[0].Soft = 2048 }, "process.rlimits[0]: RLIMIT_NOFILE soft limit 2048 is above the hard limit 1024"},
		{"oomScoreAdj 1001", func(s *specs.Spec) { s.Process.OOMScoreAdj = ptrTo(1001) }, "process.oomScoreAdj: 1001 is outside -1000..1000"},
		{"oomScoreAdj -1000", func(s *specs.Spec) { s.Process.OOMScoreAdj = ptrTo(-1000) }, ""},
		{"consoleSize without terminal", func(s *specs.Spec) { s.Process.ConsoleSize = &specs.Box{Height: 1, Width: 1} }, "process.consoleSize: needs process.terminal"},
		{"unknown namespace", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "nope"})
		}, `linux.namespaces[6]: unknown namespace type "nope"`},
		{"namespace twice", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.PIDNamespace})
		}, "linux.namespaces[6]: pid namespace given twice"},
		{"relative namespace path", func(s *specs.Spec) { s.Linux.Namespaces[1].Path = "netns/a" }, `linux.namespaces[1].path "netns/a": must be absolute`},
		{"every namespace type", func(s *specs.Spec) {
			*s = *Default(true)
			s.Linux.Namespaces = nil
			for _, k := range NamespaceKinds {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: k.Type})
			}
		}, ""},
		{"mappings without userns", func(s *specs.Spec) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
		}, "linux.uidMappings: needs a new user namespace"},
		{"gid mappings alone without userns", func(s *specs.Spec) {
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
		}, "linux.gidMappings: needs a new user namespace"},
		{"userns without mappings", func(s *specs.Spec) { userns(s); s.Linux.UIDMappings = nil }, "linux.uidMappings: a new user namespace needs ID mappings"},
		{"time offsets without timens", func(s *specs.Spec) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, "linux.timeOffsets: needs a new time namespace"},
		{"time offsets, joined timens", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace, Path: "/proc/1/ns/time"})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, "linux.timeOffsets: needs a new time namespace"},
		{"unknown clock", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"realtime": {Secs: 1}}
		}, `linux.timeOffsets: unknown clock "realtime"`},
		{"time offsets", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}, "boottime": {Secs: -1}}
		}, ""},
		{"empty destination", func(s *specs.Spec) { s.Mounts[2].Destination = "" }, "mounts[2].destination: must be set"},
		{"empty mount option", func(s *specs.Spec) { s.Mounts[1].Options = append(s.Mounts[1].Options, "") }, "mounts[1] (/dev): empty mount option"},
		{"unknown rootfsPropagation", func(s *specs.Spec) { s.Linux.RootfsPropagation = "rsharedish" }, `linux.rootfsPropagation: unknown propagation "rsharedish"`},
		{"rootfsPropagation", func(s *specs.Spec) { s.Linux.RootfsPropagation = "rslave" }, ""},
	} {
		s := validBase()
		tc.mutate(s)
		err := Validate(s)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestNamespaceKinds(t *testing.T) {
	flags := map[uint32]bool{}
	for _, k := range NamespaceKinds {
		if k.CloneFlag == 0 || flags[k.CloneFlag] {
			t.Errorf("%s: clone flag %#x is zero or repeated", k.Type, k.CloneFlag)
		}
		flags[k.CloneFlag] = true
		if _, err := os.Readlink("/proc/self/ns/" + k.ProcName); err != nil {
			t.Errorf("%s: %v", k.Type, err)
		}
		if got, ok := NamespaceKindOf(k.Type); !ok || got != k {
			t.Errorf("NamespaceKindOf(%s) = %+v, %v", k.Type, got, ok)
		}
	}
	if len(NamespaceKinds) != 8 {
		t.Errorf("%d namespace types, the runtime spec has 8", len(NamespaceKinds))
	}
	// Exec joins the user namespace first and the mount namespace last.
	if NamespaceKinds[0].Type != specs.UserNamespace || NamespaceKinds[len(NamespaceKinds)-1].Type != specs.MountNamespace {
		t.Errorf("order %v", NamespaceKinds)
	}
	if _, ok := NamespaceKindOf("nope"); ok {
		t.Error("an unknown type was found")
	}
}
