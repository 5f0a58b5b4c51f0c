package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// resCgroupV2 tells a pure cgroup v2 host (the VM tier) from a v1 or
// hybrid one by the filesystem type of /sys/fs/cgroup.
func resCgroupV2(t *testing.T) bool {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		t.Fatalf("statfs /sys/fs/cgroup: %v", err)
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}

// resCgroup is the set of cgroup directories a process is in, found the
// way an administrator would: /proc/<pid>/cgroup against the cgroup mounts
// of /proc/self/mountinfo.
type resCgroup struct {
	t  *testing.T
	v2 bool
	// dirs maps a v1 controller name, or "" for cgroup v2, to a directory.
	dirs map[string]string
}

func resCgroupOf(t *testing.T, pid int) *resCgroup {
	t.Helper()
	type mount struct{ root, point string }
	mounts := map[string]mount{}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mi), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		m := mount{root: f[3], point: f[4]}
		switch g[0] {
		case "cgroup2":
			if _, seen := mounts[""]; !seen {
				mounts[""] = m
			}
		case "cgroup":
			for _, opt := range strings.Split(g[2], ",") {
				if _, seen := mounts[opt]; !seen {
					mounts[opt] = m
				}
			}
		}
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	cg := &resCgroup{t: t, v2: resCgroupV2(t), dirs: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			t.Fatalf("/proc/%d/cgroup: bad line %q", pid, line)
		}
		names := strings.Split(parts[1], ",")
		if parts[1] == "" {
			names = []string{""}
		}
		for _, name := range names {
			m, ok := mounts[name]
			if !ok {
				continue
			}
			rel, err := filepath.Rel(m.root, parts[2])
			if err != nil || strings.HasPrefix(rel, "..") {
				t.Fatalf("cgroup %s of pid %d is outside the mount of %s (root %s)", parts[2], pid, m.point, m.root)
			}
			cg.dirs[name] = filepath.Join(m.point, rel)
		}
	}
	return cg
}

// dir is the directory holding the files of controller, skipping the test
// when the host has no such controller.
func (cg *resCgroup) dir(controller string) string {
	cg.t.Helper()
	key := controller
	if cg.v2 {
		key = ""
	}
	d, ok := cg.dirs[key]
	if !ok {
		cg.t.Skipf("the %s cgroup controller is not mounted", controller)
	}
	if cg.v2 && controller != "freezer" {
		ctl, err := os.ReadFile(filepath.Join(d, "cgroup.controllers"))
		if err != nil || !slices.Contains(strings.Fields(string(ctl)), controller) {
			cg.t.Skipf("the %s controller is not enabled in %s", controller, d)
		}
	}
	return d
}

// read returns a file of controller: v1file on v1 and hybrid hosts, v2file
// on a unified one.
func (cg *resCgroup) read(controller, v1file, v2file string) string {
	cg.t.Helper()
	file := v1file
	if cg.v2 {
		file = v2file
	}
	data, err := os.ReadFile(filepath.Join(cg.dir(controller), file))
	if err != nil {
		cg.t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func (cg *resCgroup) expect(controller, v1file, v2file, want string) {
	cg.t.Helper()
	if got := cg.read(controller, v1file, v2file); got != want {
		file := v1file
		if cg.v2 {
			file = v2file
		}
		cg.t.Errorf("%s: got %q, want %q", filepath.Join(cg.dir(controller), file), got, want)
	}
}

// oomKills is the kernel's count of OOM kills in the memory cgroup.
func (cg *resCgroup) oomKills() uint64 {
	cg.t.Helper()
	for _, line := range strings.Split(cg.read("memory", "memory.oom_control", "memory.events"), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				cg.t.Fatal(err)
			}
			return n
		}
	}
	cg.t.Fatal("the memory cgroup reports no oom_kill count")
	return 0
}

