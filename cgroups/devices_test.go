package cgroups

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestDeviceRuleNormalization(t *testing.T) {
	for _, tc := range []struct {
		in      specs.LinuxDeviceCgroup
		v1      []string
		wantErr bool
		skip    bool
	}{
		{in: specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}, v1: []string{"a"}},
		{in: specs.LinuxDeviceCgroup{Allow: true}, v1: []string{"a"}},
		{in: specs.LinuxDeviceCgroup{Type: "c", Major: new(int64(1)), Minor: new(int64(3)), Access: "rw"}, v1: []string{"c 1:3 rw"}},
		{in: specs.LinuxDeviceCgroup{Type: "b", Major: new(int64(8)), Minor: new(int64(-1)), Access: "m"}, v1: []string{"b 8:* m"}},
		{in: specs.LinuxDeviceCgroup{Type: "u", Major: new(int64(1)), Minor: new(int64(5))}, v1: []string{"c 1:5 rwm"}},
		// The v1 kernel reads every 'a' line as all devices, rwm: a
		// narrower 'a' rule has to be spelled per type.
		{in: specs.LinuxDeviceCgroup{Type: "a", Access: "m"}, v1: []string{"c *:* m", "b *:* m"}},
		{in: specs.LinuxDeviceCgroup{Type: "a", Major: new(int64(1)), Access: "rwm"}, v1: []string{"c 1:* rwm", "b 1:* rwm"}},
		{in: specs.LinuxDeviceCgroup{Type: "p"}, skip: true},
		{in: specs.LinuxDeviceCgroup{Type: "x"}, wantErr: true},
		// runc keeps the r, w and m of an access string, in any order and
		// repeated, and drops the rest: "rwa" is "rw", "x" is no access.
		{in: specs.LinuxDeviceCgroup{Type: "c", Major: new(int64(1)), Minor: new(int64(11)), Access: "rwa"}, v1: []string{"c 1:11 rw"}},
		{in: specs.LinuxDeviceCgroup{Type: "c", Major: new(int64(1)), Minor: new(int64(3)), Access: "mwrw"}, v1: []string{"c 1:3 rwm"}},
		{in: specs.LinuxDeviceCgroup{Type: "c", Access: "x"}, skip: true},
		{in: specs.LinuxDeviceCgroup{Type: "c", Major: new(int64(-2))}, wantErr: true},
	} {
		rules, err := normalizeDeviceRules([]specs.LinuxDeviceCgroup{tc.in})
		if tc.wantErr {
			if err == nil {
				t.Errorf("%+v: accepted", tc.in)
			} else {
				expectFieldError(t, err, "linux.resources.devices[0]")
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tc.in, err)
			continue
		}
		if tc.skip {
			if len(rules) != 0 {
				t.Errorf("%+v: a rule without effect was kept: %+v", tc.in, rules)
			}
			continue
		}
		got := rules[0].v1Lines()
		if len(got) != len(tc.v1) {
			t.Errorf("%+v: v1 lines %q, want %q", tc.in, got, tc.v1)
			continue
		}
		for i := range got {
			if got[i] != tc.v1[i] {
				t.Errorf("%+v: v1 lines %q, want %q", tc.in, got, tc.v1)
			}
		}
	}
}

// cgroup2Mount is where this host's v2 hierarchy is, if it has one.
func cgroup2Mount(t *testing.T) string {
	t.Helper()
	switch DetectMode() {
	case Unified:
		return cgroupRoot
	case Hybrid:
		return hybridUnified
	}
	t.Skip("no cgroup v2 hierarchy on this host: the eBPF device filter cannot be attached")
	return ""
}

// TestDeviceProgram attaches the eBPF device filter to a v2 cgroup of its
// own and checks what a process in it can open. On a hybrid host the v2
// hierarchy has no controllers, but the kernel runs the device programs of
// a task's v2 cgroup on every host, so the filter is tested here too.
func TestDeviceProgram(t *testing.T) {
	requireRoot(t)
	dir := filepath.Join(cgroup2Mount(t), randomName("sprout-test-bpf-"))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := removeTree(dir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	null, zero, full := mknodPair(t)
	join := func(pid int) {
		if err := joinCgroup(dir, pid); err != nil {
			t.Fatal(err)
		}
	}
	apply := func(rules ...specs.LinuxDeviceCgroup) {
		t.Helper()
		norm, err := normalizeDeviceRules(rules)
		if err != nil {
			t.Fatal(err)
		}
		if err := attachDeviceProgram(dir, deviceProgram(norm)); err != nil {
			t.Fatalf("attach: %v", err)
		}
	}
	dev := func(allow bool, typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Major: new(major), Minor: new(minor), Access: access}
	}
	denyAll := specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}

	t.Run("allow-list", func(t *testing.T) {
		// A block device with zero's numbers does not allow the char zero.
		apply(denyAll, dev(true, "c", 1, 3, "rwm"), dev(true, "b", 1, 5, "rwm"))
		expectOpens(t, join, map[string]string{null + ":rw": "ok", null + ":w": "ok", zero + ":r": "EPERM", full + ":w": "EPERM"})
	})
	t.Run("replaced on update", func(t *testing.T) {
		apply(denyAll, dev(true, "c", 1, 5, "r"))
		expectAttached(t, dir, 1)
		expectOpens(t, join, map[string]string{null + ":r": "EPERM", zero + ":r": "ok", zero + ":w": "EPERM", zero + ":rw": "EPERM"})
	})
	t.Run("later rules win per access bit", func(t *testing.T) {
		apply(denyAll,
			dev(true, "c", 1, -1, "rw"), // every memory device
			dev(false, "c", 1, 5, "w"),  // but zero read-only
			dev(false, "", -1, 7, "r"),  // and nothing with minor 7 readable, any type
		)
		expectAttached(t, dir, 1)
		expectOpens(t, join, map[string]string{
			null + ":rw": "ok", zero + ":r": "ok", zero + ":w": "EPERM", full + ":w": "ok", full + ":r": "EPERM",
		})
	})
	t.Run("deny-list", func(t *testing.T) {
		// Without a leading deny-all, what is not denied stays allowed.
		apply(dev(false, "c", 1, 7, "rwm"))
		expectOpens(t, join, map[string]string{null + ":rw": "ok", zero + ":rw": "ok", full + ":r": "EPERM"})
	})
	t.Run("deny-all in the middle resets", func(t *testing.T) {
		apply(dev(true, "c", 1, 3, "rwm"), denyAll, dev(true, "c", 1, 5, "rwm"))
		expectAttached(t, dir, 1)
		expectOpens(t, join, map[string]string{null + ":r": "EPERM", zero + ":rw": "ok"})
	})
}

func expectAttached(t *testing.T, dir string, want int) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	q, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Programs) != want {
		t.Errorf("%d device programs attached to %s, want %d (the old one must be replaced)", len(q.Programs), dir, want)
	}
}
