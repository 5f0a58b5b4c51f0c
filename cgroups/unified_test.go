package cgroups

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func requireV2(t *testing.T) {
	t.Helper()
	requireRoot(t)
	requireV2Layout(t)
}

// requireV2Layout is enough for tests that only compute paths.
func requireV2Layout(t *testing.T) {
	t.Helper()
	if mode := DetectMode(); mode != Unified {
		t.Skipf("cgroup v2 test: this host is %s, not unified (run it in the v2 VM tier)", mode)
	}
}

func unified(t *testing.T, m Manager) *unifiedManager {
	t.Helper()
	um, ok := m.(*unifiedManager)
	if !ok {
		t.Fatalf("manager is %T, not the v2 one", m)
	}
	return um
}

// requireControllers skips when the host's v2 root does not offer cs.
func requireControllers(t *testing.T, cs ...string) {
	t.Helper()
	avail := wordSet(readCg(t, cgroupRoot, "cgroup.controllers"))
	for _, c := range cs {
		if !avail[c] {
			t.Skipf("the cgroup v2 %s controller is not available on this host", c)
		}
	}
}

func TestV2Paths(t *testing.T) {
	requireV2Layout(t)
	own, err := realHost().ownCgroups()
	if err != nil {
		t.Fatal(err)
	}
	m, err := New("/a/../b", "x")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Paths()[""]; got != "/sys/fs/cgroup/b" || len(m.Paths()) != 1 {
		t.Errorf("absolute Paths = %v, want only \"\": /sys/fs/cgroup/b", m.Paths())
	}
	m, err = New("", "ctr")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cgroupRoot, filepath.Dir(own[""]), "ctr"); m.Paths()[""] != want {
		t.Errorf("default path = %q, want %q (next to our own cgroup %q)", m.Paths()[""], want, own[""])
	}
}

func TestV2ApplySetReadback(t *testing.T) {
	requireV2(t)
	requireControllers(t, "memory", "cpu", "pids", "cpuset")
	base := "/" + randomName("sprout-test-")
	m := newManager(t, base+"/nested", "")
	t.Cleanup(func() {
		_ = m.Destroy()
		_ = os.Remove(filepath.Join(cgroupRoot, base))
	})
	um := unified(t, m)
	rootBefore := wordSet(readCg(t, cgroupRoot, "cgroup.subtree_control"))
	p := startShell(t, "exec sleep 1000")
	if err := m.Apply(p.pid()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := inCgroup(t, p.pid(), ""); got != base+"/nested" {
		t.Errorf("/proc/%d/cgroup = %q, want %q", p.pid(), got, base+"/nested")
	}
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{
			Limit:       new(int64(64 * mib)),
			Reservation: new(int64(16 * mib)),
			Swap:        new(int64(96 * mib)),
			//lint:ignore SA1019 v1 only: checks that v2 ignores it
			Kernel:     new(int64(8 * mib)),
			Swappiness: new(uint64(10)), // v1 only: ignored
		},
		CPU: &specs.LinuxCPU{
			Shares: new(uint64(1024)),
			Quota:  new(int64(20000)),
			Period: new(uint64(50000)),
			Burst:  new(uint64(5000)),
			Cpus:   "0",
			Mems:   "0",
		},
		Pids: &specs.LinuxPids{Limit: new(int64(64))},
		Unified: map[string]string{
			"memory.high": strconv.Itoa(48 * mib),
		},
	}
	if err := m.Set(r); err != nil {
		t.Fatalf("Set: %v", err)
	}
	dir := um.dir
	expectFile(t, dir, "memory.max", strconv.Itoa(64*mib))
	expectFile(t, dir, "memory.low", strconv.Itoa(16*mib))
	if exists(filepath.Join(dir, "memory.swap.max")) {
		expectFile(t, dir, "memory.swap.max", strconv.Itoa(32*mib))
	}
	expectFile(t, dir, "memory.high", strconv.Itoa(48*mib))
	expectFile(t, dir, "cpu.weight", "39")
	expectFile(t, dir, "cpu.max", "20000 50000")
	if exists(filepath.Join(dir, "cpu.max.burst")) {
		expectFile(t, dir, "cpu.max.burst", "5000")
	}
	expectFile(t, dir, "cpuset.cpus", "0")
	expectFile(t, dir, "cpuset.mems", "0")
	expectFile(t, dir, "pids.max", "64")

	// Each ancestor delegates exactly the controllers asked for, plus what
	// it had; the root keeps what it had enabled.
	for cur := filepath.Dir(dir); within(cgroupRoot, cur); cur = filepath.Dir(cur) {
		on := wordSet(readCg(t, cur, "cgroup.subtree_control"))
		for _, c := range []string{"memory", "cpu", "cpuset", "pids"} {
			if !on[c] {
				t.Errorf("%s/cgroup.subtree_control lacks %s", cur, c)
			}
		}
		for c := range on {
			if cur != cgroupRoot && !map[string]bool{"memory": true, "cpu": true, "cpuset": true, "pids": true}[c] {
				t.Errorf("%s/cgroup.subtree_control has %s, which nothing asked for", cur, c)
			}
		}
		if cur == cgroupRoot {
			break
		}
	}
	rootAfter := wordSet(readCg(t, cgroupRoot, "cgroup.subtree_control"))
	for c := range rootBefore {
		if !rootAfter[c] {
			t.Errorf("the root's %s controller was disabled", c)
		}
	}

	// Quota unset: "max PERIOD"; nil fields untouched.
	if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: new(int64(-1)), Period: new(uint64(100000))}}); err != nil {
		t.Fatal(err)
	}
	expectFile(t, dir, "cpu.max", "max 100000")
	expectFile(t, dir, "memory.max", strconv.Itoa(64*mib))
	// swap == limit: no swap; limit -1: max.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(32 * mib)), Swap: new(int64(32 * mib))}}); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(dir, "memory.swap.max")) {
		expectFile(t, dir, "memory.swap.max", "0")
	}
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(-1))}, Pids: &specs.LinuxPids{Limit: new(int64(0))}}); err != nil {
		t.Fatal(err)
	}
	expectFile(t, dir, "memory.max", "max")
	expectFile(t, dir, "pids.max", "max")
	if exists(filepath.Join(dir, "memory.swap.max")) {
		expectFile(t, dir, "memory.swap.max", "max")
	}
	if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: new(int64(1))}}); err != nil {
		t.Fatal(err)
	}
	expectFile(t, dir, "cpu.idle", "1")

	expectFieldError(t, m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: new(int64(1000))}}), "linux.resources.cpu.realtimeRuntime")
	expectFieldError(t, m.Set(&specs.LinuxResources{Unified: map[string]string{"memory.nonexistent": "1"}}), `linux.resources.unified["memory.nonexistent"]`)

	_ = unix.Kill(p.pid(), unix.SIGKILL)
	p.wait(t, 10*time.Second)
	expectDestroyed(t, m)
}

