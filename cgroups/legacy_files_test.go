package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v1Files are the control files of the fake container's cgroup in each
// hierarchy, with a content that differs from what the tests write.
var v1Files = map[string][]string{
	"cpuset":           {"cgroup.procs", "cpuset.cpus", "cpuset.mems"},
	"devices":          {"cgroup.procs", "devices.allow", "devices.deny"},
	"memory":           {"cgroup.procs", "memory.limit_in_bytes=9223372036854771712", "memory.memsw.limit_in_bytes=9223372036854771712", "memory.usage_in_bytes=4194304", "memory.max_usage_in_bytes=8388608", "memory.soft_limit_in_bytes=9223372036854771712", "memory.kmem.limit_in_bytes=9223372036854771712", "memory.kmem.tcp.limit_in_bytes=9223372036854771712", "memory.swappiness=60", "memory.oom_control=oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"},
	"cpu,cpuacct":      {"cgroup.procs", "cpu.shares=1024", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=25000", "cpu.cfs_burst_us=0", "cpu.idle=0", "cpu.rt_period_us=1000000", "cpu.rt_runtime_us=0"},
	"pids":             {"cgroup.procs", "pids.max=max"},
	"blkio":            {"cgroup.procs", "blkio.weight=500", "blkio.weight_device", "blkio.leaf_weight=500", "blkio.leaf_weight_device", "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"},
	"hugetlb":          {"cgroup.procs", "hugetlb.2MB.limit_in_bytes=9223372036854771712", "hugetlb.2MB.rsvd.limit_in_bytes=9223372036854771712", "hugetlb.1GB.limit_in_bytes=9223372036854771712", "hugetlb.1GB.rsvd.limit_in_bytes=9223372036854771712"},
	"net_cls,net_prio": {"cgroup.procs", "net_cls.classid=0", "net_prio.ifpriomap"},
	"freezer":          {"cgroup.procs", "freezer.state=THAWED"},
	"rdma":             {"cgroup.procs", "rdma.max"},
	"systemd":          {"cgroup.procs"},
}

// fakeV1 is a manager of the cgroup /ctr on a fake legacy host whose
// directories exist with the files of v1Files.
func fakeV1(t *testing.T) (*legacyManager, *host) {
	t.Helper()
	m, h := fakeManager(t, Legacy, "/ctr")
	for dir, files := range v1Files {
		makeFiles(t, filepath.Join(h.root, dir, "ctr"), files...)
	}
	return m.(*legacyManager), h
}

// Without CFQ's weight files, weights go to BFQ's; with neither, Set names
// the field.
func TestV1BlkioScheduler(t *testing.T) {
	m, h := fakeV1(t)
	dir := filepath.Join(h.root, "blkio", "ctr")
	r := &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
		Weight:       new(uint16(300)),
		WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8}, Weight: new(uint16(100))}},
	}}
	removeFiles(t, dir, "blkio.weight", "blkio.weight_device")
	expectFieldError(t, m.Set(r), "linux.resources.blockIO.weight")
	makeFiles(t, dir, "blkio.bfq.weight", "blkio.bfq.weight_device")
	before := snapshot(t, h.root)
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	expectWrites(t, "bfq", changed(before, snapshot(t, h.root)), map[string]string{
		"blkio/ctr/blkio.bfq.weight":        "300",
		"blkio/ctr/blkio.bfq.weight_device": "8:0 100",
	})
}

func removeFiles(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
}

// A controller the host does not mount is an error naming the field, not
// a silent no-op.
func TestV1SetUnmountedController(t *testing.T) {
	m, _ := fakeV1(t)
	delete(m.paths, "rdma")
	err := m.Set(&specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: new(uint32(1))}}})
	expectFieldError(t, err, "linux.resources.rdma")
	if err == nil || !strings.Contains(err.Error(), "rdma controller is not mounted") {
		t.Errorf("error %v does not say the controller is missing", err)
	}
}

