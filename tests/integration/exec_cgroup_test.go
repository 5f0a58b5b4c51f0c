package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// procCgroups maps each line's controller list of /proc/<pid>/cgroup
// ("" for cgroup v2) to its path.
func procCgroups(t *testing.T, pid string) map[string]string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) == 3 {
			m[parts[1]] = parts[2]
		}
	}
	return m
}

// exec --cgroup puts the process in sub-cgroups of the container's, as
// runc 1.1.5 does: "path" in every hierarchy, "controller[,...]:path" in
// the named ones (v1), "/" in the container's own cgroup.
func TestExecSubCgroup(t *testing.T) {
	r := newRuntime(t)
	_, pid := startSleeper(t, r, "execcg")
	cg := resCgroupOf(t, pid)
	initCg := procCgroups(t, strconv.Itoa(pid))
	// A sub-cgroup in every hierarchy; cpuset needs its CPUs and nodes
	// before it takes a process.
	for ctrl, dir := range cg.dirs {
		for _, sub := range []string{"sub1", "sub2"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
			if ctrl == "cpuset" {
				for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
					v, _ := os.ReadFile(filepath.Join(dir, f))
					if err := os.WriteFile(filepath.Join(dir, sub, f), v, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	exec := func(cgroups ...string) map[string]string {
		t.Helper()
		pidFile := filepath.Join(t.TempDir(), "pid")
		args := []string{"exec", "-d", "--pid-file", pidFile}
		for _, c := range cgroups {
			args = append(args, "--cgroup", c)
		}
		r.must(append(args, "execcg", "sleep", "1000")...)
		data, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		p := strings.TrimSpace(string(data))
		defer killPid(p)
		return procCgroups(t, p)
	}
	check := func(name string, got map[string]string, want func(key, init string) string) {
		t.Helper()
		for key, init := range initCg {
			if w := want(key, init); got[key] != w {
				t.Errorf("%s: %q is in %q, want %q", name, key, got[key], w)
			}
		}
	}

	check("--cgroup sub1", exec("sub1"), func(_, init string) string { return init + "/sub1" })
	check("--cgroup /", exec("/"), func(_, init string) string { return init })
	if !cg.v2 {
		got := exec("memory:sub1", "cpu,cpuacct:sub2")
		check("--cgroup memory:sub1 --cgroup cpu,cpuacct:sub2", got, func(key, init string) string {
			switch key {
			case "memory":
				return init + "/sub1"
			case "cpu", "cpuacct", "cpu,cpuacct", "cpuacct,cpu":
				return init + "/sub2"
			}
			return init
		})
	}
	for _, bad := range [][]string{{"../escape"}, {"nosuch"}, {"sub1", "memory:sub2"}, {"nosuchctl:sub1"}, {":sub1"}} {
		args := []string{"exec"}
		for _, c := range bad {
			args = append(args, "--cgroup", c)
		}
		if res := r.sprout(append(args, "execcg", "true")...); res.code == 0 || !strings.Contains(res.stderr, "--cgroup") {
			t.Errorf("exec --cgroup %v: exit %d, %q", bad, res.code, res.stderr)
		}
	}
	// runc's words, which its own tests look for.
	for arg, want := range map[string]string{
		"..":              " .. is not a sub cgroup path",
		"nosuch":          "/nosuch/cgroup.procs: no such file or directory",
		"memory:nosuch":   "/nosuch/cgroup.procs: no such file or directory",
		"nosuchctl:/":     "unknown controller nosuchctl",
		"memory,pids:../": " ../ is not a sub cgroup path",
	} {
		if cg.v2 && strings.Contains(arg, ":") {
			continue
		}
		if res := r.sprout("exec", "--cgroup", arg, "execcg", "true"); res.code == 0 || !strings.Contains(res.stderr, want) {
			t.Errorf("exec --cgroup %s: exit %d, %q, want %q", arg, res.code, res.stderr, want)
		}
	}
}