// resNoSwapLimit is the memory+swap limit that leaves no room for swap, or
// nil on a v1 host without swap accounting, where it cannot be set.
func resNoSwapLimit(t *testing.T, limit int64) *int64 {
	if !resCgroupV2(t) {
		if _, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"); err != nil {
			return nil
		}
	}
	return &limit
}

// resStart creates and starts the bundle detached and returns its init's PID.
func resStart(t *testing.T, r *runtime, b *bundle, id string) int {
	t.Helper()
	b.save(t)
	r.must("create", "--bundle", b.dir, id)
	r.must("start", id)
	return r.mustState(id).Pid
}

// resStoredResources reads the resources sprout keeps in its state.
func resStoredResources(t *testing.T, r *runtime, id string) *specs.LinuxResources {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.root, id, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if s.Linux == nil || s.Linux.Resources == nil {
		t.Fatalf("stored config of %s keeps no linux.resources", id)
	}
	return s.Linux.Resources
}

func resU64(v uint64) *uint64 { return &v }

// resPaused is the status runc and sprout report for a frozen container;
// the OCI spec has no constant for it.
const resPaused specs.ContainerState = "paused"

// resReadWhenWritten waits for the container to write a line to path.
func resReadWhenWritten(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if data, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(data), "\n") {
			return strings.TrimSpace(string(data))
		}
	}
	t.Fatalf("%s was never written", path)
	return ""
}

func TestResourcesAppliedFromConfig(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	const limit = 64 << 20
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64(limit), Reservation: i64(32 << 20), Swap: resNoSwapLimit(t, limit)}
	b.spec.Linux.Resources.CPU = &specs.LinuxCPU{Shares: resU64(512), Quota: i64(20000), Period: resU64(50000), Cpus: "0", Mems: "0"}
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64(42)}
	cg := resCgroupOf(t, resStart(t, r, b, "res-config"))

	cg.expect("memory", "memory.limit_in_bytes", "memory.max", strconv.Itoa(limit))
	if cg.v2 {
		cg.expect("memory", "", "memory.low", strconv.Itoa(32<<20))
		cg.expect("memory", "", "memory.swap.max", "0")
		// runc's conversion of shares (2-262144) to weight (1-10000).
		cg.expect("cpu", "", "cpu.weight", strconv.Itoa(1+(512-2)*9999/262142))
		cg.expect("cpu", "", "cpu.max", "20000 50000")
	} else {
		cg.expect("memory", "memory.soft_limit_in_bytes", "", strconv.Itoa(32<<20))
		if b.spec.Linux.Resources.Memory.Swap != nil {
			cg.expect("memory", "memory.memsw.limit_in_bytes", "", strconv.Itoa(limit))
		}
		cg.expect("cpu", "cpu.shares", "", "512")
		cg.expect("cpu", "cpu.cfs_quota_us", "", "20000")
		cg.expect("cpu", "cpu.cfs_period_us", "", "50000")
	}
	cg.expect("cpuset", "cpuset.cpus", "cpuset.cpus", "0")
	cg.expect("cpuset", "cpuset.mems", "cpuset.mems", "0")
	cg.expect("pids", "pids.max", "pids.max", "42")
}

