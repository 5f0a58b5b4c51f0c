package integration

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// The kernel enforces what the cgroup files say: a cpuset pins the
// process, a cpu quota throttles it.
func TestCgroupCpusetPinsProcess(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "grep Cpus_allowed_list /proc/self/status")
	b.spec.Linux.Resources.CPU = &specs.LinuxCPU{Cpus: "0", Mems: "0"}
	out := r.output(b)
	if strings.TrimSpace(out) != "Cpus_allowed_list:\t0" {
		t.Fatalf("cpuset not applied: %q", out)
	}
}

func TestCgroupCPUQuotaThrottles(t *testing.T) {
	r := newRuntime(t)
	// The container's own cgroup is the root of its cgroup namespace: its
	// cpu.stat is at the top of the v2 mount, or in the v1 cpu hierarchy.
	b := newBundle(t, "(while :; do :; done) & sleep 1; kill $!; cat /sys/fs/cgroup/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.stat")
	quota, period := int64(10000), uint64(100000)
	b.spec.Linux.Resources.CPU = &specs.LinuxCPU{Quota: &quota, Period: &period}
	out := r.output(b)
	throttled := -1
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "nr_throttled" {
			throttled, _ = strconv.Atoi(f[1])
		}
	}
	if throttled <= 0 {
		t.Fatalf("a busy loop under a 10%% quota was never throttled: %q", out)
	}
}

func TestExecIntoPausedContainer(t *testing.T) {
	r := newRuntime(t)
	startSleeper(t, r, "expause")
	r.must("pause", "expause")
	res := r.sprout("exec", "expause", "true")
	if res.code == 0 || !strings.Contains(res.stderr, "paused") {
		t.Fatalf("exec into a paused container: %d %q", res.code, res.stderr)
	}
	r.must("resume", "expause")
	r.must("exec", "expause", "true")
}

// The limits apply once the init is set up, so even pids.limit 1 (as
// engines set for tight sandboxes) lets a container start.
func TestPidsLimitOne(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "echo up")
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64(1)}
	if out := r.output(b); out != "up\n" {
		t.Fatalf("got %q", out)
	}
}

func withoutPidNamespace(b *bundle) { dropNamespace(b, specs.PIDNamespace) }

// Without a pid namespace nothing kills the container's other processes
// when its init dies: kill --all and delete must find them in the cgroup.
func TestKillAllAndDeleteWithoutPidNamespace(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 1001 & sleep 1002 & echo $! > /tmp/child; exec sleep 1003")
	withoutPidNamespace(b)
	b.save(t)
	r.must("run", "-d", "--bundle", b.dir, "nopidns")
	waitFile(t, b.dir+"/rootfs/tmp/child")
	data, _ := os.ReadFile(b.dir + "/rootfs/tmp/child")
	child := strings.TrimSpace(string(data))
	t.Cleanup(func() { killPid(child) })
	r.must("kill", "--all", "nopidns", "KILL")
	r.waitStatus("nopidns", specs.StateStopped)
	if outlives(child) {
		t.Fatalf("kill --all left pid %s alive", child)
	}
	r.must("delete", "nopidns")

	b2 := newBundle(t, "sleep 1004 & echo $! > /tmp/child")
	withoutPidNamespace(b2)
	b2.save(t)
	r.must("run", "-d", "--bundle", b2.dir, "orphan")
	r.waitStatus("orphan", specs.StateStopped)
	waitFile(t, b2.dir+"/rootfs/tmp/child")
	data, _ = os.ReadFile(b2.dir + "/rootfs/tmp/child")
	orphan := strings.TrimSpace(string(data))
	t.Cleanup(func() { killPid(orphan) })
	if !alive(orphan) {
		t.Fatalf("the orphan %s died by itself; the test proves nothing", orphan)
	}
	r.must("delete", "orphan")
	if outlives(orphan) {
		t.Fatalf("delete left the orphan %s of a stopped container alive", orphan)
	}
}

// alive tells whether pid runs (a zombie is not alive).
func alive(pid string) bool {
	n, err := strconv.Atoi(pid)
	return err == nil && harness.Alive(n)
}

// outlives tells whether pid is still alive 5 s from now: a process sent
// SIGKILL dies when the kernel next schedules it, which on a loaded machine
// is not at once.
func outlives(pid string) bool {
	return !harness.Poll(5*time.Second, func() bool { return !alive(pid) })
}

func killPid(pid string) {
	if n, err := strconv.Atoi(pid); err == nil && n > 1 {
		syscall.Kill(n, syscall.SIGKILL)
	}
}
