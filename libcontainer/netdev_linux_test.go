package libcontainer

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidIfName(t *testing.T) {
	for _, ok := range []string{"eth0", "a", "net%d", "123456789012345"} {
		if err := validIfName(ok, true); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", "a:b", "a b", "1234567890123456", "a%s", "%d%d"} {
		if err := validIfName(bad, true); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := validIfName("eth%d", false); err == nil {
		t.Error("a template accepted as a host interface")
	}
}

func TestValidateNetDevices(t *testing.T) {
	withNet := func(devs map[string]specs.LinuxNetDevice) *specs.Spec {
		return &specs.Spec{Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace}}, NetDevices: devs,
		}}
	}
	if err := validateNetDevices(withNet(map[string]specs.LinuxNetDevice{"eth1": {}, "eth2": {Name: "net%d"}})); err != nil {
		t.Errorf("valid devices refused: %v", err)
	}
	for want, s := range map[string]*specs.Spec{
		"linux.netDevices: needs a network namespace": {Linux: &specs.Linux{NetDevices: map[string]specs.LinuxNetDevice{"eth1": {}}}},
		`linux.netDevices["a b"]`:                     withNet(map[string]specs.LinuxNetDevice{"a b": {}}),
		`linux.netDevices["eth2"].name`:               withNet(map[string]specs.LinuxNetDevice{"eth1": {Name: "c0"}, "eth2": {Name: "c0"}}),
		`linux.netDevices["eth1"].name`:               withNet(map[string]specs.LinuxNetDevice{"eth1": {Name: "x/y"}}),
	} {
		if err := validateNetDevices(s); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("want %s..., got %v", want, err)
		}
	}
}