func TestV2IOWeight(t *testing.T) {
	requireV2(t)
	requireControllers(t, "io")
	m := newManager(t, "/"+randomName("sprout-test-io-"), "")
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: new(uint16(500))}}); err != nil {
		t.Fatal(err)
	}
	dir := unified(t, m).dir
	if exists(filepath.Join(dir, "io.bfq.weight")) {
		if got := strings.TrimPrefix(strings.Split(readCg(t, dir, "io.bfq.weight"), "\n")[0], "default "); got != "500" {
			t.Errorf("io.bfq.weight = %q, want 500", got)
		}
	} else {
		expectFile(t, dir, "io.weight", "default 4950")
	}
}

func TestV2IOThrottle(t *testing.T) {
	requireV2(t)
	requireControllers(t, "io")
	// io.max takes whole disks, which /sys/block lists.
	disks, _ := os.ReadDir("/sys/block")
	if len(disks) == 0 {
		t.Skip("no block device on this host to throttle")
	}
	devNum := readCg(t, filepath.Join("/sys/block", disks[0].Name()), "dev")
	maj, min, _ := parseDevNum(devNum)
	dev := specs.LinuxBlockIODevice{Major: int64(maj), Minor: int64(min)}
	m := newManager(t, "/"+randomName("sprout-test-io-"), "")
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
		ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 1 * mib}},
		ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 100}},
	}}); err != nil {
		t.Fatal(err)
	}
	want := devNum + " rbps=" + strconv.Itoa(mib) + " wbps=max riops=max wiops=100"
	if got := readCg(t, unified(t, m).dir, "io.max"); !strings.Contains(got, want) {
		t.Errorf("io.max = %q, want %q", got, want)
	}
}

func TestV2Hugetlb(t *testing.T) {
	requireV2(t)
	requireControllers(t, "hugetlb")
	sizes := realHost().hugePageSizes()
	if len(sizes) == 0 {
		t.Skip("this kernel has no huge page sizes")
	}
	m := newManager(t, "/"+randomName("sprout-test-hugetlb-"), "")
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: sizes[0], Limit: 0}}}); err != nil {
		t.Fatal(err)
	}
	dir := unified(t, m).dir
	expectFile(t, dir, "hugetlb."+sizes[0]+".max", "0")
	if exists(filepath.Join(dir, "hugetlb."+sizes[0]+".rsvd.max")) {
		expectFile(t, dir, "hugetlb."+sizes[0]+".rsvd.max", "0")
	}
	expectFieldError(t, m.Set(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "3MB", Limit: 1}}}), "linux.resources.hugepageLimits[0]")
}

