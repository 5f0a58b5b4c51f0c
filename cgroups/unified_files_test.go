package cgroups

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v2Files are the control files of the fake v2 container's cgroup, with a
// content that differs from what the tests write.
var v2Files = []string{
	"cgroup.procs", "cgroup.controllers=cpuset cpu io memory hugetlb pids rdma", "cgroup.subtree_control",
	"cgroup.freeze=0", "cgroup.events=populated 1\nfrozen 0\n",
	"memory.max=1073741824", "memory.swap.max=0", "memory.low=0", "memory.high=max", "memory.current=4194304",
	"pids.max=max", "io.weight=default 100", "io.max",
	"cpu.weight=100", "cpu.max=max 100000", "cpu.max.burst=0", "cpu.idle=0",
	"cpuset.cpus", "cpuset.mems",
	"hugetlb.2MB.max=max", "hugetlb.2MB.rsvd.max=max", "hugetlb.1GB.max=max", "hugetlb.1GB.rsvd.max=max", "rdma.max", "cgroup.max.depth=max",
}

// fakeV2 is a manager of the cgroup /a/ctr on a fake unified host.
func fakeV2(t *testing.T) (*unifiedManager, *host) {
	t.Helper()
	m, h := fakeManager(t, Unified, "/a/ctr")
	makeFiles(t, h.root, "cgroup.controllers=cpuset cpu io memory hugetlb pids rdma misc", "cgroup.subtree_control=cpu")
	makeFiles(t, filepath.Join(h.root, "a"), "cgroup.subtree_control")
	makeFiles(t, filepath.Join(h.root, "a", "ctr"), v2Files...)
	return m.(*unifiedManager), h
}

// With BFQ, io weights keep blkio's scale and may be per device.
func TestV2IOWeightBFQ(t *testing.T) {
	m, h := fakeV2(t)
	makeFiles(t, filepath.Join(h.root, "a", "ctr"), "io.bfq.weight=default 100")
	before := snapshot(t, h.root)
	err := m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
		WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8}, Weight: new(uint16(200))}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	expectWrites(t, "bfq", changed(before, snapshot(t, h.root)), map[string]string{
		"cgroup.subtree_control":   "+io",
		"a/cgroup.subtree_control": "+io",
		"a/ctr/io.bfq.weight":      "8:0 200",
	})
}

func TestV2FreezeFiles(t *testing.T) {
	m, h := fakeV2(t)
	dir := filepath.Join(h.root, "a", "ctr")
	// The kernel reports the freeze in cgroup.events; here it already has.
	makeFiles(t, dir, "cgroup.events=populated 1\nfrozen 1\n")
	if err := m.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	expectFile(t, dir, "cgroup.freeze", "1")
	if p, err := m.Paused(); err != nil || !p {
		t.Errorf("Paused after Freeze = %v, %v", p, err)
	}
	makeFiles(t, dir, "cgroup.events=populated 1\nfrozen 0\n")
	if err := m.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	expectFile(t, dir, "cgroup.freeze", "0")
	if p, err := m.Paused(); err != nil || p {
		t.Errorf("Paused after Thaw = %v, %v", p, err)
	}
	// A freeze asked for but not complete is not paused.
	makeFiles(t, dir, "cgroup.freeze=1")
	if p, err := m.Paused(); err != nil || p {
		t.Errorf("Paused while freezing = %v, %v", p, err)
	}
}

