package cgroups

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const mib = 1 << 20

func requireV1(t *testing.T) {
	t.Helper()
	requireRoot(t)
	requireV1Layout(t)
}

// requireV1Layout is enough for tests that only compute paths: they read
// the mount table and create nothing.
func requireV1Layout(t *testing.T) {
	t.Helper()
	if DetectMode() == Unified {
		t.Skip("cgroup v1 test: this host is cgroup v2 only")
	}
}

func legacy(t *testing.T, m Manager) *legacyManager {
	t.Helper()
	lm, ok := m.(*legacyManager)
	if !ok {
		t.Fatalf("manager is %T, not the v1 one", m)
	}
	return lm
}

func expectDestroyed(t *testing.T, m Manager) {
	t.Helper()
	paths := m.Paths()
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	for c, dir := range paths {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Destroy left the %q cgroup %s (stat: %v)", c, dir, err)
		}
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("second Destroy of removed cgroups: %v", err)
	}
}

func TestV1Paths(t *testing.T) {
	requireV1Layout(t)
	hier, err := realHost().v1Hierarchies()
	if err != nil {
		t.Fatal(err)
	}
	own, err := realHost().ownCgroups()
	if err != nil {
		t.Fatal(err)
	}
	abs := "/" + randomName("sprout-test-")
	m, err := New(abs+"/../"+filepath.Base(abs)+"/x", "ignored")
	if err != nil {
		t.Fatal(err)
	}
	for c, h := range hier {
		if want := filepath.Join(h.mountpoint, abs, "x"); m.Paths()[c] != want {
			t.Errorf("absolute path for %s = %q, want %q", c, m.Paths()[c], want)
		}
	}
	for _, tc := range []struct{ cgroupsPath, id, rel string }{
		{"rel/a", "ignored", "rel/a"},
		{"../../../escape", "ignored", "escape"},
		{"", "the-container-id", "the-container-id"},
	} {
		m, err := New(tc.cgroupsPath, tc.id)
		if err != nil {
			t.Fatalf("New(%q): %v", tc.cgroupsPath, err)
		}
		for c, h := range hier {
			want := filepath.Join(h.mountpoint, own[c], tc.rel)
			if got := m.Paths()[c]; got != want {
				t.Errorf("New(%q, %q) path for %s = %q, want %q (under our own cgroup %q)", tc.cgroupsPath, tc.id, c, got, want, own[c])
			}
		}
		if DetectMode() == Hybrid {
			if want := filepath.Join(hybridUnified, own[""], tc.rel); m.Paths()[""] != want {
				t.Errorf("New(%q) v2 path = %q, want %q", tc.cgroupsPath, m.Paths()[""], want)
			}
		}
	}
	for _, bad := range []string{"/", "/..", ".", "a/.."} {
		if _, err := New(bad, "id"); err == nil {
			t.Errorf("New(%q) accepted a path that is the base cgroup itself", bad)
		}
	}
}