// TestV1ApplyCreatesAndFills runs Apply on a fake host: every hierarchy
// gets the directory, every new cpuset level gets its parent's cpus and
// mems, and a failed Apply removes what it created and nothing else.
func TestV1ApplyCreatesAndFills(t *testing.T) {
	m, h := fakeManager(t, Hybrid, "/base/ctr")
	lm := m.(*legacyManager)
	cpusetRoot := filepath.Join(h.root, "cpuset")
	makeFiles(t, cpusetRoot, "cpuset.cpus=0-3", "cpuset.mems=0")
	// What a cpuset directory looks like right after mkdir.
	for _, d := range []string{"base", "base/ctr"} {
		makeFiles(t, filepath.Join(cpusetRoot, d), "cpuset.cpus", "cpuset.mems")
	}
	if err := m.Apply(0); err != nil {
		t.Fatalf("Apply(0): %v", err)
	}
	for c, dir := range m.Paths() {
		if !exists(dir) {
			t.Errorf("Apply did not create the %q cgroup %s", c, dir)
		}
	}
	for _, d := range []string{"base", "base/ctr"} {
		expectFile(t, filepath.Join(cpusetRoot, d), "cpuset.cpus", "0-3")
		expectFile(t, filepath.Join(cpusetRoot, d), "cpuset.mems", "0")
	}

	// A parent with empty cpus cannot give them.
	m2, h2 := fakeManager(t, Legacy, "/base/ctr")
	makeFiles(t, filepath.Join(h2.root, "cpuset"), "cpuset.cpus", "cpuset.mems=0")
	for _, d := range []string{"base", "base/ctr"} {
		makeFiles(t, filepath.Join(h2.root, "cpuset", d), "cpuset.cpus", "cpuset.mems")
	}
	if err := m2.Apply(0); err == nil || !strings.Contains(err.Error(), "its parent has an empty cpuset.cpus") {
		t.Errorf("Apply under an empty cpuset: %v, want the parent named", err)
	}

	// Joining fails (a plain directory has no cgroup.procs): directories
	// that were there before Apply stay, those it made go.
	if err := lm.Apply(1); err == nil {
		t.Fatal("Apply(1) joined a cgroup without cgroup.procs")
	}
	if !exists(filepath.Join(cpusetRoot, "base", "ctr")) {
		t.Error("the failed Apply removed a directory it did not create")
	}
	m3, err := h.newManager("/fresh", "")
	if err != nil {
		t.Fatal(err)
	}
	delete(m3.(*legacyManager).paths, "cpuset")
	if err := m3.Apply(1); err == nil {
		t.Fatal("Apply(1) joined a cgroup without cgroup.procs")
	}
	for c, dir := range m3.Paths() {
		if c != "cpuset" && exists(dir) {
			t.Errorf("the failed Apply left the %q cgroup %s", c, dir)
		}
	}
	if !exists(filepath.Join(h.root, "memory")) {
		t.Error("the failed Apply removed a hierarchy's mountpoint")
	}
}