func TestResourcesUpdate(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64(64 << 20)}
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64(42)}
	const id = "res-update"
	cg := resCgroupOf(t, resStart(t, r, b, id))
	memFile, memV2 := "memory.limit_in_bytes", "memory.max"

	r.must("update", "--memory", "128m", "--pids-limit", "100", "--cpu-share", "256", id)
	cg.expect("memory", memFile, memV2, strconv.Itoa(128<<20))
	cg.expect("pids", "pids.max", "pids.max", "100")
	if cg.v2 {
		cg.expect("cpu", "", "cpu.weight", strconv.Itoa(1+(256-2)*9999/262142))
	} else {
		cg.expect("cpu", "cpu.shares", "", "256")
	}

	// A later update of other settings keeps the earlier ones, in the
	// kernel and in the stored config.
	r.must("update", "--cpu-quota", "30000", "--cpu-period", "60000", id)
	if cg.v2 {
		cg.expect("cpu", "", "cpu.max", "30000 60000")
	} else {
		cg.expect("cpu", "cpu.cfs_quota_us", "", "30000")
		cg.expect("cpu", "cpu.cfs_period_us", "", "60000")
	}
	// A period alone keeps the quota (on v2 both are one file).
	r.must("update", "--cpu-period", "90000", id)
	if cg.v2 {
		cg.expect("cpu", "", "cpu.max", "30000 90000")
	} else {
		cg.expect("cpu", "cpu.cfs_quota_us", "", "30000")
		cg.expect("cpu", "cpu.cfs_period_us", "", "90000")
	}
	// --resources from stdin, in OCI form.
	in, err := os.CreateTemp(t.TempDir(), "res")
	if err != nil {
		t.Fatal(err)
	}
	in.WriteString(`{"memory": {"reservation": 16777216, "limit": 0}, "pids": {"limit": 0}}`)
	in.Seek(0, 0)
	if res := r.sproutIn("", in, "update", "-r", "-", id); res.code != 0 {
		t.Fatalf("update -r -: exit %d: %s", res.code, res.stderr)
	}
	in.Close()
	cg.expect("memory", "memory.soft_limit_in_bytes", "memory.low", strconv.Itoa(16<<20))
	// Zero means unchanged, as in runc.
	cg.expect("memory", memFile, memV2, strconv.Itoa(128<<20))
	cg.expect("pids", "pids.max", "pids.max", "100")

	stored := resStoredResources(t, r, id)
	if m := stored.Memory; m == nil || m.Limit == nil || *m.Limit != 128<<20 || m.Reservation == nil || *m.Reservation != 16<<20 {
		t.Errorf("stored memory: %+v", stored.Memory)
	}
	if p := stored.Pids; p == nil || p.Limit == nil || *p.Limit != 100 {
		t.Errorf("stored pids: %+v", stored.Pids)
	}
	if c := stored.CPU; c == nil || c.Shares == nil || *c.Shares != 256 || c.Quota == nil || *c.Quota != 30000 || c.Period == nil || *c.Period != 90000 {
		t.Errorf("stored cpu: %+v", stored.CPU)
	}
	if len(stored.Devices) == 0 {
		t.Error("update dropped the stored device rules")
	}

	// Refused updates change nothing.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--memory", "12x"}, "--memory"},
		{[]string{"--memory", "256m", "--memory-swap", "128m"}, "memory.swap"},
		{[]string{"--cpu-quota", "lots"}, "--cpu-quota"},
		{[]string{"--l3-cache-schema", "L3:0=f"}, "Intel RDT"},
	} {
		res := r.sprout(append(append([]string{"update"}, c.args...), id)...)
		if res.code == 0 || !strings.Contains(res.stderr, c.want) {
			t.Errorf("update %v: exit %d, stderr %q; want a failure naming %s", c.args, res.code, res.stderr, c.want)
		}
	}
	cg.expect("memory", memFile, memV2, strconv.Itoa(128<<20))
	if s := resStoredResources(t, r, id); *s.Memory.Limit != 128<<20 {
		t.Errorf("a refused update changed the stored memory limit to %d", *s.Memory.Limit)
	}

	// runc's size forms: a fraction with a unit, and -1 for no limit.
	r.must("update", "--memory-reservation", "1.5g", id)
	cg.expect("memory", "memory.soft_limit_in_bytes", "memory.low", strconv.Itoa(3<<29))
	r.must("update", "--memory", "-1", id)
	if cg.v2 {
		cg.expect("memory", "", "memory.max", "max")
	} else if got, _ := strconv.ParseUint(cg.read("memory", memFile, ""), 10, 64); got < 1<<62 {
		t.Errorf("%s after --memory -1: %d", memFile, got)
	}
	if s := resStoredResources(t, r, id); *s.Memory.Limit != -1 || *s.Memory.Reservation != 3<<29 {
		t.Errorf("stored memory after -1 and 1.5g: limit %d, reservation %d", *s.Memory.Limit, *s.Memory.Reservation)
	}

	r.must("kill", id, "KILL")
	r.waitStatus(id, specs.StateStopped)
	if res := r.sprout("update", "--memory", "100m", id); res.code == 0 || !strings.Contains(res.stderr, "container not running") {
		t.Errorf("update of a stopped container: exit %d, %q", res.code, res.stderr)
	}
}

