package libcontainer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestMissingDirs(t *testing.T) {
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "have"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := missingDirs(map[string]string{
		"a": filepath.Join(base, "x/y/c"),
		"b": filepath.Join(base, "x/y/d"),
		"c": filepath.Join(base, "have/e"),
		"d": filepath.Join(base, "have"),
	})
	want := []string{
		filepath.Join(base, "x"),
		filepath.Join(base, "have/e"),
		filepath.Join(base, "x/y"),
		filepath.Join(base, "x/y/c"),
		filepath.Join(base, "x/y/d"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("missingDirs = %q, want %q", got, want)
	}
	// Nothing to make is an empty list, which the state keeps apart from
	// the absent list of an older state.
	if got := missingDirs(map[string]string{"d": filepath.Join(base, "have")}); got == nil || len(got) != 0 {
		t.Fatalf("missingDirs of existing dirs = %#v, want an empty list", got)
	}
}

func TestCgroupOwnership(t *testing.T) {
	paths := map[string]string{"memory": "/sys/fs/cgroup/memory/p/c", "pids": "/sys/fs/cgroup/pids/p/c"}
	for _, tc := range []struct {
		name    string
		state   string
		owned   []string
		ownsAll bool
	}{
		{"made all", `{"cgroupOwned":["/sys/fs/cgroup/memory/p","/sys/fs/cgroup/memory/p/c","/sys/fs/cgroup/pids/p/c"]}`,
			[]string{"/sys/fs/cgroup/memory/p", "/sys/fs/cgroup/memory/p/c", "/sys/fs/cgroup/pids/p/c"}, true},
		{"made one", `{"cgroupOwned":["/sys/fs/cgroup/pids/p/c"]}`, []string{"/sys/fs/cgroup/pids/p/c"}, false},
		{"made none", `{"cgroupOwned":[]}`, nil, false},
		{"older state", `{}`, []string{"/sys/fs/cgroup/memory/p/c", "/sys/fs/cgroup/pids/p/c"}, true},
	} {
		var s State
		if err := json.Unmarshal([]byte(tc.state), &s); err != nil {
			t.Fatal(err)
		}
		s.CgroupPaths = paths
		c := &Container{state: &s}
		var got []string
		for d := range c.owned() {
			got = append(got, d)
		}
		if len(got) != len(tc.owned) {
			t.Errorf("%s: owned %q, want %q", tc.name, got, tc.owned)
		}
		for _, d := range tc.owned {
			if !c.owned()[d] {
				t.Errorf("%s: %s not owned", tc.name, d)
			}
		}
		if c.ownsCgroup() != tc.ownsAll {
			t.Errorf("%s: ownsCgroup = %v", tc.name, !tc.ownsAll)
		}
	}
	// What create writes when it makes nothing survives a round trip as
	// an empty list.
	data, err := json.Marshal(&State{CgroupOwned: missingDirs(nil)})
	if err != nil {
		t.Fatal(err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil || s.CgroupOwned == nil {
		t.Fatalf("round trip of an empty cgroupOwned: %s -> %#v (%v)", data, s.CgroupOwned, err)
	}
}
