package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A container whose parent cgroup has an empty v1 cpuset (as a fresh v1
// cpuset directory is) starts, as with runc: the parent gets the cpus and
// mems of its nearest ancestor that has them.
func TestCpusetEmptyParentFilled(t *testing.T) {
	const root = "/sys/fs/cgroup/cpuset"
	if _, err := os.Stat(filepath.Join(root, "cpuset.cpus")); err != nil {
		t.Skip("no v1 cpuset hierarchy")
	}
	parent := "sprout-emptycpuset-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	// Two levels of the test's own, both empty.
	dir := filepath.Join(root, parent, "mid")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Every hierarchy gets the parent when the container is made; remove
	// them all, innermost first, once the container is gone.
	t.Cleanup(func() {
		matches, _ := filepath.Glob("/sys/fs/cgroup/*/" + parent)
		for _, m := range matches {
			os.Remove(filepath.Join(m, "mid"))
			os.Remove(m)
		}
	})
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		if v, _ := os.ReadFile(filepath.Join(dir, f)); strings.TrimSpace(string(v)) != "" {
			t.Skipf("a new cpuset is not empty here (%s = %q): cgroup.clone_children is set", f, v)
		}
	}
	r := newRuntime(t)
	b := newBundle(t, "grep Cpus_allowed_list /proc/self/status")
	b.spec.Linux.CgroupsPath = "/" + parent + "/mid/ct"
	b.save(t)
	res := r.run(b, "emptycpuset")
	if res.code != 0 {
		t.Fatalf("under a parent with an empty cpuset: exit %d, %q", res.code, res.stderr)
	}
	want, _ := os.ReadFile(filepath.Join(root, "cpuset.cpus"))
	for _, d := range []string{filepath.Join(root, parent), dir} {
		if got, _ := os.ReadFile(filepath.Join(d, "cpuset.cpus")); strings.TrimSpace(string(got)) != strings.TrimSpace(string(want)) {
			t.Errorf("%s/cpuset.cpus = %q, want the root's %q", d, got, want)
		}
		if got, _ := os.ReadFile(filepath.Join(d, "cpuset.mems")); strings.TrimSpace(string(got)) == "" {
			t.Errorf("%s/cpuset.mems left empty", d)
		}
	}
	if !strings.Contains(res.stdout, "Cpus_allowed_list:\t"+strings.TrimSpace(string(want))) {
		t.Errorf("the container runs on %q, want %s", res.stdout, want)
	}
}
