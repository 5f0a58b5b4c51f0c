package cgroups

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// A create killed between the mkdir of a cpuset directory and the copy of
// its parent's cpus leaves it with empty cpuset.cpus and cpuset.mems; the
// next Apply must fill every such level instead of failing with ENOSPC.
func TestV1CpusetLeftEmpty(t *testing.T) {
	requireV1(t)
	base := "/" + randomName("sprout-test-")
	m := newManager(t, base+"/nested", "")
	lm := legacy(t, m)
	cpuset, ok := lm.paths["cpuset"]
	if !ok {
		t.Skip("no cpuset hierarchy")
	}
	// Cleanups run last first: this one, registered after newManager's,
	// must destroy the container's cgroups itself before their parents
	// can go.
	t.Cleanup(func() {
		_ = m.Destroy()
		for _, dir := range m.Paths() {
			if err := os.Remove(filepath.Dir(dir)); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	// What the killed create left: both levels, neither filled.
	if err := os.MkdirAll(cpuset, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(cpuset), cpuset} {
		if got := readCg(t, d, "cpuset.cpus"); got != "" {
			t.Fatalf("%s: a new cpuset has cpus %q", d, got)
		}
	}
	p := startShell(t, "exec sleep 1000")
	if err := m.Apply(p.pid()); err != nil {
		t.Fatalf("Apply over a left, empty cpuset: %v", err)
	}
	want := readCg(t, filepath.Dir(filepath.Dir(cpuset)), "cpuset.cpus")
	for _, d := range []string{filepath.Dir(cpuset), cpuset} {
		if got := readCg(t, d, "cpuset.cpus"); got != want {
			t.Errorf("%s: cpuset.cpus = %q, want %q", d, got, want)
		}
		if got := readCg(t, d, "cpuset.mems"); got == "" {
			t.Errorf("%s: cpuset.mems is empty", d)
		}
	}
	expectFile(t, cpuset, "tasks", strconv.Itoa(p.pid()))
}