func TestResourcesOOMEvent(t *testing.T) {
	r := newRuntime(t)
	// dd's 64 MiB block buffer cannot fit under a 16 MiB limit.
	b := newBundle(t, "while [ ! -e /tmp/go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=64M count=1; echo $? > /tmp/dd-status; sleep 1000")
	const limit = 16 << 20
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64(limit), Swap: resNoSwapLimit(t, limit)}
	const id = "res-oom"
	cg := resCgroupOf(t, resStart(t, r, b, id))
	before := cg.oomKills()

	ev := exec.Command(sproutBin, "--root", r.root, "events", "--interval", "200ms", id)
	out, err := ev.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ev.Stderr = os.Stderr
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan map[string]any, 100)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e map[string]any
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = map[string]any{"unparsable": sc.Text()}
			}
			lines <- e
		}
		close(lines)
		exited <- ev.Wait()
	}()
	t.Cleanup(func() {
		ev.Process.Kill()
		for range lines {
		}
	})
	next := func(what string) map[string]any {
		t.Helper()
		select {
		case e, ok := <-lines:
			if !ok {
				t.Fatalf("events exited while waiting for %s", what)
			}
			return e
		case <-time.After(20 * time.Second):
			t.Fatalf("no %s from events within 20s", what)
		}
		return nil
	}
	// The first statistics show the watch has started.
	if e := next("statistics"); e["type"] != "stats" || e["id"] != id || e["data"] == nil {
		t.Fatalf("first event: %v", e)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "rootfs/tmp/go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ooms := 0
	for ooms == 0 {
		e := next("an oom event")
		switch e["type"] {
		case "oom":
			if e["id"] != id {
				t.Fatalf("oom event for %v", e["id"])
			}
			ooms++
		case "stats":
		default:
			t.Fatalf("unexpected event %v", e)
		}
	}
	if status := resReadWhenWritten(t, filepath.Join(b.dir, "rootfs/tmp/dd-status")); status != "137" {
		t.Errorf("dd exited %q, want 137 (SIGKILL from the OOM killer)", status)
	}

	// Once the container is gone, events reports what is left and exits.
	r.must("kill", id, "KILL")
	for e := range lines {
		if e["type"] == "oom" {
			ooms++
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("events: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("events did not exit after the container stopped")
	}
	if kills := cg.oomKills() - before; kills == 0 || uint64(ooms) != kills {
		t.Errorf("events reported %d OOM kills, the kernel counted %d", ooms, kills)
	}
}

func TestResourcesPidsLimit(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "i=0; while [ $i -lt 16 ]; do sleep 5 & i=$((i+1)); done; wait")
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64(8)}
	res := r.run(b, "res-pids")
	if res.code == 0 || !strings.Contains(res.stderr, "can't fork") {
		t.Fatalf("16 children under pids.max 8: exit %d, stderr %q", res.code, res.stderr)
	}
}