// TestV1ApplySetReadback writes every v1 setting this host supports and reads
// each one back from the kernel's files.
func TestV1ApplySetReadback(t *testing.T) {
	requireV1(t)
	base := "/" + randomName("sprout-test-")
	// Two new levels: each new cpuset directory must get cpus and mems.
	m := newManager(t, base+"/nested", "")
	t.Cleanup(func() {
		_ = m.Destroy()
		for _, dir := range m.Paths() {
			_ = os.Remove(filepath.Dir(dir))
		}
	})
	lm := legacy(t, m)
	p := startShell(t, "exec sleep 1000")
	if err := m.Apply(p.pid()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for c, dir := range m.Paths() {
		if !strings.Contains(" "+strings.Join(strings.Fields(readCg(t, dir, "cgroup.procs")), " ")+" ", " "+strconv.Itoa(p.pid())+" ") {
			t.Errorf("pid %d is not in %s/cgroup.procs (%q)", p.pid(), dir, c)
		}
	}
	if got := inCgroup(t, p.pid(), "memory"); got != base+"/nested" {
		t.Errorf("/proc/%d/cgroup memory = %q, want %q", p.pid(), got, base+"/nested")
	}
	if DetectMode() == Hybrid {
		if got := inCgroup(t, p.pid(), ""); got != base+"/nested" {
			t.Errorf("/proc/%d/cgroup v2 = %q, want %q", p.pid(), got, base+"/nested")
		}
	}
	cpuset := lm.paths["cpuset"]
	parentCpus := readCg(t, filepath.Dir(filepath.Dir(cpuset)), "cpuset.cpus")
	if got := readCg(t, cpuset, "cpuset.cpus"); got != parentCpus {
		t.Errorf("new cpuset.cpus = %q, want the parent's %q", got, parentCpus)
	}

	kmemHonoured := kernelKeepsKmemLimit(t, lm.paths["memory"])
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{
			Limit:       new(int64(64 * mib)),
			Reservation: new(int64(32 * mib)),
			Swap:        new(int64(128 * mib)),
			//lint:ignore SA1019 the v1 setting is part of what is tested
			Kernel:           new(int64(48 * mib)),
			KernelTCP:        new(int64(16 * mib)),
			Swappiness:       new(uint64(30)),
			DisableOOMKiller: new(true),
		},
		CPU: &specs.LinuxCPU{
			Shares:          new(uint64(512)),
			Quota:           new(int64(25000)),
			Period:          new(uint64(50000)),
			Burst:           new(uint64(1000)),
			RealtimePeriod:  new(uint64(500000)),
			RealtimeRuntime: new(int64(10000)),
			Cpus:            "0",
			Mems:            "0",
		},
		Pids:    &specs.LinuxPids{Limit: new(int64(100))},
		BlockIO: &specs.LinuxBlockIO{Weight: new(uint16(300))},
		Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(3)), Access: "rwm"},
			{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(5)), Access: "r"},
			{Allow: true, Type: "c", Major: new(int64(136)), Access: "rw"},
		},
	}
	cpu := lm.paths["cpu"]
	if !exists(filepath.Join(cpu, "cpu.rt_runtime_us")) {
		t.Log("kernel without CONFIG_RT_GROUP_SCHED: realtime settings not tested")
		r.CPU.RealtimePeriod, r.CPU.RealtimeRuntime = nil, nil
	} else if err := writeFile(filepath.Dir(cpu), "cpu.rt_runtime_us", "20000"); err != nil {
		// A child's realtime budget comes out of its parent's, which starts
		// at 0 in a new cgroup: give the test's own parent cgroup some.
		t.Fatal(err)
	}
	blkio := lm.paths["blkio"]
	weightFile := "blkio.weight"
	if !exists(filepath.Join(blkio, weightFile)) {
		weightFile = "blkio.bfq.weight"
	}
	if !exists(filepath.Join(blkio, weightFile)) {
		if err := m.Set(&specs.LinuxResources{BlockIO: r.BlockIO}); err == nil || !strings.Contains(err.Error(), "linux.resources.blockIO.weight") || !strings.Contains(err.Error(), "blkio.weight") {
			t.Errorf("blockIO.weight without a weight file: got %v, want an error naming the field and blkio.weight", err)
		}
		r.BlockIO = nil
	}
	if err := m.Set(r); err != nil {
		t.Fatalf("Set: %v", err)
	}

	mem := lm.paths["memory"]
	expectFile(t, mem, "memory.limit_in_bytes", strconv.Itoa(64*mib))
	expectFile(t, mem, "memory.soft_limit_in_bytes", strconv.Itoa(32*mib))
	expectFile(t, mem, "memory.memsw.limit_in_bytes", strconv.Itoa(128*mib))
	if kmemHonoured {
		expectFile(t, mem, "memory.kmem.limit_in_bytes", strconv.Itoa(48*mib))
	} else {
		t.Log("this kernel accepts but ignores memory.kmem.limit_in_bytes (deprecated since 5.16): the kernel value is not read back")
	}
	expectFile(t, mem, "memory.kmem.tcp.limit_in_bytes", strconv.Itoa(16*mib))
	expectFile(t, mem, "memory.swappiness", "30")
	if v := keyedValue(t, mem, "memory.oom_control", "oom_kill_disable"); v != 1 {
		t.Errorf("oom_kill_disable = %d, want 1", v)
	}
	expectFile(t, cpu, "cpu.shares", "512")
	expectFile(t, cpu, "cpu.cfs_period_us", "50000")
	expectFile(t, cpu, "cpu.cfs_quota_us", "25000")
	if exists(filepath.Join(cpu, "cpu.cfs_burst_us")) {
		expectFile(t, cpu, "cpu.cfs_burst_us", "1000")
	}
	if r.CPU.RealtimeRuntime != nil {
		expectFile(t, cpu, "cpu.rt_period_us", "500000")
		expectFile(t, cpu, "cpu.rt_runtime_us", "10000")
	}
	expectFile(t, cpuset, "cpuset.cpus", "0")
	expectFile(t, cpuset, "cpuset.mems", "0")
	expectFile(t, lm.paths["pids"], "pids.max", "100")
	if r.BlockIO != nil {
		if got := strings.TrimPrefix(readCg(t, blkio, weightFile), "default "); got != "300" {
			t.Errorf("%s = %q, want 300", weightFile, got)
		}
	}
	expectFile(t, lm.paths["devices"], "devices.list", "c 1:3 rwm\nc 1:5 r\nc 136:* rw")

	// Fields left nil are not touched.
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: new(int64(0))}}); err != nil {
		t.Fatal(err)
	}
	expectFile(t, lm.paths["pids"], "pids.max", "max")
	expectFile(t, mem, "memory.limit_in_bytes", strconv.Itoa(64*mib))
	expectFile(t, cpu, "cpu.shares", "512")

	// Growing then shrinking memory with memsw needs the writes in the
	// right order each time, or the kernel refuses memory > memory+swap.
	for _, lim := range []int64{256 * mib, 16 * mib} {
		if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(lim), Swap: new(2 * lim)}}); err != nil {
			t.Fatalf("Set memory %d swap %d: %v", lim, 2*lim, err)
		}
		expectFile(t, mem, "memory.limit_in_bytes", strconv.FormatInt(lim, 10))
		expectFile(t, mem, "memory.memsw.limit_in_bytes", strconv.FormatInt(2*lim, 10))
	}
	// -1 with no swap setting lifts both limits.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(-1))}}); err != nil {
		t.Fatal(err)
	}
	unlimited := readCg(t, filepath.Dir(filepath.Dir(mem)), "memory.limit_in_bytes")
	expectFile(t, mem, "memory.limit_in_bytes", unlimited)
	expectFile(t, mem, "memory.memsw.limit_in_bytes", unlimited)

	if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: new(int64(1))}}); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			t.Logf("kernel without cpu.idle: %v", err)
		} else {
			t.Fatalf("Set cpu.idle: %v", err)
		}
	} else {
		expectFile(t, cpu, "cpu.idle", "1")
	}
	if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: new(int64(0))}}); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	// The kernel clamps shares to 2-262144 without an error.
	err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: new(uint64(1))}})
	expectFieldError(t, err, "linux.resources.cpu.shares")

	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(64 * mib)), Swap: new(int64(32 * mib))}})
	expectFieldError(t, err, "linux.resources.memory.swap")
	err = m.Set(&specs.LinuxResources{Unified: map[string]string{"memory.high": "1G"}})
	expectFieldError(t, err, "linux.resources.unified")
	err = m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: new(uint16(200))}})
	if !exists(filepath.Join(blkio, "blkio.leaf_weight")) {
		expectFieldError(t, err, "linux.resources.blockIO.leafWeight")
	} else if err != nil {
		t.Errorf("Set leafWeight: %v", err)
	}

	if err := unix.Kill(p.pid(), unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 10*time.Second)
	expectDestroyed(t, m)
}

