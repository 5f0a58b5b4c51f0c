package libcontainer

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSubCgroupPaths(t *testing.T) {
	root := t.TempDir()
	// cpu and cpuacct co-mounted: one directory for both.
	base := map[string]string{
		"memory": filepath.Join(root, "memory/ct"), "cpu": filepath.Join(root, "cpu,cpuacct/ct"),
		"cpuacct": filepath.Join(root, "cpu,cpuacct/ct"), "": filepath.Join(root, "unified/ct"),
	}
	for _, d := range base {
		if err := os.MkdirAll(filepath.Join(d, "a/b"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := subCgroupPaths(base, map[string]string{"cpu": "a"})
	if err != nil {
		t.Fatal(err)
	}
	for ctrl, want := range map[string]string{
		"memory": base["memory"], "cpu": base["cpu"] + "/a", "cpuacct": base["cpu"] + "/a", "": base[""],
	} {
		if got[ctrl] != want {
			t.Errorf("cpu:a: %q in %s, want %s", ctrl, got[ctrl], want)
		}
	}
	got, err = subCgroupPaths(base, map[string]string{"": "/a/b"})
	if err != nil || got["memory"] != base["memory"]+"/a/b" || got[""] != base[""]+"/a/b" {
		t.Errorf("/a/b for all: %v %v", got, err)
	}
	got, err = subCgroupPaths(base, map[string]string{"": "/"})
	if err != nil || got["memory"] != base["memory"] {
		t.Errorf("/: %v %v", got, err)
	}
	for _, sub := range []map[string]string{
		{"": "../x"}, {"": "a/../../x"}, {"": "missing"}, {"pids": "a"},
		{"cpu": "a", "cpuacct": "a/b"},
	} {
		if got, err := subCgroupPaths(base, sub); err == nil {
			t.Errorf("%v: accepted as %v", sub, got)
		}
	}
}