// resUtime reads the user CPU time of pid, in clock ticks.
func resUtime(t *testing.T, pid int) uint64 {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	v, err := strconv.ParseUint(f[11], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// resWaitUtimeGrows fails unless pid gets CPU time within a few seconds.
func resWaitUtimeGrows(t *testing.T, pid int) {
	t.Helper()
	start := resUtime(t, pid)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resUtime(t, pid) > start {
			return
		}
	}
	t.Fatalf("pid %d got no CPU time", pid)
}

func (cg *resCgroup) frozen() bool {
	cg.t.Helper()
	if cg.v2 {
		return cg.read("freezer", "", "cgroup.freeze") == "1" && strings.Contains(cg.read("freezer", "", "cgroup.events"), "frozen 1")
	}
	return cg.read("freezer", "freezer.state", "") == "FROZEN"
}

func TestResourcesPauseResume(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "while :; do :; done")
	const id = "res-pause"
	pid := resStart(t, r, b, id)
	cg := resCgroupOf(t, pid)
	resWaitUtimeGrows(t, pid)

	r.must("pause", id)
	if st := r.mustState(id); st.Status != resPaused {
		t.Fatalf("state after pause: %s", st.Status)
	}
	if !cg.frozen() {
		t.Fatal("the cgroup is not frozen after pause")
	}
	u := resUtime(t, pid)
	time.Sleep(500 * time.Millisecond)
	if after := resUtime(t, pid); after != u {
		t.Fatalf("a paused busy loop ran: utime %d -> %d", u, after)
	}
	if res := r.sprout("pause", id); res.code == 0 || !strings.Contains(res.stderr, "container not running") {
		t.Errorf("pause of a paused container: exit %d, %q", res.code, res.stderr)
	}
	// Signals other than SIGKILL leave a paused container paused.
	r.must("kill", "--all", id, "STOP")
	if st := r.mustState(id); st.Status != resPaused || !cg.frozen() {
		t.Fatalf("kill --all STOP thawed a paused container (state %s)", st.Status)
	}
	r.must("kill", "--all", id, "CONT")

	r.must("resume", id)
	if st := r.mustState(id); st.Status != specs.StateRunning {
		t.Fatalf("state after resume: %s", st.Status)
	}
	if cg.frozen() {
		t.Fatal("the cgroup is still frozen after resume")
	}
	resWaitUtimeGrows(t, pid)
	if res := r.sprout("resume", id); res.code == 0 || !strings.Contains(res.stderr, "container not paused") {
		t.Errorf("resume of a running container: exit %d, %q", res.code, res.stderr)
	}

	// SIGKILL reaches a paused container: a frozen task only dies thawed.
	r.must("pause", id)
	r.must("kill", id, "KILL")
	r.waitStatus(id, specs.StateStopped)
	r.must("delete", id)
	if res := r.sprout("pause", id); res.code == 0 {
		t.Error("pause of a deleted container succeeded")
	}
}

func TestResourcesPauseCreatedAndForceDelete(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	b.save(t)
	const id = "res-pause-created"
	r.must("create", "--bundle", b.dir, id)
	r.must("pause", id)
	if st := r.mustState(id); st.Status != resPaused {
		t.Fatalf("state of a paused created container: %s", st.Status)
	}
	if res := r.sprout("start", id); res.code == 0 {
		t.Fatal("start of a paused container succeeded")
	}
	r.must("resume", id)
	if st := r.mustState(id); st.Status != specs.StateCreated {
		t.Fatalf("state after resume: %s", st.Status)
	}
	r.must("start", id)
	pid := r.mustState(id).Pid
	r.must("pause", id)
	r.must("delete", "--force", id)
	if res := r.sprout("state", id); res.code == 0 {
		t.Fatal("the container survived delete --force")
	}
	if data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && !strings.Contains(string(data), ") Z ") {
		t.Fatalf("init %d of a paused container survived delete --force", pid)
	}
}

