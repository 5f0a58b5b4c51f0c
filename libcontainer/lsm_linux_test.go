package libcontainer

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestLSMWrites(t *testing.T) {
	p := &specs.Process{ApparmorProfile: "sprout-default", SelinuxLabel: "system_u:system_r:container_t:s0:c1,c2"}
	cases := []struct {
		apparmor, selinux bool
		want              []procWrite
	}{
		{false, false, nil},
		{true, false, []procWrite{{"process.apparmorProfile", "/proc/thread-self/attr/apparmor/exec", "exec sprout-default"}}},
		{false, true, []procWrite{{"process.selinuxLabel", "/proc/thread-self/attr/exec", "system_u:system_r:container_t:s0:c1,c2"}}},
		{true, true, []procWrite{
			{"process.apparmorProfile", "/proc/thread-self/attr/apparmor/exec", "exec sprout-default"},
			{"process.selinuxLabel", "/proc/thread-self/attr/exec", "system_u:system_r:container_t:s0:c1,c2"},
		}},
	}
	for _, c := range cases {
		if got := lsmWrites(p, c.apparmor, c.selinux); !reflect.DeepEqual(got, c.want) {
			t.Errorf("apparmor=%v selinux=%v: got %v, want %v", c.apparmor, c.selinux, got, c.want)
		}
	}
	if got := lsmWrites(&specs.Process{}, true, true); got != nil {
		t.Errorf("no labels asked for, got %v", got)
	}
}