// kernelKeepsKmemLimit probes, in a scratch cgroup of our own, whether
// this kernel still applies memory.kmem.limit_in_bytes: from 5.16 it
// accepts writes and ignores them.
func kernelKeepsKmemLimit(t *testing.T, memDir string) bool {
	t.Helper()
	probe := filepath.Join(filepath.Dir(memDir), randomName("sprout-kmem-probe-"))
	if err := os.Mkdir(probe, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(probe)
	if err := writeFile(probe, "memory.kmem.limit_in_bytes", strconv.Itoa(48*mib)); err != nil {
		return false
	}
	v, err := readUint(probe, "memory.kmem.limit_in_bytes")
	return err == nil && v == 48*mib
}

func TestV1Relative(t *testing.T) {
	requireV1(t)
	own, err := realHost().ownCgroups()
	if err != nil {
		t.Fatal(err)
	}
	rel := randomName("sprout-test-rel-")
	m := newManager(t, rel, "")
	p := startShell(t, "exec sleep 1000")
	if err := m.Apply(p.pid()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for _, c := range []string{"memory", "devices", "pids"} {
		if got, want := inCgroup(t, p.pid(), c), filepath.Join(own[c], rel); got != want {
			t.Errorf("/proc/%d/cgroup %s = %q, want %q (below our own cgroup)", p.pid(), c, got, want)
		}
	}
	pids, err := m.Procs()
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 1 || pids[0] != p.pid() {
		t.Errorf("Procs = %v, want [%d]", pids, p.pid())
	}
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: new(int64(7))}}); err != nil {
		t.Fatal(err)
	}
	expectFile(t, legacy(t, m).paths["pids"], "pids.max", "7")
	_ = unix.Kill(p.pid(), unix.SIGKILL)
	p.wait(t, 10*time.Second)
	expectDestroyed(t, m)
}

