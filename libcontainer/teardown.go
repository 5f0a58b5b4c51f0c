package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/spec"
)

// A container is torn down from what its state recorded before each step
// of its creation (see Create), so that a sprout killed at any point leaves
// nothing that delete --force cannot find: the cgroup directories create
// was about to make are recorded before it makes them, and the state
// directory goes last. What the container did not make (a cgroup given by
// cgroupsPath that existed already, processes of other owners in it) is
// neither killed nor removed.

// missingDirs lists the directories of paths, and of their parents, that do
// not exist yet, outermost first: those create is about to make, and so
// those delete removes.
func missingDirs(paths map[string]string) []string {
	seen := make(map[string]bool)
	out := []string{}
	for _, dir := range paths {
		for d := dir; !seen[d] && d != filepath.Dir(d); d = filepath.Dir(d) {
			if _, err := os.Lstat(d); err == nil {
				break
			}
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if ci, cj := strings.Count(out[i], "/"), strings.Count(out[j], "/"); ci != cj {
			return ci < cj
		}
		return out[i] < out[j]
	})
	return out
}

// owned returns the set of cgroup directories create made.
func (c *Container) owned() map[string]bool {
	owned := make(map[string]bool, len(c.state.CgroupOwned))
	for _, d := range c.state.CgroupOwned {
		owned[d] = true
	}
	if c.state.CgroupOwned == nil {
		for _, d := range c.state.CgroupPaths {
			owned[d] = true
		}
	}
	return owned
}

// ownsCgroup tells whether create made every cgroup directory of the
// container, so that whatever runs in them is the container's.
func (c *Container) ownsCgroup() bool {
	// A systemd scope is made for the container alone.
	if c.state.SystemdUnit != "" {
		return true
	}
	if len(c.state.CgroupPaths) == 0 {
		return false
	}
	owned := c.owned()
	for _, d := range c.state.CgroupPaths {
		if !owned[d] {
			return false
		}
	}
	return true
}

// recordNamespaces notes the inode of every namespace the container made
// (not those it joined), by which its processes are told from others that
// share its cgroup. The init makes its cgroup namespace later, once in its
// cgroup: a namespace still ours is not recorded.
func (c *Container) recordNamespaces(pid int, nss []specs.LinuxNamespace) error {
	for _, ns := range nss {
		k, ok := spec.NamespaceKindOf(ns.Type)
		name := k.ProcName
		if !ok || ns.Path != "" {
			continue
		}
		var st, own unix.Stat_t
		path := fmt.Sprintf("/proc/%d/ns/%s", pid, name)
		if err := unix.Stat(path, &st); err != nil {
			return fmt.Errorf("container init %d: %w", pid, err)
		}
		if unix.Stat("/proc/self/ns/"+name, &own) == nil && own.Ino == st.Ino {
			continue
		}
		if c.state.NamespaceInodes == nil {
			c.state.NamespaceInodes = make(map[string]uint64)
		}
		c.state.NamespaceInodes[name] = st.Ino
	}
	return nil
}

// isContainers tells whether pid is in one of the namespaces the container
// made.
func (c *Container) isContainers(pid int) bool {
	for name, ino := range c.state.NamespaceInodes {
		var st unix.Stat_t
		if unix.Stat(fmt.Sprintf("/proc/%d/ns/%s", pid, name), &st) == nil && st.Ino == ino {
			return true
		}
	}
	return false
}

// procs lists the container's processes: all those of a cgroup create
// made, and in a cgroup it shares those in the namespaces it made.
func (c *Container) procs(cg cgroups.Manager) ([]int, error) {
	pids, err := cg.Procs()
	if err != nil || c.ownsCgroup() {
		return pids, err
	}
	var out []int
	for _, pid := range pids {
		if c.isContainers(pid) {
			out = append(out, pid)
		}
	}
	return out, nil
}

// killProcesses SIGKILLs the container's processes and no other. With a
// PID namespace of its own, the init's death kills the rest; otherwise a
// cgroup that create made holds only the container's processes; in a
// cgroup it shares, only those in the namespaces it made are its own.
func (c *Container) killProcesses() error {
	cg, _ := c.cgroup()
	switch {
	case c.ownPidNs() || cg == nil:
	case c.ownsCgroup():
		if pids, err := cg.Procs(); err == nil && len(livePids(pids)) > 0 {
			_ = killCgroup(cg, unix.SIGKILL)
		}
	default:
		pids, _ := c.procs(cg)
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
	}
	if c.initAlive() {
		if err := c.signalInit(unix.SIGKILL); err != nil && c.initAlive() {
			return err
		}
	}
	// A v1 frozen task dies of SIGKILL only once thawed.
	if cg != nil {
		if paused, err := cg.Paused(); err == nil && paused {
			_ = cg.Thaw()
		}
	}
	return nil
}

