package spec

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestParseForInitKeepsAllButResources round-trips a config with every
// linux section set: the init's view must lose linux.resources and nothing
// else, and the full view must keep it.
func TestParseForInitKeepsAllButResources(t *testing.T) {
	s := Default(false)
	s.Hostname, s.Domainname = "h", "d"
	s.Annotations = map[string]string{"a": "b"}
	s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true", Args: []string{"true"}}}}
	l := s.Linux
	l.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	l.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	l.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	l.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: new(int64(10))}}
	l.CgroupsPath = "/x"
	l.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}}
	l.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: "e"}}
	l.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	l.RootfsPropagation = "rslave"
	l.MountLabel = "label"
	l.IntelRdt = &specs.LinuxIntelRdt{ClosID: "c"}
	l.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "MPOL_BIND", Nodes: "0"}
	l.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux}
	l.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
	data, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	full, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(full, s) {
		t.Fatalf("Parse(Marshal(s)) differs from s:\n%+v\n%+v", full.Linux, s.Linux)
	}
	got, err := ParseForInit(data)
	if err != nil {
		t.Fatal(err)
	}
	want := *s
	wantLinux := *s.Linux
	wantLinux.Resources = nil
	want.Linux = &wantLinux
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("ParseForInit(Marshal(s)):\n%+v\nwant\n%+v", got.Linux, want.Linux)
	}
	if got, err := ParseForInit([]byte(`{"ociVersion":"1.2.0"}`)); err != nil || got.Linux != nil {
		t.Fatalf("ParseForInit of a config without linux: %+v, %v", got, err)
	}
}