// TestV2StatsFromFiles parses fixture files as the kernel writes them.
func TestV2StatsFromFiles(t *testing.T) {
	m, h := fakeV2(t)
	dir := filepath.Join(h.root, "a", "ctr")
	psi := "some avg10=1.50 avg60=0.75 avg300=0.25 total=1000\nfull avg10=0.50 avg60=0.00 avg300=0.00 total=200\n"
	makeFiles(t, dir,
		"cpu.stat=usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\nnr_periods 10\nnr_throttled 2\nthrottled_usec 5\n",
		"cpu.pressure="+psi,
		"cpuset.cpus.effective=0-1", "cpuset.mems.effective=0",
		"memory.stat=file 4096\nanon 8192\n", "memory.max=67108864", "memory.current=12288", "memory.peak=16384",
		"memory.events=low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
		"memory.swap.current=1000", "memory.swap.max=max", "memory.swap.events=max 1\n",
		"memory.pressure="+psi,
		"pids.current=3", "pids.max=20",
		"io.stat=8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
		"io.pressure="+psi,
		"hugetlb.2MB.current=2097152", "hugetlb.2MB.events=max 4\n",
	)
	st, err := m.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	p := &PSIStats{Some: PSIData{Avg10: 1.5, Avg60: 0.75, Avg300: 0.25, Total: 1000}, Full: PSIData{Avg10: 0.5, Total: 200}}
	want := &Stats{
		CPU: CPU{
			Usage:      CPUUsage{Total: 3000000, User: 2000000, Kernel: 1000000},
			Throttling: Throttling{Periods: 10, ThrottledPeriods: 2, ThrottledTime: 5000},
			PSI:        p,
		},
		CPUSet: CPUSet{CPUs: []uint16{0, 1}, Mems: []uint16{0}},
		Memory: Memory{
			Cache: 4096,
			Usage: MemoryEntry{Limit: 67108864, Usage: 12288, Max: 16384, Failcnt: 3},
			// memory+swap, as v1 reports it; unlimited swap makes it unlimited.
			Swap: MemoryEntry{Limit: math.MaxUint64, Usage: 13288, Failcnt: 1},
			Raw:  map[string]uint64{"file": 4096, "anon": 8192},
			PSI:  p,
		},
		Pids: Pids{Current: 3, Limit: 20},
		Blkio: Blkio{
			IoServiceBytesRecursive: []BlkioEntry{{Major: 8, Op: "Read", Value: 4096}, {Major: 8, Op: "Write", Value: 8192}},
			IoServicedRecursive:     []BlkioEntry{{Major: 8, Op: "Read", Value: 1}, {Major: 8, Op: "Write", Value: 2}},
			PSI:                     p,
		},
		Hugetlb: map[string]Hugetlb{"2MB": {Usage: 2097152, Failcnt: 4}},
	}
	expectStats(t, st, want)
	// A limited swap adds up with the memory limit.
	makeFiles(t, dir, "memory.swap.max=1000000")
	if st, err = m.Stats(); err != nil || st.Memory.Swap.Limit != 67108864+1000000 {
		t.Errorf("memory+swap limit = %d (%v), want %d", st.Memory.Swap.Limit, err, 67108864+1000000)
	}
}

// TestV2ApplyDestroy creates the cgroup on a fake host and removes it with
// its sub-cgroups, deepest first; Destroy removes the container's
// directory only, not the parents Apply made for it.
func TestV2ApplyDestroy(t *testing.T) {
	m, _ := fakeManager(t, Unified, "/a/b/ctr")
	if err := m.Apply(0); err != nil {
		t.Fatalf("Apply(0): %v", err)
	}
	dir := m.Paths()[""]
	if err := os.MkdirAll(filepath.Join(dir, "sub", "subsub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if exists(dir) {
		t.Errorf("Destroy left %s", dir)
	}
	if !exists(filepath.Dir(dir)) {
		t.Errorf("Destroy removed the parent %s", filepath.Dir(dir))
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	// A join that fails removes every level Apply made, and only those.
	if err := m.Apply(1); err == nil {
		t.Fatal("Apply(1) joined a cgroup without cgroup.procs")
	}
	if exists(dir) || !exists(filepath.Dir(dir)) {
		t.Errorf("failed Apply: %s exists %v (want false), its parent %v (want true)", dir, exists(dir), exists(filepath.Dir(dir)))
	}
}