func TestV1FreezeFiles(t *testing.T) {
	m, h := fakeV1(t)
	state := filepath.Join(h.root, "freezer", "ctr")
	if err := m.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	expectFile(t, state, "freezer.state", "FROZEN")
	if p, err := m.Paused(); err != nil || !p {
		t.Errorf("Paused after Freeze = %v, %v", p, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	expectFile(t, state, "freezer.state", "THAWED")
	if p, err := m.Paused(); err != nil || p {
		t.Errorf("Paused after Thaw = %v, %v", p, err)
	}
	delete(m.paths, "freezer")
	expectFieldError(t, m.Freeze(), "freezer")
}

// TestV1StatsFromFiles parses fixture files as the kernel writes them.
func TestV1StatsFromFiles(t *testing.T) {
	m, h := fakeV1(t)
	dir := func(c string) string { return filepath.Join(h.root, c, "ctr") }
	makeFiles(t, dir("cpu,cpuacct"),
		"cpuacct.usage=3000000000",
		"cpuacct.usage_percpu=1000000000 2000000000 ",
		"cpuacct.stat=user 150\nsystem 50\n",
		"cpuacct.usage_all=cpu user system\n0 800000000 200000000\n1 1500000000 500000000\n",
		"cpu.stat=nr_periods 10\nnr_throttled 2\nthrottled_time 12345\n",
	)
	makeFiles(t, dir("cpuset"),
		"cpuset.cpus=0-2,5", "cpuset.mems=0", "cpuset.cpu_exclusive=1", "cpuset.mem_hardwall=0",
		"cpuset.mem_exclusive=0", "cpuset.memory_migrate=1", "cpuset.memory_spread_page=0",
		"cpuset.memory_spread_slab=0", "cpuset.memory_pressure=3", "cpuset.sched_load_balance=1",
		"cpuset.sched_relax_domain_level=-1",
	)
	makeFiles(t, dir("memory"),
		"memory.stat=cache 4096\nrss 8192\n",
		"memory.limit_in_bytes=67108864", "memory.usage_in_bytes=12288", "memory.max_usage_in_bytes=16384", "memory.failcnt=1",
		"memory.memsw.limit_in_bytes=134217728", "memory.memsw.usage_in_bytes=12288", "memory.memsw.max_usage_in_bytes=20480", "memory.memsw.failcnt=0",
	)
	makeFiles(t, dir("pids"), "pids.current=3", "pids.max=max")
	makeFiles(t, dir("blkio"),
		"blkio.throttle.io_service_bytes_recursive=8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n",
		"blkio.throttle.io_serviced_recursive=8:0 Read 1\n8:0 Write 2\n",
	)
	makeFiles(t, dir("hugetlb"), "hugetlb.2MB.usage_in_bytes=2097152", "hugetlb.2MB.max_usage_in_bytes=4194304", "hugetlb.2MB.failcnt=1")
	removeFiles(t, dir("blkio"), "blkio.weight")

	st, err := m.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	want := &Stats{
		CPU: CPU{
			Usage: CPUUsage{
				Total: 3000000000, Percpu: []uint64{1000000000, 2000000000},
				User: 1500000000, Kernel: 500000000,
				PercpuUser: []uint64{800000000, 1500000000}, PercpuKernel: []uint64{200000000, 500000000},
			},
			Throttling: Throttling{Periods: 10, ThrottledPeriods: 2, ThrottledTime: 12345},
		},
		CPUSet: CPUSet{
			CPUs: []uint16{0, 1, 2, 5}, Mems: []uint16{0}, CPUExclusive: 1, MemoryMigrate: 1,
			MemoryPressure: 3, SchedLoadBalance: 1, SchedRelaxDomainLevel: -1,
		},
		Memory: Memory{
			Cache: 4096,
			Usage: MemoryEntry{Limit: 67108864, Usage: 12288, Max: 16384, Failcnt: 1},
			Swap:  MemoryEntry{Limit: 134217728, Usage: 12288, Max: 20480},
			// Only the fixture's kmem limits exist, as on kernels that
			// account no kernel memory.
			Kernel:    MemoryEntry{Limit: 9223372036854771712},
			KernelTCP: MemoryEntry{Limit: 9223372036854771712},
			Raw:       map[string]uint64{"cache": 4096, "rss": 8192},
		},
		Pids: Pids{Current: 3},
		Blkio: Blkio{
			// A device's Total is kept, the grand total is not, as in runc.
			IoServiceBytesRecursive: []BlkioEntry{{Major: 8, Op: "Read", Value: 4096}, {Major: 8, Op: "Write", Value: 8192}, {Major: 8, Op: "Total", Value: 12288}},
			IoServicedRecursive:     []BlkioEntry{{Major: 8, Op: "Read", Value: 1}, {Major: 8, Op: "Write", Value: 2}},
		},
		Hugetlb: map[string]Hugetlb{
			"2MB": {Usage: 2097152, Max: 4194304, Failcnt: 1},
			// The fixture's 1GB limit file only: no usage to report.
			"1GB": {},
		},
	}
	expectStats(t, st, want)

	makeFiles(t, dir("memory"), "memory.usage_in_bytes=lots")
	if _, err := m.Stats(); err == nil || !strings.Contains(err.Error(), "memory.usage_in_bytes") {
		t.Errorf("Stats over an unparsable file: %v, want an error naming it", err)
	}
}

// Every stats parse error names the file it came from.
func TestStatsErrorsNameTheFile(t *testing.T) {
	m, h := fakeV1(t)
	makeFiles(t, filepath.Join(h.root, "cpu,cpuacct", "ctr"), "cpuacct.usage_percpu=1 x 3")
	if _, err := m.Stats(); err == nil || !strings.Contains(err.Error(), "cpuacct.usage_percpu") {
		t.Errorf("Stats over an unparsable cpuacct.usage_percpu: %v, want an error naming it", err)
	}
}