func TestResourcesPs(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 1001 & sleep 1002 & wait")
	const id = "res-ps"
	pid := resStart(t, r, b, id)
	cg := resCgroupOf(t, pid)
	var want []int
	deadline := time.Now().Add(10 * time.Second)
	for len(want) != 3 && time.Now().Before(deadline) {
		want = nil
		for _, f := range strings.Fields(cg.read("pids", "cgroup.procs", "cgroup.procs")) {
			n, _ := strconv.Atoi(f)
			want = append(want, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	sort.Ints(want)
	if len(want) != 3 || !slices.Contains(want, pid) {
		t.Fatalf("cgroup.procs of the container: %v (init %d)", want, pid)
	}

	var got []int
	if err := json.Unmarshal([]byte(r.must("ps", "--format", "json", id)), &got); err != nil {
		t.Fatal(err)
	}
	sort.Ints(got)
	if !slices.Equal(got, want) {
		t.Errorf("ps --format json: %v, cgroup.procs: %v", got, want)
	}

	// The table is ps's own, filtered: every line but the header is a
	// process of the container, and every process is there.
	lines := strings.Split(strings.TrimSpace(r.must("ps", id, "-o", "pid,args")), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "PID") {
		t.Fatalf("ps -o pid,args: %q", lines)
	}
	got = nil
	var args []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		n, err := strconv.Atoi(f[0])
		if err != nil {
			t.Fatalf("ps line %q: %v", l, err)
		}
		got = append(got, n)
		args = append(args, strings.Join(f[1:], " "))
	}
	sort.Ints(got)
	if !slices.Equal(got, want) {
		t.Errorf("ps table PIDs %v, cgroup.procs %v", got, want)
	}
	joined := strings.Join(args, "\n")
	if !strings.Contains(joined, "sleep 1001") || !strings.Contains(joined, "sleep 1002") {
		t.Errorf("ps table commands: %q", args)
	}
	if out := r.must("ps", id); !strings.Contains(strings.SplitN(out, "\n", 2)[0], "PID") || !strings.Contains(out, "sleep 1001") {
		t.Errorf("ps with ps's default options: %q", out)
	}
	if res := r.sprout("ps", "--format", "xml", id); res.code == 0 {
		t.Error("ps --format xml succeeded")
	}
}

func TestResourcesEventsStats(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 1000")
	const limit = 96 << 20
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64(limit)}
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64(77)}
	const id = "res-stats"
	pid := resStart(t, r, b, id)
	cg := resCgroupOf(t, pid)
	// Wait for the loop to end, when sh has become sleep.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if strings.TrimSpace(string(comm)) == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the container's loop did not finish")
		}
	}

	out := r.must("events", "--stats", id)
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 0 {
		t.Fatalf("events --stats printed %d lines: %q", n+1, out)
	}
	var e struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Data struct {
			CPU struct {
				Usage struct {
					Total uint64 `json:"total"`
				} `json:"usage"`
			} `json:"cpu"`
			Memory struct {
				Usage struct {
					Usage uint64 `json:"usage"`
					Limit uint64 `json:"limit"`
				} `json:"usage"`
			} `json:"memory"`
			Pids struct {
				Current uint64 `json:"current"`
				Limit   uint64 `json:"limit"`
			} `json:"pids"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("events --stats: %v: %q", err, out)
	}
	d := e.Data
	if e.Type != "stats" || e.ID != id {
		t.Errorf("event type %q id %q", e.Type, e.ID)
	}
	if d.CPU.Usage.Total == 0 {
		t.Error("no CPU time reported for a container that ran a loop")
	}
	if d.Memory.Usage.Usage == 0 || d.Memory.Usage.Usage > limit || d.Memory.Usage.Limit != limit {
		t.Errorf("memory usage %d, limit %d (configured %d)", d.Memory.Usage.Usage, d.Memory.Usage.Limit, limit)
	}
	cur, _ := strconv.ParseUint(cg.read("pids", "pids.current", "pids.current"), 10, 64)
	if d.Pids.Current != 1 || d.Pids.Current != cur || d.Pids.Limit != 77 {
		t.Errorf("pids current %d (kernel %d), limit %d", d.Pids.Current, cur, d.Pids.Limit)
	}

	if res := r.sprout("events", "--interval", "0s", id); res.code == 0 {
		t.Error("events --interval 0s succeeded")
	}
	r.must("kill", id, "KILL")
	r.waitStatus(id, specs.StateStopped)
	if res := r.sprout("events", "--stats", id); res.code == 0 || !strings.Contains(res.stderr, "not running") {
		t.Errorf("events of a stopped container: exit %d, %q", res.code, res.stderr)
	}
}