func TestV2OOMKill(t *testing.T) {
	requireV2(t)
	requireControllers(t, "memory")
	m := newManager(t, "/"+randomName("sprout-test-oom-"), "")
	p := startHelper(t, "alloc", "256")
	if err := m.Apply(p.pid()); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(32 * mib)), Swap: new(int64(32 * mib))}}); err != nil {
		t.Fatal(err)
	}
	if n, err := m.OOMKillCount(); err != nil || n != 0 {
		t.Fatalf("OOMKillCount of a new cgroup = %d, %v", n, err)
	}
	p.release(t)
	ws := p.wait(t, 60*time.Second)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("a process allocating 256MiB under a 32MiB limit ended with %v, want SIGKILL by the OOM killer", ws)
	}
	n, err := m.OOMKillCount()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("OOMKillCount = %d after one OOM kill, want 1", n)
	}
	expectDestroyed(t, m)
}

func TestV2PidsLimit(t *testing.T) {
	requireV2(t)
	requireControllers(t, "pids")
	m := newManager(t, "/"+randomName("sprout-test-pids-"), "")
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
	if v := keyedValue(t, unified(t, m).dir, "pids.events", "max"); v == 0 {
		t.Error("pids.events counts no fork refused by pids.max")
	}
}

func TestV2Devices(t *testing.T) {
	requireV2(t)
	null, zero, _ := mknodPair(t)
	m := newManager(t, "/"+randomName("sprout-test-dev-"), "")
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(3)), Access: "rwm"},
	}
	if err := m.Set(&specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	join := func(pid int) {
		if err := m.Apply(pid); err != nil {
			t.Fatal(err)
		}
	}
	expectOpens(t, join, map[string]string{null + ":rw": "ok", zero + ":r": "EPERM"})
	// Set again: the program is replaced, not stacked.
	if err := m.Set(&specs.LinuxResources{Devices: append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(5)), Access: "r"})}); err != nil {
		t.Fatal(err)
	}
	expectAttached(t, unified(t, m).dir, 1)
	expectOpens(t, join, map[string]string{null + ":rw": "ok", zero + ":r": "ok", zero + ":w": "EPERM"})
}

func TestV2FreezeProcsStats(t *testing.T) {
	requireV2(t)
	requireControllers(t, "memory", "pids")
	m := newManager(t, "/"+randomName("sprout-test-freeze-"), "")
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	// Limits enable the memory and pids controllers, whose statistics are
	// checked below.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(512 * mib))}, Pids: &specs.LinuxPids{Limit: new(int64(-1))}}); err != nil {
		t.Fatal(err)
	}
	busy := startShell(t, "while :; do :; done")
	alloc := startHelper(t, "alloc", "16")
	um := unified(t, m)
	// A process in a sub-cgroup is listed too.
	sub := filepath.Join(um.dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(busy.pid()); err != nil {
		t.Fatal(err)
	}
	if err := joinCgroup(sub, alloc.pid()); err != nil {
		t.Fatal(err)
	}
	alloc.release(t)
	alloc.waitOutput(t, "allocated", 20*time.Second)
	pids, err := m.Procs()
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{busy.pid(): true, alloc.pid(): true}
	if len(pids) != 2 || !want[pids[0]] || !want[pids[1]] {
		t.Errorf("Procs = %v, want %d and %d (one in a sub-cgroup)", pids, busy.pid(), alloc.pid())
	}
	if err := m.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	if paused, err := m.Paused(); err != nil || !paused {
		t.Errorf("Paused after Freeze = %v, %v", paused, err)
	}
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
	if st.CPU.Usage.Total == 0 || st.CPU.Usage.User == 0 {
		t.Errorf("cpu usage after a busy loop: %+v", st.CPU.Usage)
	}
	if st.Memory.Usage.Usage < 16*mib || st.Memory.Usage.Limit != 512*mib || len(st.Memory.Raw) == 0 {
		t.Errorf("memory stats with 16MiB touched under a 512MiB limit: %+v", st.Memory.Usage)
	}
	if st.Pids.Current < 2 {
		t.Errorf("pids.current = %d with two processes", st.Pids.Current)
	}
	for _, p := range []*proc{busy, alloc} {
		_ = unix.Kill(p.pid(), unix.SIGKILL)
		p.wait(t, 10*time.Second)
	}
	expectDestroyed(t, m)
	if exists(sub) {
		t.Errorf("Destroy left the sub-cgroup %s", sub)
	}
}
