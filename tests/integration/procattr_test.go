package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The scheduling, I/O priority, personality and memory policy of the
// config are what the container's process has, read from its /proc.
func TestProcessAttributesApplied(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, `awk '/^policy/{print "policy=" $3}' /proc/self/sched; awk '{print "nice=" $19}' /proc/self/stat; ionice; `+
		`echo pers=$(cat /proc/self/personality) $(uname -m); head -1 /proc/self/numa_maps | cut -d' ' -f2`)
	b.spec.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Nice: 7}
	b.spec.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 6}
	b.spec.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	b.spec.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0"}
	want := "policy=3\nnice=7\nbest-effort: prio 6\npers=00000008 i686\ninterleave:0\n"
	if out := r.output(b); out != want {
		t.Fatalf("got %q, want %q", out, want)
	}

	b2 := newBundle(t, `awk '/^policy/{print "policy=" $3}' /proc/self/sched; ionice; head -1 /proc/self/numa_maps | cut -d' ' -f2`)
	b2.spec.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedIdle}
	b2.spec.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_IDLE}
	b2.spec.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}
	if out := r.output(b2); out != "policy=5\nidle\nbind=static:0\n" {
		t.Fatalf("got %q", out)
	}
}

// process.execCPUAffinity applies to exec'd processes (the spec leaves the
// container's init out): final once in the cgroup, else initial.
func TestExecCPUAffinity(t *testing.T) {
	r := newRuntime(t)
	_, pid := startSleeper(t, r, "affinity")
	initList := cpusAllowed(t, "/proc/"+strconv.Itoa(pid)+"/status")
	if initList != "0-1" && !strings.Contains(initList, "-") {
		t.Skipf("needs two CPUs or more, the container has %s", initList)
	}
	run := func(aff *specs.CPUAffinity) string {
		t.Helper()
		// No env: the program is named by its path, as without PATH nothing
		// is looked up (runc alike).
		p := specs.Process{Args: []string{"/bin/grep", "Cpus_allowed_list", "/proc/self/status"}, Cwd: "/", ExecCPUAffinity: aff}
		path := writeProcessJSON(t, &p)
		return strings.TrimSpace(strings.TrimPrefix(r.must("exec", "--process", path, "affinity"), "Cpus_allowed_list:"))
	}
	if got := run(&specs.CPUAffinity{Initial: "0", Final: "1"}); got != "1" {
		t.Errorf("initial 0, final 1: the process runs on %q", got)
	}
	if got := run(&specs.CPUAffinity{Final: "0"}); got != "0" {
		t.Errorf("final 0: the process runs on %q", got)
	}
	// Before Linux 6.2 joining a cpuset cgroup resets the affinity to the
	// cgroup's CPUs; since, the kernel keeps what sched_setaffinity asked.
	if kernelAtLeast(t, 6, 2) {
		if got := run(&specs.CPUAffinity{Initial: "1"}); got != "1" {
			t.Errorf("initial 1 alone: the process runs on %q", got)
		}
	}
	if got := run(nil); got != initList {
		t.Errorf("no affinity: the process runs on %q, the init on %q", got, initList)
	}
	if got := cpusAllowed(t, "/proc/"+strconv.Itoa(pid)+"/status"); got != initList {
		t.Errorf("the init moved from %s to %s", initList, got)
	}
}

// What sprout cannot honour is refused, naming the field.
func TestProcessAttributesRefused(t *testing.T) {
	r := newRuntime(t)
	for field, edit := range map[string]func(*bundle){
		"linux.intelRdt":           func(b *bundle) { b.spec.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: "sprout"} },
		"process.ioPriority.class": func(b *bundle) { b.spec.Process.IOPriority = &specs.LinuxIOPriority{Class: "IOPRIO_CLASS_X"} },
		"linux.memoryPolicy.nodes": func(b *bundle) {
			b.spec.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "x"}
		},
	} {
		b := newBundle(t, "true")
		edit(b)
		if res := r.run(b, "refused"); res.code == 0 || !strings.Contains(res.stderr, field) {
			t.Errorf("%s: exit %d, %q", field, res.code, res.stderr)
		}
	}
	// With SELinux off the mount label has nothing to apply to, as in runc
	// and crun.
	b := newBundle(t, "true")
	b.spec.Linux.MountLabel = "system_u:object_r:container_file_t:s0"
	if res := r.run(b, "mountlabel"); res.code != 0 {
		t.Errorf("mountLabel with SELinux off: exit %d, %q", res.code, res.stderr)
	}
}

func cpusAllowed(t *testing.T, status string) string {
	t.Helper()
	data, err := os.ReadFile(status)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("%s has no Cpus_allowed_list", status)
	return ""
}

func writeProcessJSON(t *testing.T, p *specs.Process) string {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "process.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func kernelAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var maj, min int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &maj, &min)
	return maj > major || maj == major && min >= minor
}
