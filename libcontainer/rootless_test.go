package libcontainer

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestNeedsCgroup(t *testing.T) {
	limit := int64(1 << 20)
	for _, tc := range []struct {
		name string
		r    *specs.LinuxResources
		want bool
	}{
		{"none", nil, false},
		{"device rules only", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}, false},
		{"a memory limit", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}, true},
		{"unified", &specs.LinuxResources{Unified: map[string]string{"pids.max": "10"}}, true},
	} {
		if got := needsCgroup(tc.r); got != tc.want {
			t.Errorf("%s: needsCgroup %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestIsOwnIDOnly(t *testing.T) {
	for _, tc := range []struct {
		maps []specs.LinuxIDMapping
		want bool
	}{
		{[]specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}, true},
		{[]specs.LinuxIDMapping{{ContainerID: 5, HostID: 1000, Size: 1}}, true},
		{[]specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 2}}, false},
		{[]specs.LinuxIDMapping{{ContainerID: 0, HostID: 1001, Size: 1}}, false},
		{[]specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 10}}, false},
	} {
		if got := isOwnIDOnly(tc.maps, 1000); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.maps, got, tc.want)
		}
	}
}
