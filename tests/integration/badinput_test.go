package integration

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// snapshot is what a failed create must leave as it was.
type snapshot struct {
	mounts  []string
	cgroups []string
}

// takeSnapshot records the mounts under dirs (the bundle and the state
// root: a create puts nothing elsewhere, and other work on the machine
// mounts elsewhere) and the cgroups named id.
func takeSnapshot(t *testing.T, id string, dirs ...string) snapshot {
	t.Helper()
	m, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var s snapshot
	for _, line := range strings.Split(string(m), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		for _, d := range dirs {
			if f[4] == d || strings.HasPrefix(f[4], d+"/") {
				s.mounts = append(s.mounts, line)
				break
			}
		}
	}
	cg, _ := filepath.Glob("/sys/fs/cgroup/*/" + id)
	cg2, _ := filepath.Glob("/sys/fs/cgroup/*/*/*/" + id)
	s.cgroups = append(cg, cg2...)
	sort.Strings(s.cgroups)
	return s
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name   string
		id     string
		mutate func(t *testing.T, b *bundle)
		want   string
	}{
		{"malformed json", "bad1", func(t *testing.T, b *bundle) {
			os.WriteFile(filepath.Join(b.dir, "config.json"), []byte(`{"ociVersion": "1.0.2",`), 0o644)
		}, "parse config.json"},
		{"missing rootfs", "bad2", func(t *testing.T, b *bundle) {
			b.spec.Root.Path = "nonexistent"
			b.save(t)
		}, "root.path"},
		{"empty args", "bad3", func(t *testing.T, b *bundle) {
			b.spec.Process.Args = nil
			b.save(t)
		}, "process.args"},
		{"relative cwd", "bad4", func(t *testing.T, b *bundle) {
			b.spec.Process.Cwd = "tmp"
			b.save(t)
		}, "process.cwd"},
		{"missing cwd", "bad5", func(t *testing.T, b *bundle) {
			b.spec.Process.Cwd = "/does/not/exist"
			b.save(t)
		}, "process.cwd"},
		{"unknown namespace", "bad6", func(t *testing.T, b *bundle) {
			b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
			b.save(t)
		}, "unknown namespace type"},
		{"program not found", "bad7", func(t *testing.T, b *bundle) {
			b.spec.Process.Args = []string{"no-such-program"}
			b.save(t)
		}, "process.args[0]"},
		{"symlink destination out of rootfs", "bad8", func(t *testing.T, b *bundle) {
			outside := t.TempDir()
			os.Symlink("../../../../../../.."+outside, filepath.Join(b.dir, "rootfs/escape"))
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/escape", Type: "tmpfs", Source: "tmpfs"})
			b.save(t)
		}, "points out of the rootfs"},
		{"invalid id", "../evil", func(t *testing.T, b *bundle) { b.save(t) }, "invalid container ID"},
		{"invalid id chars", "a/b", func(t *testing.T, b *bundle) { b.save(t) }, "invalid container ID"},
		{"bad mount source", "bad9", func(t *testing.T, b *bundle) {
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/no/such/source", Options: []string{"bind"}})
			b.save(t)
		}, "mounts["},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "true")
			tc.mutate(t, b)
			before := takeSnapshot(t, tc.id, b.dir, r.root)
			res := r.sprout("create", "--bundle", b.dir, tc.id)
			if res.code == 0 {
				t.Fatalf("create succeeded")
			}
			msg := strings.TrimSpace(res.stderr)
			if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q: want one line containing %q", msg, tc.want)
			}
			after := takeSnapshot(t, tc.id, b.dir, r.root)
			if strings.Join(before.mounts, "\n") != strings.Join(after.mounts, "\n") {
				t.Errorf("mounts left: %v", after.mounts)
			}
			if left := r.leftProcesses(); len(left) != 0 {
				t.Errorf("processes left: %v", left)
			}
			if strings.Join(before.cgroups, ",") != strings.Join(after.cgroups, ",") {
				t.Errorf("cgroups left: %v", after.cgroups)
			}
			entries, _ := os.ReadDir(r.root)
			if len(entries) != 0 {
				t.Errorf("state left under the root: %v", entries)
			}
		})
	}
}

func TestDuplicateID(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 100")
	b.save(t)
	r.must("create", "--bundle", b.dir, "same")
	res := r.sprout("create", "--bundle", b.dir, "same")
	if res.code == 0 || !strings.Contains(res.stderr, "already exists") {
		t.Fatalf("second create: %d %q", res.code, res.stderr)
	}
	if st := r.mustState("same"); st.Status != specs.StateCreated {
		t.Fatalf("the first container was disturbed: %+v", st)
	}
	r.must("delete", "--force", "same")
}
