package cgroups

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
)

// A fake host is a temporary directory laid out like /sys/fs/cgroup, with
// a mountinfo table and a /proc/self/cgroup of its own: the managers run
// against it without root, writing ordinary files that the tests read back.

// v1Mounts are the hierarchies of the fake v1 host, by mount directory and
// the controllers mounted there (cpu and cpuacct co-mounted, as on most
// hosts).
var v1Mounts = []struct{ dir, opts string }{
	{"cpuset", "cpuset"},
	{"devices", "devices"},
	{"memory", "memory"},
	{"cpu,cpuacct", "cpu,cpuacct"},
	{"pids", "pids"},
	{"blkio", "blkio"},
	{"hugetlb", "hugetlb"},
	{"net_cls,net_prio", "net_cls,net_prio"},
	{"freezer", "freezer"},
	{"rdma", "rdma"},
	{"systemd", "xattr,name=systemd"},
}

// fakeHost builds a host of the given mode under a temporary directory.
// Our own cgroup is /user.slice/session-1.scope in every hierarchy.
func fakeHost(t *testing.T, mode Mode) *host {
	t.Helper()
	root := t.TempDir()
	h := &host{
		mode:       mode,
		root:       root,
		selfCgroup: filepath.Join(t.TempDir(), "cgroup"),
		hugepages:  t.TempDir(),
	}
	var table, self strings.Builder
	line := func(id int, mountpoint, fstype, opts string) {
		fmt.Fprintf(&table, "%d 20 0:%d / %s rw,nosuid,nodev,noexec,relatime shared:%d - %s %s rw,%s\n", id, id, mountpoint, id, fstype, fstype, opts)
	}
	// Mounts of other filesystems are ignored.
	fmt.Fprintf(&table, "19 1 0:18 / /sys rw,nosuid - sysfs sysfs rw\n")
	if mode == Unified {
		line(30, root, "cgroup2", "nsdelegate")
		self.WriteString("0::/user.slice/session-1.scope\n")
	} else {
		for i, m := range v1Mounts {
			line(30+i, filepath.Join(root, m.dir), "cgroup", m.opts)
			fmt.Fprintf(&self, "%d:%s:/user.slice/session-1.scope\n", i+1, strings.TrimPrefix(m.opts, "xattr,"))
		}
		if mode == Hybrid {
			line(29, filepath.Join(root, "unified"), "cgroup2", "nsdelegate")
			self.WriteString("0::/user.slice/session-1.scope\n")
		}
	}
	h.mounts = func() ([]*mountinfo.Info, error) { return readCgroupMounts(strings.NewReader(table.String())) }
	writeTestFile(t, h.selfCgroup, self.String())
	for _, d := range []string{"hugepages-2048kB", "hugepages-1048576kB"} {
		if err := os.Mkdir(filepath.Join(h.hugepages, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// fakeManager is the manager of cgroupsPath on a fake host of mode.
func fakeManager(t *testing.T, mode Mode, cgroupsPath string) (Manager, *host) {
	t.Helper()
	h := fakeHost(t, mode)
	m, err := h.newManager(cgroupsPath, "")
	if err != nil {
		t.Fatalf("New(%q) on a fake %s host: %v", cgroupsPath, mode, err)
	}
	return m, h
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeFiles creates dir and its control files, each "name" or
// "name=content".
func makeFiles(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		name, content, _ := strings.Cut(f, "=")
		writeTestFile(t, filepath.Join(dir, name), content)
	}
}

// snapshot reads every file below root, by path relative to root.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	files := make(map[string]string)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// changed lists the files whose content differs between two snapshots.
func changed(before, after map[string]string) map[string]string {
	out := make(map[string]string)
	for p, v := range after {
		if before[p] != v {
			out[p] = v
		}
	}
	return out
}

func expectWrites(t *testing.T, name string, got, want map[string]string) {
	t.Helper()
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !wok:
			t.Errorf("%s: wrote %s = %q, which it should not have", name, k, g)
		case !gok:
			t.Errorf("%s: did not write %s (want %q)", name, k, w)
		case g != w:
			t.Errorf("%s: %s = %q, want %q", name, k, g, w)
		}
	}
}

func expectStats(t *testing.T, got, want *Stats) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats:\n got %+v\nwant %+v", got, want)
	}
}
