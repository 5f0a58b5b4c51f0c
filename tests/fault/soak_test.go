package fault

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// counts is what a create/start/wait/delete cycle must leave as it was.
type counts struct {
	fds, mounts, cgroups, procs, children, stateDirs int
}

func (r *rig) counts() counts {
	var c counts
	fds, _ := os.ReadDir("/proc/self/fd")
	c.fds = len(fds)
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	c.mounts = strings.Count(string(mi), "\n")
	c.cgroups = len(harness.CgroupTrees(r.t, r.cgTop))
	c.procs = len(r.processes())
	// Children of this test, zombies included: an unreaped one is a leak.
	entries, _ := os.ReadDir("/proc")
	me := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if _, after, ok := strings.Cut(string(stat), ") "); ok {
			if f := strings.Fields(after); len(f) > 1 && f[1] == me {
				c.children++
			}
		}
	}
	states, _ := os.ReadDir(r.root)
	c.stateDirs = len(states)
	return c
}

// TestSoak runs SPROUT_SOAK_CYCLES (default 50) create/start/wait/delete
// cycles and compares the host before and after: this process's fds, the
// mount table (`make` runs the tier in a private mount namespace, so that
// only sprout's mounts could change it), the container's cgroups and
// processes, children and state directories. Each container lists its own
// fds: the number must not grow either.
func TestSoak(t *testing.T) {
	cycles := 50
	if n, err := strconv.Atoi(os.Getenv("SPROUT_SOAK_CYCLES")); err == nil && n > 0 {
		cycles = n
	}
	r := newRig(t, "sh", "-c", "ls /proc/self/fd > /tmp/fds")
	fdsFile := filepath.Join(r.rootfs, "tmp/fds")
	// One cycle first: the state root and lazily opened files exist after.
	cycle := func() string {
		os.Remove(fdsFile)
		r.must("create", "--bundle", r.bundle, r.id)
		r.must("start", r.id)
		r.waitStatus("stopped")
		r.must("delete", r.id)
		data, err := os.ReadFile(fdsFile)
		if err != nil {
			t.Fatalf("the container did not run: %v", err)
		}
		return strings.Join(strings.Fields(string(data)), " ")
	}
	firstFds := cycle()
	before := r.counts()
	for i := 0; i < cycles; i++ {
		if fds := cycle(); fds != firstFds {
			t.Fatalf("cycle %d: the container's fds are %q, in the first cycle %q", i, fds, firstFds)
		}
	}
	after := r.counts()
	t.Logf("%d cycles: before %+v after %+v; container fds %q", cycles, before, after, firstFds)
	if before != after {
		t.Fatalf("after %d cycles: %s", cycles, diff(before, after))
	}
}

func diff(a, b counts) string {
	return fmt.Sprintf("fds %d -> %d, mounts %d -> %d, cgroups %d -> %d, processes %d -> %d, children %d -> %d, state dirs %d -> %d",
		a.fds, b.fds, a.mounts, b.mounts, a.cgroups, b.cgroups, a.procs, b.procs, a.children, b.children, a.stateDirs, b.stateDirs)
}
