package cgroups

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
)

// TestPathsOnFakeHosts checks where New puts a container's cgroups, from
// the mount table and /proc/self/cgroup, for each layout.
func TestPathsOnFakeHosts(t *testing.T) {
	const own = "user.slice/session-1.scope"
	for _, tc := range []struct {
		cgroupsPath, id string
		// v1 and v2 are the path below each hierarchy's mountpoint.
		v1, v2 string
	}{
		{"/abs/x", "ignored", "abs/x", "abs/x"},
		{"/abs/../abs/x", "ignored", "abs/x", "abs/x"},
		// Relative: under our own cgroup in v1, next to it in v2.
		{"rel/a", "ignored", own + "/rel/a", "user.slice/rel/a"},
		{"../../../escape", "ignored", own + "/escape", "user.slice/escape"},
		{"", "the-id", own + "/the-id", "user.slice/the-id"},
	} {
		for _, mode := range []Mode{Hybrid, Legacy} {
			h := fakeHost(t, mode)
			m, err := h.newManager(tc.cgroupsPath, tc.id)
			if err != nil {
				t.Fatalf("%s: New(%q, %q): %v", mode, tc.cgroupsPath, tc.id, err)
			}
			want := make(map[string]string)
			for _, mnt := range v1Mounts {
				for _, c := range strings.Split(mnt.opts, ",") {
					if isV1Controller(c) {
						want[c] = filepath.Join(h.root, mnt.dir, tc.v1)
					}
				}
			}
			if mode == Hybrid {
				// The v2 hierarchy of a hybrid host is joined the v1 way:
				// below our own cgroup, which holds no controllers.
				want[""] = filepath.Join(h.root, "unified", tc.v1)
			}
			expectWrites(t, mode.String()+" "+tc.cgroupsPath, m.Paths(), want)
		}
		h := fakeHost(t, Unified)
		m, err := h.newManager(tc.cgroupsPath, tc.id)
		if err != nil {
			t.Fatalf("unified: New(%q, %q): %v", tc.cgroupsPath, tc.id, err)
		}
		expectWrites(t, "unified "+tc.cgroupsPath, m.Paths(), map[string]string{"": filepath.Join(h.root, tc.v2)})
	}
	for _, bad := range []struct{ cgroupsPath, id string }{{"/", "id"}, {"/..", "id"}, {".", "id"}, {"a/..", "id"}, {"", ""}} {
		for _, mode := range []Mode{Unified, Hybrid, Legacy} {
			if m, err := fakeHost(t, mode).newManager(bad.cgroupsPath, bad.id); err == nil {
				t.Errorf("%s: New(%q, %q) = %v, want an error", mode, bad.cgroupsPath, bad.id, m.Paths())
			}
		}
	}
}

// A v1 host without the devices controller would run containers with every
// device open: New refuses.
func TestFakeHostWithoutDevices(t *testing.T) {
	h := fakeHost(t, Legacy)
	all := h.mounts
	h.mounts = func() ([]*mountinfo.Info, error) {
		infos, err := all()
		var kept []*mountinfo.Info
		for _, mi := range infos {
			if mi.VFSOptions != "rw,devices" {
				kept = append(kept, mi)
			}
		}
		return kept, err
	}
	if _, err := h.newManager("/ctr", ""); err == nil || !strings.Contains(err.Error(), "devices controller is not mounted") {
		t.Fatalf("New without a devices hierarchy: %v, want a refusal", err)
	}
}

// An own cgroup outside the root of a hierarchy's mount (a bind mount of
// a sub-cgroup) cannot hold a relative path.
func TestOwnCgroupOutsideMount(t *testing.T) {
	h := fakeHost(t, Unified)
	writeTestFile(t, h.selfCgroup, "0::/other/x\n")
	h.mounts = func() ([]*mountinfo.Info, error) {
		return []*mountinfo.Info{{FSType: "cgroup2", Mountpoint: h.root, Root: "/mine"}}, nil
	}
	if _, err := h.newManager("rel", ""); err == nil || !strings.Contains(err.Error(), "not visible under the mount") {
		t.Fatalf("relative path from an invisible own cgroup: %v, want a refusal", err)
	}
	m, err := h.newManager("/abs", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Paths()[""], filepath.Join(h.root, "abs"); got != want {
		t.Errorf("absolute path = %q, want %q", got, want)
	}
}

// TestLoadOnFakeHosts checks that saved paths are taken back only when
// they are cgroups below the host's current mounts.
func TestLoadOnFakeHosts(t *testing.T) {
	for _, mode := range []Mode{Unified, Hybrid, Legacy} {
		h := fakeHost(t, mode)
		m, err := h.newManager("/ctr", "")
		if err != nil {
			t.Fatal(err)
		}
		loaded, err := h.load(m.Paths())
		if err != nil {
			t.Fatalf("%s: Load(%v): %v", mode, m.Paths(), err)
		}
		expectWrites(t, mode.String()+" load", loaded.Paths(), m.Paths())
		var c, mount string
		if mode == Unified {
			c, mount = "", h.root
		} else {
			c, mount = "memory", filepath.Join(h.root, "memory")
		}
		for _, bad := range []string{mount, filepath.Dir(h.root), mount + "/../x", "relative", "/etc"} {
			if _, err := h.load(map[string]string{c: bad}); err == nil {
				t.Errorf("%s: Load accepted %q for %q", mode, bad, c)
			}
		}
	}
	if _, err := fakeHost(t, Legacy).load(map[string]string{"": "/x"}); err == nil {
		t.Error("a legacy host loaded a v2 path")
	}
	if _, err := fakeHost(t, Legacy).load(map[string]string{"misc": "/x"}); err == nil {
		t.Error("a path of an unmounted controller was loaded")
	}
	if _, err := fakeHost(t, Unified).load(nil); err == nil {
		t.Error("no paths were loaded")
	}
}
