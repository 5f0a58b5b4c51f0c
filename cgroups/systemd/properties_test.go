package systemd

import (
	"reflect"
	"strings"
	"testing"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fakeHost is systemd 252 on a machine with /dev/char/1:3 and the "pts"
// character group (136).
var fakeHost = host{
	version: 252,
	deviceGroup: func(typ byte, major int64) (string, error) {
		if typ == 'c' && major == 136 {
			return "char-pts", nil
		}
		return "", nil
	},
	exists: func(path string) bool { return path == "/dev/char/1:3" },
}

// show renders properties as "Name=value" in GVariant text, in order.
func show(props []sd.Property) []string {
	out := make([]string, 0, len(props))
	for _, p := range props {
		out = append(out, p.Name+"="+p.Value.String())
	}
	return out
}

func TestResourceProperties(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *specs.LinuxResources
		h    host
		want []string
	}{
		{"empty", &specs.LinuxResources{}, fakeHost, []string{}},
		{"memory", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(1 << 30)), Reservation: new(int64(1 << 20)), Swap: new(int64(2 << 30))}}, fakeHost,
			[]string{"MemoryMax=@t 1073741824", "MemoryLow=@t 1048576", "MemorySwapMax=@t 1073741824"}},
		{"memory unlimited", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(-1))}}, fakeHost,
			[]string{"MemoryMax=@t 18446744073709551615", "MemorySwapMax=@t 18446744073709551615"}},
		// memory+swap equal to memory: no swap, which the files say with 0.
		{"no swap", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(1 << 30)), Swap: new(int64(1 << 30))}}, fakeHost,
			[]string{"MemoryMax=@t 1073741824", "MemorySwapMax=@t 0"}},
		{"cpu", &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: new(uint64(1024)), Quota: new(int64(50000)), Period: new(uint64(100000)), Cpus: "0-1,3", Mems: "0"}}, fakeHost,
			[]string{"CPUWeight=@t 39", "CPUQuotaPeriodUSec=@t 100000", "CPUQuotaPerSecUSec=@t 500000", "AllowedCPUs=@ay [0xb]", "AllowedMemoryNodes=@ay [0x1]"}},
		// 33333/100000 s per s is 333330 µs, which systemd keeps as 34%.
		{"cpu quota rounded up", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: new(int64(33333))}}, fakeHost,
			[]string{"CPUQuotaPerSecUSec=@t 340000"}},
		{"cpu period alone", &specs.LinuxResources{CPU: &specs.LinuxCPU{Period: new(uint64(50000))}}, fakeHost,
			[]string{"CPUQuotaPeriodUSec=@t 50000", "CPUQuotaPerSecUSec=@t 18446744073709551615"}},
		{"old systemd", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: new(int64(20000)), Period: new(uint64(50000)), Cpus: "1"}}, host{version: 241},
			[]string{"CPUQuotaPerSecUSec=@t 400000"}},
		{"pids", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: new(int64(42))}}, fakeHost, []string{"TasksMax=@t 42"}},
		{"pids unlimited", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: new(int64(-1))}}, fakeHost, []string{"TasksMax=@t 18446744073709551615"}},
		{"io weight", &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: new(uint16(500))}}, fakeHost, []string{"IOWeight=@t 4950"}},
		{"unified", &specs.LinuxResources{Unified: map[string]string{
			"memory.high": "max", "pids.max": "7", "cpu.max": "25000 50000", "cpu.weight": "300", "cpuset.cpus": "2", "io.max": "8:0 rbps=1",
		}}, fakeHost, []string{
			"CPUQuotaPeriodUSec=@t 50000", "CPUQuotaPerSecUSec=@t 500000", "CPUWeight=@t 300", "AllowedCPUs=@ay [0x4]",
			"MemoryHigh=@t 18446744073709551615", "TasksMax=@t 7",
		}},
	} {
		got, err := resourceProperties(tc.r, tc.h)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if s := show(got); !reflect.DeepEqual(s, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, s, tc.want)
		}
	}
}