func TestV1OOMKill(t *testing.T) {
	requireV1(t)
	m := newManager(t, "/"+randomName("sprout-test-oom-"), "")
	p := startHelper(t, "alloc", "256")
	if err := m.Apply(p.pid()); err != nil {
		t.Fatal(err)
	}
	// memory+swap = memory: no swapping out of the OOM.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(32 * mib)), Swap: new(int64(32 * mib))}}); err != nil {
		t.Fatal(err)
	}
	before, err := m.OOMKillCount()
	if err != nil {
		t.Fatal(err)
	}
	if before != 0 {
		t.Fatalf("OOMKillCount of a new cgroup = %d", before)
	}
	p.release(t)
	ws := p.wait(t, 60*time.Second)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("a process allocating 256MiB under a 32MiB limit ended with %v (stdout %q), want SIGKILL by the OOM killer", ws, p.out.String())
	}
	after, err := m.OOMKillCount()
	if err != nil {
		t.Fatal(err)
	}
	if after != 1 {
		t.Errorf("OOMKillCount = %d after one OOM kill, want 1", after)
	}
	expectDestroyed(t, m)
}

func TestV1PidsLimit(t *testing.T) {
	requireV1(t)
	m := newManager(t, "/"+randomName("sprout-test-pids-"), "")
	// The shell counts as one of the 4; each "started" is a fork that worked.
	// The sleeps must not hold the test's output pipe open.
	p := startShell(t, "read x; for i in 1 2 3 4 5 6; do sleep 1000 >/dev/null 2>&1 & echo started; done")
	if err := m.Apply(p.pid()); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: new(int64(4))}}); err != nil {
		t.Fatal(err)
	}
	p.release(t)
	ws := p.wait(t, 20*time.Second)
	if n := strings.Count(p.out.String(), "started"); n != 3 {
		t.Errorf("%d forks succeeded under pids.max=4 with the shell itself counted, want 3 (stderr %q)", n, p.errOut.String())
	}
	if !strings.Contains(strings.ToLower(p.errOut.String()), "fork") {
		t.Errorf("the shell did not report a failed fork: status %v, stderr %q", ws, p.errOut.String())
	}
	if v := keyedValue(t, legacy(t, m).paths["pids"], "pids.events", "max"); v == 0 {
		t.Error("pids.events counts no fork refused by pids.max")
	}
}

