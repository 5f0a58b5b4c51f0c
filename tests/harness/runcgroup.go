package harness

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runPrefix starts the name of the cgroup each run of a test binary makes
// for itself; the process ID that follows lets a later run remove what a
// run killed before its end (a -timeout) left.
const runPrefix = "sprout-tests-"

// hierarchy is one cgroup hierarchy as this process sees it.
type hierarchy struct {
	// mount is its mount point under /sys/fs/cgroup.
	mount string
	// own is this process's cgroup directory in it.
	own string
	// unifiedHost: the hierarchy is cgroup v2 mounted on /sys/fs/cgroup.
	unifiedHost bool
	// cpuset: a v1 hierarchy with the cpuset controller.
	cpuset bool
}

// base is where a relative cgroupsPath of a container this process makes
// lands: under its own cgroup, or on a cgroup v2 host under the parent of
// it, as runc and sprout do (a v2 cgroup that holds processes cannot give
// controllers to children).
func (h hierarchy) base() string {
	if h.unifiedHost && h.own != h.mount {
		return filepath.Dir(h.own)
	}
	return h.own
}

// hierarchies pairs each line of /proc/self/cgroup with the mount of its
// hierarchy under /sys/fs/cgroup; a hierarchy not mounted there is left
// out, as the runtime leaves it out.
func hierarchies() ([]hierarchy, error) {
	mounts, err := readMountinfo()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	var out []hierarchy
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("/proc/self/cgroup: line %q", l)
		}
		if h, ok := mountOf(mounts, f[1], f[2]); ok {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no cgroup hierarchy of /proc/self/cgroup is mounted under /sys/fs/cgroup: %s", data)
	}
	return out, nil
}

// mountOf finds the mount under /sys/fs/cgroup of the hierarchy with the
// controllers of a /proc/self/cgroup line ("" for cgroup v2), and the
// directory of path in it.
func mountOf(mounts [][]string, controllers, path string) (hierarchy, bool) {
	for _, f := range mounts {
		i := 0
		for i < len(f) && f[i] != "-" {
			i++
		}
		if i+3 >= len(f) || (f[4] != "/sys/fs/cgroup" && !strings.HasPrefix(f[4], "/sys/fs/cgroup/")) {
			continue
		}
		fstype, options := f[i+1], ","+f[i+3]+","
		switch {
		case controllers == "" && fstype != "cgroup2":
			continue
		case controllers != "":
			if fstype != "cgroup" {
				continue
			}
			all := true
			for _, c := range strings.Split(controllers, ",") {
				all = all && strings.Contains(options, ","+c+",")
			}
			if !all {
				continue
			}
		}
		// The mount shows the hierarchy from its root (field 4) down.
		rel, err := filepath.Rel(f[3], path)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		return hierarchy{
			mount:       f[4],
			own:         filepath.Join(f[4], rel),
			unifiedHost: fstype == "cgroup2" && f[4] == "/sys/fs/cgroup",
			cpuset:      strings.Contains(options, ",cpuset,"),
		}, true
	}
	return hierarchy{}, false
}

// RelativeCgroupBases lists, in every hierarchy, the directory under which
// a container made by this process gets a relative cgroupsPath, the
// container ID when it sets none: in a test binary run by InOwnCgroup,
// the run's own cgroup.
func RelativeCgroupBases(t *testing.T) []string {
	t.Helper()
	hs, err := hierarchies()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hs {
		out = append(out, h.base())
	}
	return out
}