// removeCgroups removes the cgroup directories create made, deepest first.
// One that other processes still use is left, with a warning: deleting the
// container must not fail for what it does not own.
func (c *Container) removeCgroups() {
	// A systemd scope goes with its unit, as systemd's manager does it.
	if c.state.SystemdUnit != "" {
		if cg, err := c.cgroup(); err != nil {
			warn("container %s: %v", c.state.ID, err)
		} else if cg != nil {
			if err := destroyCgroup(cg); err != nil {
				warn("container %s: %v", c.state.ID, err)
			}
		}
		return
	}
	owned := c.owned()
	if len(owned) == 0 {
		return
	}
	leaves := make(map[string]string)
	for k, d := range c.state.CgroupPaths {
		if owned[d] {
			leaves[k] = d
		}
	}
	if len(leaves) > 0 {
		if cg, err := cgroups.Load(leaves); err != nil {
			warn("container %s: %v", c.state.ID, err)
		} else if err := waitEmptyAndDestroy(cg, c.ownsCgroup() && !c.ownPidNs()); err != nil {
			warn("container %s: cgroup left in place: %v", c.state.ID, err)
		}
	}
	// Parents that create made for them go too, when nothing else uses them.
	for i := len(c.state.CgroupOwned) - 1; i >= 0; i-- {
		if d := c.state.CgroupOwned[i]; !isValue(leaves, d) && within(c.state.CgroupPaths, d) {
			if err := rmdirParent(d); err != nil && !errors.Is(err, unix.EBUSY) && !errors.Is(err, unix.ENOTEMPTY) {
				warn("container %s: remove cgroup %s: %v", c.state.ID, d, err)
			}
		}
	}
}

// rmdirParent removes a parent cgroup whose children are gone. A child
// just removed keeps it busy until the kernel has taken the child's
// controllers offline, asynchronously (v1 cpuset takes longest): that is
// waited for, not a child or a process that another owner put there.
func rmdirParent(d string) error {
	delay := time.Millisecond
	for attempt := 0; ; attempt++ {
		err := unix.Rmdir(d)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || attempt == 8 || inUse(d) {
			return &os.PathError{Op: "rmdir", Path: d, Err: err}
		}
		time.Sleep(delay)
		delay *= 2
	}
}

// inUse tells whether the cgroup d has a sub-cgroup or a process.
func inUse(d string) bool {
	entries, err := os.ReadDir(d)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.IsDir() {
			return true
		}
	}
	procs, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
	return err == nil && len(strings.TrimSpace(string(procs))) > 0
}

// within tells whether d is a parent of one of the container's cgroup
// directories: a tampered state must not make delete rmdir anything else.
func within(paths map[string]string, d string) bool {
	for _, p := range paths {
		if strings.HasPrefix(p, d+"/") && strings.HasPrefix(d, "/sys/fs/cgroup/") {
			return true
		}
	}
	return false
}

// ownPidNs tells a container with a PID namespace of its own: its
// processes die with its init, and whatever is left in its cgroup after
// that belongs to someone else (another container given the same
// cgroupsPath), which runc does not kill either.
func (c *Container) ownPidNs() bool {
	_, ok := c.state.NamespaceInodes["pid"]
	return ok
}

func isValue(m map[string]string, v string) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}

// waitEmptyAndDestroy waits for the killed processes to die (with all,
// killing again what a fork let through) and removes the cgroup. Zombies
// are not waited for: their reaper may be slow, and they do not keep a
// cgroup busy. Only when the removal fails is every hierarchy searched:
// the init's stage joins them one after the other, and a command killed
// meanwhile can leave it in some only.
func waitEmptyAndDestroy(cg cgroups.Manager, all bool) error {
	deadline := time.Now().Add(2 * time.Second)
	everywhere := false
	for {
		var pids []int
		if everywhere {
			pids = livePids(cgroupPids(cg.Paths()))
		} else if ps, err := cg.Procs(); err == nil {
			pids = livePids(ps)
		}
		if len(pids) > 0 && time.Now().Before(deadline) {
			if all {
				for _, pid := range pids {
					_ = unix.Kill(pid, unix.SIGKILL)
				}
			}
			time.Sleep(time.Millisecond)
			continue
		}
		err := cg.Destroy()
		if err == nil {
			return nil
		}
		if everywhere || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup: %w", err)
		}
		everywhere = true
	}
}

// livePids leaves the zombies out of pids.
func livePids(pids []int) []int {
	var out []int
	for _, pid := range pids {
		if _, zombie, err := processStartTime(pid); err == nil && !zombie {
			out = append(out, pid)
		}
	}
	return out
}

// cgroupPids lists the processes in the cgroup directories of paths, in
// every hierarchy, and below them.
func cgroupPids(paths map[string]string) []int {
	seen := make(map[int]bool)
	var out []int
	for _, dir := range paths {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			data, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
			if err != nil {
				return nil
			}
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil && !seen[pid] {
					seen[pid] = true
					out = append(out, pid)
				}
			}
			return nil
		})
	}
	return out
}

// removeStateDir removes the state directory with state.json last, so that
// a delete killed half-way leaves a state that names what is left.
func removeStateDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if e.Name() == stateFile {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	if err := os.Remove(filepath.Join(dir, stateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := unix.Rmdir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
		return &os.PathError{Op: "rmdir", Path: dir, Err: err}
	}
	return nil
}

// destroyCgroup kills what is left in a cgroup that is the container's
// alone and removes it.
func destroyCgroup(cg cgroups.Manager) error {
	return waitEmptyAndDestroy(cg, true)
}