func TestV1FreezeProcsStats(t *testing.T) {
	requireV1(t)
	m := newManager(t, "/"+randomName("sprout-test-freeze-"), "")
	busy := startShell(t, "while :; do :; done")
	alloc := startHelper(t, "alloc", "16")
	for _, p := range []*proc{busy, alloc} {
		if err := m.Apply(p.pid()); err != nil {
			t.Fatal(err)
		}
	}
	alloc.release(t)
	alloc.waitOutput(t, "allocated", 20*time.Second)

	pids, err := m.Procs()
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{busy.pid(): true, alloc.pid(): true}
	if len(pids) != 2 || !want[pids[0]] || !want[pids[1]] {
		t.Errorf("Procs = %v, want %d and %d", pids, busy.pid(), alloc.pid())
	}

	if err := m.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	if paused, err := m.Paused(); err != nil || !paused {
		t.Errorf("Paused after Freeze = %v, %v", paused, err)
	}
	time.Sleep(50 * time.Millisecond)
	u1 := utime(t, busy.pid())
	time.Sleep(500 * time.Millisecond)
	if u2 := utime(t, busy.pid()); u2 != u1 {
		t.Errorf("a frozen busy loop kept running: utime %d -> %d", u1, u2)
	}
	if err := m.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	if paused, err := m.Paused(); err != nil || paused {
		t.Errorf("Paused after Thaw = %v, %v", paused, err)
	}
	u3 := utime(t, busy.pid())
	time.Sleep(500 * time.Millisecond)
	if u4 := utime(t, busy.pid()); u4 <= u3 {
		t.Errorf("the thawed busy loop does not run: utime %d -> %d", u3, u4)
	}

	st, err := m.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.CPU.Usage.Total == 0 || st.CPU.Usage.User == 0 || len(st.CPU.Usage.Percpu) == 0 {
		t.Errorf("cpu usage after a busy loop: %+v", st.CPU.Usage)
	}
	if st.Memory.Usage.Usage < 16*mib {
		t.Errorf("memory usage %d below the 16MiB the helper touched", st.Memory.Usage.Usage)
	}
	if st.Memory.Usage.Limit == 0 || len(st.Memory.Raw) == 0 {
		t.Errorf("memory stats incomplete: %+v", st.Memory.Usage)
	}
	if st.Pids.Current < 2 {
		t.Errorf("pids.current = %d with two processes", st.Pids.Current)
	}
	if len(st.CPUSet.CPUs) == 0 {
		t.Error("no cpuset cpus in stats")
	}

	// A manager loaded from the saved paths drives the same cgroups.
	loaded, err := Load(m.Paths())
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Freeze(); err != nil {
		t.Fatal(err)
	}
	if paused, _ := m.Paused(); !paused {
		t.Error("Freeze through the loaded manager did not freeze")
	}
	if err := loaded.Thaw(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*proc{busy, alloc} {
		_ = unix.Kill(p.pid(), unix.SIGKILL)
		p.wait(t, 10*time.Second)
	}
	expectDestroyed(t, loaded)
}

func TestV1Devices(t *testing.T) {
	requireV1(t)
	null, zero, full := mknodPair(t)
	m := newManager(t, "/"+randomName("sprout-test-dev-"), "")
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(3)), Access: "rwm"},
		{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(5)), Access: "rw"},
		{Allow: false, Type: "c", Major: new(int64(1)), Minor: new(int64(5)), Access: "w"},
	}}); err != nil {
		t.Fatal(err)
	}
	expectOpens(t, func(pid int) {
		if err := m.Apply(pid); err != nil {
			t.Fatal(err)
		}
	}, map[string]string{
		null + ":rw": "ok",
		zero + ":r":  "ok",
		zero + ":w":  "EPERM",
		full + ":r":  "EPERM",
	})
}