// CgroupsNamed lists the cgroup directories named name below the
// RelativeCgroupBases: those of a container ID that sets no cgroupsPath,
// and no other run's.
func CgroupsNamed(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	for _, b := range RelativeCgroupBases(t) {
		filepath.WalkDir(b, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && p != b && d.Name() == name {
				out = append(out, p)
				return filepath.SkipDir
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

// InOwnCgroup runs m's tests in a cgroup made for this run in every
// hierarchy. Containers without a cgroupsPath, or with a relative one,
// then get cgroups below it: two runs at once (two developers on one
// host, CI beside a manual run) no longer share the cgroup of a container
// ID, while two containers of one run given the same path still do. At
// the end the run's cgroup must be empty: a cgroup the tests left in it
// fails the run (it is removed when it holds no process).
func InOwnCgroup(m *testing.M) int {
	rc, err := enterRunCgroup()
	if err != nil {
		fmt.Println("the cgroup of this test run:", err)
		return 1
	}
	code := m.Run()
	if left := rc.leave(); len(left) > 0 {
		fmt.Println("FAIL: the tests left cgroups behind:")
		for _, l := range left {
			fmt.Println("\t" + l)
		}
		if code == 0 {
			code = 1
		}
	}
	return code
}

// runCgroup is the cgroup of one test run, in every hierarchy.
type runCgroup struct{ dirs []runDir }

type runDir struct {
	// own is the cgroup the process came from; run is the run's cgroup;
	// into is where the process is while the tests run: run itself, or
	// on a cgroup v2 host a leaf below it, so that run may give
	// controllers to the containers' cgroups.
	own, run, into string
}

func enterRunCgroup() (*runCgroup, error) {
	hs, err := hierarchies()
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		removeEndedRuns(h.base())
	}
	name := fmt.Sprintf("%s%d-%08x", runPrefix, os.Getpid(), rand.Uint32())
	rc := &runCgroup{}
	fail := func(err error) (*runCgroup, error) {
		rc.leave()
		return nil, err
	}
	for _, h := range hs {
		d := runDir{own: h.own, run: filepath.Join(h.base(), name)}
		d.into = d.run
		if h.unifiedHost {
			d.into = filepath.Join(d.run, "tests")
		}
		if err := os.Mkdir(d.run, 0o755); err != nil {
			return fail(err)
		}
		rc.dirs = append(rc.dirs, d)
		// A new v1 cpuset has no CPUs and no memory nodes and takes no
		// process until it gets its parent's.
		if h.cpuset {
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				v, err := os.ReadFile(filepath.Join(h.base(), f))
				if err == nil {
					err = os.WriteFile(filepath.Join(d.run, f), v, 0)
				}
				if err != nil {
					return fail(err)
				}
			}
		}
		if d.into != d.run {
			if err := os.Mkdir(d.into, 0o755); err != nil {
				return fail(err)
			}
		}
	}
	pid := strconv.Itoa(os.Getpid())
	for _, d := range rc.dirs {
		// One write moves every thread of the process.
		if err := os.WriteFile(filepath.Join(d.into, "cgroup.procs"), []byte(pid), 0); err != nil {
			return fail(err)
		}
	}
	return rc, nil
}

// leave moves the process back where it came from and removes the run's
// cgroup; it lists what the tests left in it.
func (rc *runCgroup) leave() []string {
	var left []string
	pid := strconv.Itoa(os.Getpid())
	for _, d := range rc.dirs {
		if err := os.WriteFile(filepath.Join(d.own, "cgroup.procs"), []byte(pid), 0); err != nil {
			left = append(left, fmt.Sprintf("%s: moving the test binary back: %v", d.run, err))
		}
	}
	for _, d := range rc.dirs {
		for _, p := range subCgroups(d.run) {
			if p != d.into {
				procs, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
				left = append(left, fmt.Sprintf("%s (processes: %q)", p, strings.Fields(string(procs))))
			}
		}
		if err := removeTree(d.run); err != nil {
			left = append(left, err.Error())
		}
	}
	return left
}

// subCgroups lists the cgroups below dir, deepest first.
func subCgroups(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != dir {
			out = append(out, p)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return strings.Count(out[i], "/") > strings.Count(out[j], "/") })
	return out
}

// removeTree removes the cgroup dir and those below it, none of which may
// hold a process. A process killed a moment ago may still leave its
// cgroup, so it tries for a few seconds.
func removeTree(dir string) error {
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		for _, p := range subCgroups(dir) {
			os.Remove(p)
		}
		if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// removeEndedRuns removes, below base, the cgroups of runs whose process
// has gone: a run killed before its end leaves its cgroup. A live run's
// cgroup holds its test binary, and a cgroup with a process in it is
// never removed.
func removeEndedRuns(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, runPrefix+"*"))
	for _, d := range dirs {
		pid, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(d), runPrefix), "-")
		// A zombie has left its cgroups already.
		if n, err := strconv.Atoi(pid); err != nil || Alive(n) {
			continue
		}
		for _, p := range subCgroups(d) {
			os.Remove(p)
		}
		if os.Remove(d) == nil {
			fmt.Printf("removed %s, left by a test run that has ended\n", d)
		}
	}
}
