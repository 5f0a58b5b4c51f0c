package cgroups

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// writes is what one Set must do on a fake host.
type writes struct {
	// files maps files, relative to the host's root, to what they hold
	// after Set; every other file must be left as it was. With err, it is
	// what was written before the error.
	files map[string]string
	// err, when set, is the field the error must name.
	err string
}

// enable is what a v2 Set writes to enable controller c in the fake
// container's ancestors: the root and /a.
func enable(c string, files map[string]string) map[string]string {
	files["cgroup.subtree_control"] = "+" + c
	files["a/cgroup.subtree_control"] = "+" + c
	return files
}

func dev(major, minor int64) specs.LinuxBlockIODevice {
	return specs.LinuxBlockIODevice{Major: major, Minor: minor}
}

// TestSetWrites checks, for each resource, exactly which files Set writes
// and what, on v1 (fakeV1, the cgroup /ctr) and on v2 (fakeV2, the cgroup
// /a/ctr, with the controllers it enables in each ancestor; a regular file
// keeps only the last value written to it). A nil v1 or v2 skips that
// version: v2's device filter is a BPF program, not a file.
func TestSetWrites(t *testing.T) {
	for _, tc := range []struct {
		name   string
		r      specs.LinuxResources
		v1, v2 *writes
	}{
		{
			name: "memory",
			r: specs.LinuxResources{Memory: &specs.LinuxMemory{
				Limit: new(int64(256 << 20)), Swap: new(int64(512 << 20)), Reservation: new(int64(128 << 20)),
				KernelTCP: new(int64(16 << 20)), Swappiness: new(uint64(10)), DisableOOMKiller: new(true),
			}},
			v1: &writes{files: map[string]string{
				"memory/ctr/memory.limit_in_bytes":          "268435456",
				"memory/ctr/memory.memsw.limit_in_bytes":    "536870912",
				"memory/ctr/memory.soft_limit_in_bytes":     "134217728",
				"memory/ctr/memory.kmem.tcp.limit_in_bytes": "16777216",
				"memory/ctr/memory.swappiness":              "10",
				"memory/ctr/memory.oom_control":             "1",
			}},
			// v2 has swap alone, and no file for the v1-only settings.
			v2: &writes{files: enable("memory", map[string]string{
				"a/ctr/memory.max":      "268435456",
				"a/ctr/memory.swap.max": "268435456",
				"a/ctr/memory.low":      "134217728",
			})},
		},
		{
			name: "unlimited memory lifts memory+swap too",
			r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(-1))}},
			v1: &writes{files: map[string]string{
				"memory/ctr/memory.limit_in_bytes":       "-1",
				"memory/ctr/memory.memsw.limit_in_bytes": "-1",
			}},
			v2: &writes{files: enable("memory", map[string]string{"a/ctr/memory.max": "max", "a/ctr/memory.swap.max": "max"})},
		},
		{
			name: "swappiness -1 is unset",
			r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: new(uint64(1<<64 - 1))}},
			v1:   &writes{},
			v2:   &writes{},
		},
		{
			name: "checkBeforeUpdate refuses a limit below the usage",
			r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(1 << 20)), CheckBeforeUpdate: new(true)}},
			v1:   &writes{err: "linux.resources.memory.limit"},
			// Controllers are enabled before any limit is written.
			v2: &writes{err: "linux.resources.memory.limit", files: enable("memory", map[string]string{})},
		},
		{
			name: "memory+swap below memory",
			r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(2 << 20)), Swap: new(int64(1 << 20))}},
			v1:   &writes{err: "linux.resources.memory.swap"},
			v2:   &writes{err: "linux.resources.memory.swap"},
		},
		{
			name: "cpu and cpuset",
			r: specs.LinuxResources{CPU: &specs.LinuxCPU{
				Shares: new(uint64(512)), Quota: new(int64(50000)), Period: new(uint64(200000)), Burst: new(uint64(1000)),
				Idle: new(int64(1)), Cpus: "0-1", Mems: "0",
			}},
			v1: &writes{files: map[string]string{
				"cpu,cpuacct/ctr/cpu.shares":        "512",
				"cpu,cpuacct/ctr/cpu.cfs_quota_us":  "50000",
				"cpu,cpuacct/ctr/cpu.cfs_period_us": "200000",
				"cpu,cpuacct/ctr/cpu.cfs_burst_us":  "1000",
				"cpu,cpuacct/ctr/cpu.idle":          "1",
				"cpuset/ctr/cpuset.cpus":            "0-1",
				"cpuset/ctr/cpuset.mems":            "0",
			}},
			// The fake root has cpu enabled already: only cpuset is added
			// there, while /a gets cpu, then cpuset.
			v2: &writes{files: enable("cpuset", map[string]string{
				"a/ctr/cpu.weight":    "20",
				"a/ctr/cpu.max":       "50000 200000",
				"a/ctr/cpu.max.burst": "1000",
				"a/ctr/cpu.idle":      "1",
				"a/ctr/cpuset.cpus":   "0-1",
				"a/ctr/cpuset.mems":   "0",
			})},
		},
		{
			name: "unlimited quota",
			r:    specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: new(int64(-1)), Period: new(uint64(50000))}},
			v1:   &writes{files: map[string]string{"cpu,cpuacct/ctr/cpu.cfs_period_us": "50000", "cpu,cpuacct/ctr/cpu.cfs_quota_us": "-1"}},
			v2:   &writes{files: map[string]string{"a/cgroup.subtree_control": "+cpu", "a/ctr/cpu.max": "max 50000"}},
		},
		{
			name: "realtime",
			r:    specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimePeriod: new(uint64(500000)), RealtimeRuntime: new(int64(10000))}},
			v1: &writes{files: map[string]string{
				"cpu,cpuacct/ctr/cpu.rt_period_us":  "500000",
				"cpu,cpuacct/ctr/cpu.rt_runtime_us": "10000",
			}},
			v2: &writes{err: "linux.resources.cpu.realtimeRuntime"},
		},
		{
			name: "pids",
			r:    specs.LinuxResources{Pids: &specs.LinuxPids{Limit: new(int64(100))}},
			v1:   &writes{files: map[string]string{"pids/ctr/pids.max": "100"}},
			v2:   &writes{files: enable("pids", map[string]string{"a/ctr/pids.max": "100"})},
		},
		{
			name: "blockIO",
			r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
				Weight: new(uint16(300)), LeafWeight: new(uint16(200)),
				WeightDevice:            []specs.LinuxWeightDevice{{LinuxBlockIODevice: dev(8, 0), Weight: new(uint16(100)), LeafWeight: new(uint16(50))}},
				ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 1 << 20}},
				ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 16), Rate: 2 << 20}},
				ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(253, 1), Rate: 100}},
				ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(253, 2), Rate: 200}},
			}},
			v1: &writes{files: map[string]string{
				"blkio/ctr/blkio.weight":                     "300",
				"blkio/ctr/blkio.leaf_weight":                "200",
				"blkio/ctr/blkio.weight_device":              "8:0 100",
				"blkio/ctr/blkio.leaf_weight_device":         "8:0 50",
				"blkio/ctr/blkio.throttle.read_bps_device":   "8:0 1048576",
				"blkio/ctr/blkio.throttle.write_bps_device":  "8:16 2097152",
				"blkio/ctr/blkio.throttle.read_iops_device":  "253:1 100",
				"blkio/ctr/blkio.throttle.write_iops_device": "253:2 200",
			}},
			// Without BFQ, no per-device weight and no leaf weight; every
			// throttle is a line of io.max, the last one kept here.
			v2: &writes{files: enable("io", map[string]string{
				"a/ctr/io.weight": "2930",
				"a/ctr/io.max":    "253:2 wiops=200",
			})},
		},
		{
			name: "one throttle",
			r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
				ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 1 << 20}},
			}},
			v1: &writes{files: map[string]string{"blkio/ctr/blkio.throttle.read_bps_device": "8:0 1048576"}},
			v2: &writes{files: enable("io", map[string]string{"a/ctr/io.max": "8:0 rbps=1048576"})},
		},
		{
			name: "devices, the last write of each file",
			r: specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
				{Allow: false, Access: "rwm"},
				{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(3)), Access: "rwm"},
				{Allow: true, Type: "c", Major: new(int64(136)), Access: "rw"},
			}},
			v1: &writes{files: map[string]string{
				"devices/ctr/devices.deny":  "a",
				"devices/ctr/devices.allow": "c 136:* rw",
			}},
		},
		{
			name: "hugetlb with reservations",
			r:    specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}, {Pagesize: "1GB", Limit: 1 << 30}}},
			v1: &writes{files: map[string]string{
				"hugetlb/ctr/hugetlb.2MB.limit_in_bytes":      "4194304",
				"hugetlb/ctr/hugetlb.2MB.rsvd.limit_in_bytes": "4194304",
				"hugetlb/ctr/hugetlb.1GB.limit_in_bytes":      "1073741824",
				"hugetlb/ctr/hugetlb.1GB.rsvd.limit_in_bytes": "1073741824",
			}},
			v2: &writes{files: enable("hugetlb", map[string]string{
				"a/ctr/hugetlb.2MB.max":      "4194304",
				"a/ctr/hugetlb.2MB.rsvd.max": "4194304",
				"a/ctr/hugetlb.1GB.max":      "1073741824",
				"a/ctr/hugetlb.1GB.rsvd.max": "1073741824",
			})},
		},
		{
			name: "network",
			r:    specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: new(uint32(0x100001)), Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}}},
			v1: &writes{files: map[string]string{
				"net_cls,net_prio/ctr/net_cls.classid":    "1048577",
				"net_cls,net_prio/ctr/net_prio.ifpriomap": "eth0 5",
			}},
			// v2 has no network controllers: ignored, as runc does.
			v2: &writes{},
		},
		{
			name: "rdma",
			r:    specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: new(uint32(3)), HcaObjects: new(uint32(4))}}},
			v1:   &writes{files: map[string]string{"rdma/ctr/rdma.max": "mlx5_0 hca_handle=3 hca_object=4"}},
			v2:   &writes{files: enable("rdma", map[string]string{"a/ctr/rdma.max": "mlx5_0 hca_handle=3 hca_object=4"})},
		},
		{
			name: "unified",
			r:    specs.LinuxResources{Unified: map[string]string{"memory.high": "1000000"}},
			v1:   &writes{err: "linux.resources.unified"},
			v2:   &writes{files: enable("memory", map[string]string{"a/ctr/memory.high": "1000000"})},
		},
		{
			name: "unified file of a controller the cgroup lacks",
			r:    specs.LinuxResources{Unified: map[string]string{"misc.max": "x 1"}},
			v2:   &writes{err: `linux.resources.unified["misc.max"]`, files: enable("misc", map[string]string{})},
		},
		{
			// cgroup.max.depth belongs to no controller: written as is.
			name: "unified file of no controller",
			r:    specs.LinuxResources{Unified: map[string]string{"cgroup.max.depth": "2"}},
			v2:   &writes{files: map[string]string{"a/ctr/cgroup.max.depth": "2"}},
		},
	} {
		for _, v := range []struct {
			version string
			want    *writes
			fake    func(*testing.T) (Manager, *host)
		}{
			{"v1", tc.v1, func(t *testing.T) (Manager, *host) { return fakeV1(t) }},
			{"v2", tc.v2, func(t *testing.T) (Manager, *host) { return fakeV2(t) }},
		} {
			if v.want == nil {
				continue
			}
			t.Run(v.version+"/"+tc.name, func(t *testing.T) {
				m, h := v.fake(t)
				before := snapshot(t, h.root)
				err := m.Set(&tc.r)
				got := changed(before, snapshot(t, h.root))
				if v.want.err != "" {
					expectFieldError(t, err, v.want.err)
				} else if err != nil {
					t.Fatalf("Set: %v", err)
				}
				expectWrites(t, tc.name, got, v.want.files)
			})
		}
	}
}