// TestV1Blkio sets per-device limits on a loop device of its own.
func TestV1Blkio(t *testing.T) {
	requireV1(t)
	if _, err := exec.LookPath("losetup"); err != nil {
		t.Skip("losetup is not installed")
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, make([]byte, 4*mib), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "--find", "--show", img).CombinedOutput()
	if err != nil {
		t.Skipf("cannot attach a loop device: %v: %s", err, out)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("losetup", "--detach", loop).Run() })
	devNum := readCg(t, filepath.Join("/sys/block", filepath.Base(loop)), "dev")
	maj, min, _ := parseDevNum(devNum)
	dev := specs.LinuxBlockIODevice{Major: int64(maj), Minor: int64(min)}
	// Per-device weights need BFQ on the device: switch our loop device to
	// it, and back afterwards, as the loop device node outlives the test.
	queue := filepath.Join("/sys/block", filepath.Base(loop), "queue")
	sched := readCg(t, queue, "scheduler")
	if i, j := strings.IndexByte(sched, '['), strings.IndexByte(sched, ']'); i >= 0 && j > i {
		prev := sched[i+1 : j]
		t.Cleanup(func() { _ = writeFile(queue, "scheduler", prev) })
	}
	bfq := writeFile(queue, "scheduler", "bfq") == nil

	m := newManager(t, "/"+randomName("sprout-test-blkio-"), "")
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	b := &specs.LinuxBlockIO{
		ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 1 * mib}},
		ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 2 * mib}},
		ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 300}},
		ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 400}},
	}
	if bfq {
		b.WeightDevice = []specs.LinuxWeightDevice{{LinuxBlockIODevice: dev, Weight: new(uint16(250))}}
	} else {
		t.Log("BFQ is not available for the loop device: weightDevice not tested")
	}
	if err := m.Set(&specs.LinuxResources{BlockIO: b}); err != nil {
		t.Fatal(err)
	}
	dir := legacy(t, m).paths["blkio"]
	expectFile(t, dir, "blkio.throttle.read_bps_device", devNum+" "+strconv.Itoa(1*mib))
	expectFile(t, dir, "blkio.throttle.write_bps_device", devNum+" "+strconv.Itoa(2*mib))
	expectFile(t, dir, "blkio.throttle.read_iops_device", devNum+" 300")
	expectFile(t, dir, "blkio.throttle.write_iops_device", devNum+" 400")
	if bfq {
		file := "blkio.weight_device"
		if !exists(filepath.Join(dir, file)) {
			file = "blkio.bfq.weight_device"
		}
		if got := readCg(t, dir, file); !strings.Contains(got+"\n", devNum+" 250\n") {
			t.Errorf("%s = %q, want a line %q", file, got, devNum+" 250")
		}
	}
	expectDestroyed(t, m)
}

// TestV1MissingControllers: a setting whose controller is not mounted is an
// error naming it, while leaving it unset works.
func TestV1MissingControllers(t *testing.T) {
	requireV1(t)
	hier, err := realHost().v1Hierarchies()
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, "/"+randomName("sprout-test-missing-"), "")
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		controller, field string
		r                 *specs.LinuxResources
	}{
		{"hugetlb", "linux.resources.hugepageLimits", &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 * mib}}}},
		{"net_cls", "linux.resources.network.classID", &specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: new(uint32(0x100001))}}},
		{"net_prio", "linux.resources.network.priorities", &specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "lo", Priority: 5}}}}},
		{"rdma", "linux.resources.rdma", &specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: new(uint32(3))}}}},
	}
	tested := 0
	for _, tc := range cases {
		if _, mounted := hier[tc.controller]; mounted {
			t.Logf("%s is mounted here: its missing-controller error is not tested", tc.controller)
			continue
		}
		tested++
		expectFieldError(t, m.Set(tc.r), tc.field)
	}
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: new(int64(9))}}); err != nil {
		t.Fatalf("Set with the unmounted controllers' fields unset: %v", err)
	}
	if tested == 0 {
		t.Skip("every optional controller is mounted on this host")
	}
}

func TestLoadRejectsForeignPaths(t *testing.T) {
	for _, paths := range []map[string]string{
		{},
		{"memory": "/etc"},
		{"memory": "/sys/fs/cgroup/memory/../../../etc"},
		{"": "/tmp/x", "devices": "/sys/fs/cgroup/devices/x"},
		{"no-such-controller": "/sys/fs/cgroup/x"},
	} {
		if DetectMode() == Unified && len(paths) == 1 && paths["memory"] != "" {
			paths = map[string]string{"": paths["memory"]}
		}
		if _, err := Load(paths); err == nil {
			t.Errorf("Load(%v) accepted paths outside the cgroup hierarchies", paths)
		}
	}
}
