package systemd

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func dev(allow bool, typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	d := specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Access: access}
	if major != -2 {
		d.Major = new(major)
	}
	if minor != -2 {
		d.Minor = new(minor)
	}
	return d
}

func TestDeviceProperties(t *testing.T) {
	open := []string{`DevicePolicy="auto"`, "DeviceAllow=@a(ss) []"}
	for _, tc := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  []string
	}{
		{"allow-list", []specs.LinuxDeviceCgroup{
			dev(false, "a", -2, -2, "rwm"),
			dev(true, "c", 1, 3, "rwm"),
			dev(true, "c", 136, -1, "rw"),
			dev(true, "b", -1, -1, "m"),
			dev(true, "a", -2, -2, "r"),
		}, []string{`DevicePolicy="strict"`, "DeviceAllow=@a(ss) []",
			`DeviceAllow=[("/dev/char/1:3", "rwm",), ("char-pts", "rw",), ("block-*", "m",), ("char-*", "r",), ("block-*", "r",)]`}},
		{"nothing allowed", []specs.LinuxDeviceCgroup{dev(false, "", -2, -2, "")},
			[]string{`DevicePolicy="strict"`, "DeviceAllow=@a(ss) []", "DeviceAllow=@a(ss) []"}},
		{"allow all", []specs.LinuxDeviceCgroup{dev(false, "a", -2, -2, "rwm"), dev(true, "a", -2, -2, "rwm")}, open},
		{"no reset: a fresh cgroup allows all", []specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "rwm")}, open},
		// What systemd cannot say is left to the device program.
		{"deny after allow", []specs.LinuxDeviceCgroup{dev(false, "a", -2, -2, "rwm"), dev(true, "c", 136, -1, "rwm"), dev(false, "c", 136, 2, "rwm")}, open},
		{"deny-list", []specs.LinuxDeviceCgroup{dev(false, "c", 1, 3, "rwm")}, open},
		{"any major", []specs.LinuxDeviceCgroup{dev(false, "a", -2, -2, "rwm"), dev(true, "c", -1, 3, "rwm")}, open},
		{"no such group", []specs.LinuxDeviceCgroup{dev(false, "a", -2, -2, "rwm"), dev(true, "c", 250, -1, "rwm")}, open},
		{"no such node", []specs.LinuxDeviceCgroup{dev(false, "a", -2, -2, "rwm"), dev(true, "c", 1, 9, "rwm")}, open},
	} {
		got, err := deviceProperties(tc.rules, fakeHost)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if s := show(got); !reflect.DeepEqual(s, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, s, tc.want)
		}
	}
}