func TestResourcePropertiesErrors(t *testing.T) {
	for _, tc := range []struct {
		r    *specs.LinuxResources
		want string
	}{
		{&specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: new(int64(100))}}, "linux.resources.memory.swap: a swap limit needs a memory limit"},
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "3-1"}}, `linux.resources.cpu.cpus: "3-1" is not a list`},
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "70000"}}, "linux.resources.cpu.mems: \"70000\": 70000 is above the highest number"},
		{&specs.LinuxResources{Unified: map[string]string{"memory.max": "lots"}}, `linux.resources.unified["memory.max"]: "lots" is neither max nor a number`},
		{&specs.LinuxResources{Unified: map[string]string{"cpu.max": "1 2 3"}}, `linux.resources.unified["cpu.max"]: "1 2 3" is not "QUOTA [PERIOD]"`},
		{&specs.LinuxResources{Unified: map[string]string{"cpu.max": "max 0"}}, `period "0" is not a positive number`},
		{&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "x"}}}, "linux.resources.devices[0]: type \"x\""},
	} {
		_, err := resourceProperties(tc.r, fakeHost)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("resourceProperties(%+v): error %v, want one with %q", tc.r, err, tc.want)
		}
	}
}

func TestListToMask(t *testing.T) {
	for list, want := range map[string][]byte{
		"0":       {0x01},
		"0-7":     {0xff},
		"8":       {0x00, 0x01},
		"1,3,5-6": {0x6a},
		" 0-9 ":   {0xff, 0x03},
	} {
		got, err := listToMask(list)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("listToMask(%q) = %x, %v; want %x", list, got, err, want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for s, want := range map[string]int{`"252.39-1~deb12u1"`: 252, `"v245.4-1.fc32"`: 245, "249": 249} {
		if got, err := parseVersion(s); err != nil || got != want {
			t.Errorf("parseVersion(%s) = %d, %v; want %d", s, got, err, want)
		}
	}
	if _, err := parseVersion(`"unknown"`); err == nil {
		t.Error("parseVersion accepted a version without a number")
	}
}

// The variant of a uint64 property must be "t", which systemd checks.
func TestPropertySignatures(t *testing.T) {
	props, err := resourceProperties(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(1))}, Pids: &specs.LinuxPids{Limit: new(int64(1))}}, fakeHost)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range props {
		if p.Value.Signature() != dbus.SignatureOf(uint64(0)) {
			t.Errorf("%s has signature %s, want t", p.Name, p.Value.Signature())
		}
	}
}

func TestResourcePropertiesV1(t *testing.T) {
	h := fakeHost
	h.v1 = true
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: new(int64(1 << 30)), Reservation: new(int64(1 << 20)), Swap: new(int64(2 << 30))},
		CPU:     &specs.LinuxCPU{Shares: new(uint64(512)), Quota: new(int64(50000)), Cpus: "1"},
		Pids:    &specs.LinuxPids{Limit: new(int64(9))},
		BlockIO: &specs.LinuxBlockIO{Weight: new(uint16(300))},
		// What systemd cannot express: on v1 it must deny, not allow all.
		Devices: []specs.LinuxDeviceCgroup{dev(false, "a", -2, -2, "rwm"), dev(true, "c", -1, 3, "rwm")},
	}
	got, err := resourceProperties(r, h)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`DevicePolicy="strict"`, "DeviceAllow=@a(ss) []", "MemoryLimit=@t 1073741824", "CPUShares=@t 512",
		"CPUQuotaPerSecUSec=@t 500000", "AllowedCPUs=@ay [0x2]", "TasksMax=@t 9", "BlockIOWeight=@t 300"}
	if s := show(got); !reflect.DeepEqual(s, want) {
		t.Errorf("got %q\nwant %q", s, want)
	}
}
