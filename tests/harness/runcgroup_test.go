package harness

import (
	"strings"
	"testing"
)

// Mount tables of a hybrid host (this project's), a pure cgroup v2 host,
// and mounts that are not the hierarchy's under /sys/fs/cgroup.
var (
	hybridMounts = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`
	unifiedMounts = `30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`
	otherMounts   = `90 23 0:32 / /tmp/criu/memory rw - cgroup cgroup rw,memory
91 23 0:32 /kube /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory`
)

func fields(table string) [][]string {
	var out [][]string
	for _, l := range strings.Split(table, "\n") {
		out = append(out, strings.Fields(l))
	}
	return out
}

func TestMountOfAndBase(t *testing.T) {
	cases := []struct {
		name, table, controllers, path string
		// own and base are "" where the hierarchy has no mount to use.
		own, base string
		cpuset    bool
	}{
		{"v1 at the root", hybridMounts, "memory", "/", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory", false},
		{"v1 below: relative paths go under the own cgroup", hybridMounts, "memory", "/process_api/x", "/sys/fs/cgroup/memory/process_api/x", "/sys/fs/cgroup/memory/process_api/x", false},
		{"co-mounted controllers", hybridMounts, "cpu,cpuacct", "/a", "/sys/fs/cgroup/cpu,cpuacct/a", "/sys/fs/cgroup/cpu,cpuacct/a", false},
		{"one of two co-mounted is not the hierarchy", hybridMounts, "cpu,pids", "/a", "", "", false},
		{"cpuset", hybridMounts, "cpuset", "/a", "/sys/fs/cgroup/cpuset/a", "/sys/fs/cgroup/cpuset/a", true},
		{"named hierarchy", hybridMounts, "name=systemd", "/a", "/sys/fs/cgroup/systemd/a", "/sys/fs/cgroup/systemd/a", false},
		{"v2 beside v1: like v1", hybridMounts, "", "/a", "/sys/fs/cgroup/unified/a", "/sys/fs/cgroup/unified/a", false},
		{"v2 host: under the parent", unifiedMounts, "", "/a/b", "/sys/fs/cgroup/a/b", "/sys/fs/cgroup/a", false},
		{"v2 host at the root: the root", unifiedMounts, "", "/", "/sys/fs/cgroup", "/sys/fs/cgroup", false},
		{"v1 controller on a v2 host", unifiedMounts, "memory", "/a", "", "", false},
		{"a mount elsewhere, and one of a sub-tree the cgroup is not in", otherMounts, "memory", "/a", "", "", false},
		{"a mount of a sub-tree", otherMounts, "memory", "/kube/pod", "/sys/fs/cgroup/memory/pod", "/sys/fs/cgroup/memory/pod", false},
	}
	for _, c := range cases {
		h, ok := mountOf(fields(c.table), c.controllers, c.path)
		if c.own == "" {
			if ok {
				t.Errorf("%s: found %+v, want none", c.name, h)
			}
			continue
		}
		if !ok || h.own != c.own || h.base() != c.base || h.cpuset != c.cpuset {
			t.Errorf("%s: got %+v (found %v, base %s), want own %s, base %s, cpuset %v", c.name, h, ok, h.base(), c.own, c.base, c.cpuset)
		}
	}
}
