package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Alive tells whether pid runs: a zombie or a dead process does not.
func Alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && running(string(data))
}

// running tells from a /proc/PID/stat line whether the process runs; its
// state follows the command name in parentheses, which may hold anything.
func running(stat string) bool {
	i := strings.LastIndexByte(stat, ')')
	return i > 0 && len(stat) > i+2 && stat[i+2] != 'Z' && stat[i+2] != 'X'
}

// ThreadsAlive tells whether any thread of pid runs: a seccomp kill ends
// one thread, and the others may still run.
func ThreadsAlive(pid int) bool {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, t.Name())); err == nil && running(string(data)) {
			return true
		}
	}
	return false
}

// ContainerProcesses lists (by /proc/PID/stat) the live processes in a
// cgroup named cgName, or below it, in any hierarchy, or with rootfs as
// their root: what is left of a container whatever its stage.
func ContainerProcesses(cgName, rootfs string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		// A zombie has exited already; reaping it is its parent's job.
		if err != nil || !running(string(stat)) {
			continue
		}
		cg, _ := os.ReadFile("/proc/" + e.Name() + "/cgroup")
		root, _ := os.Readlink("/proc/" + e.Name() + "/root")
		if strings.Contains(string(cg), "/"+cgName+"/") || strings.Contains(string(cg), "/"+cgName+"\n") || root == rootfs {
			out = append(out, strings.TrimSpace(string(stat)))
		}
	}
	return out
}

// ProcessesHolding lists the processes that have one of files as stdout or
// stderr: what the commands that ran with them left running, and no other
// sprout process of the machine.
func ProcessesHolding(files []string) []string {
	ours := map[string]bool{}
	for _, name := range files {
		ours[name] = true
		ours[name+" (deleted)"] = true
	}
	var left []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		for _, fd := range []string{"1", "2"} {
			if target, err := os.Readlink("/proc/" + e.Name() + "/fd/" + fd); err == nil && ours[target] {
				left = append(left, e.Name())
				break
			}
		}
	}
	return left
}

// MountsUnder lists the mount points of the test's mount namespace at or
// below dir.
func MountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range mountinfo(t) {
		if f[4] == dir || strings.HasPrefix(f[4], dir+"/") {
			out = append(out, f[4])
		}
	}
	return out
}

// mountinfo is the test's mount table, /proc/self/mountinfo, as the
// fields of each line.
func mountinfo(t *testing.T) [][]string {
	t.Helper()
	out, err := readMountinfo()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readMountinfo() ([][]string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, l := range strings.Split(string(data), "\n") {
		// A mount point is field 5.
		if f := strings.Fields(l); len(f) > 4 {
			out = append(out, f)
		}
	}
	return out, nil
}

// CgroupMounts lists the mount point of every cgroup hierarchy, v1 or v2,
// under /sys/fs/cgroup.
func CgroupMounts(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, f := range mountinfo(t) {
		for i, x := range f {
			// Other mounts of a hierarchy (a checkpoint tool's, say) are
			// the same cgroups seen twice.
			if x == "-" && i+1 < len(f) && (f[i+1] == "cgroup" || f[i+1] == "cgroup2") &&
				(f[4] == "/sys/fs/cgroup" || strings.HasPrefix(f[4], "/sys/fs/cgroup/")) {
				out = append(out, f[4])
			}
		}
	}
	return out
}

// CgroupOf returns pid's cgroup in the hierarchy of controller: its v1
// one, or on a pure cgroup v2 host the unified one.
func CgroupOf(t *testing.T, pid int, controller string) string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	unified := ""
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 && strings.Contains(","+f[1]+",", ","+controller+",") {
			return f[2]
		}
		if len(f) == 3 && f[0] == "0" && f[1] == "" {
			unified = f[2]
		}
	}
	// cgroup.controllers exists only where /sys/fs/cgroup is cgroup2.
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil && unified != "" {
		return unified
	}
	t.Fatalf("pid %d has no %s cgroup: %s", pid, controller, data)
	return ""
}

// CgroupTrees lists the directories of the cgroup tree top, and below
// it, in every hierarchy.
func CgroupTrees(t *testing.T, top string) []string {
	t.Helper()
	var out []string
	for _, m := range CgroupMounts(t) {
		filepath.WalkDir(filepath.Join(m, top), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}
