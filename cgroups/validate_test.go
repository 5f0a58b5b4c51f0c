package cgroups

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidate(t *testing.T) {
	v1 := []Mode{Hybrid, Legacy}
	all := []Mode{Unified, Hybrid, Legacy}
	for _, tc := range []struct {
		name string
		r    specs.LinuxResources
		// bad lists the modes that must refuse r, each error naming field.
		bad   []Mode
		field string
	}{
		{name: "empty", r: specs.LinuxResources{}},
		{
			name: "v2 swap below limit", field: "linux.resources.memory.swap", bad: all,
			r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(100)), Swap: new(int64(50))}},
		},
		{
			name: "v2 swap without limit", field: "linux.resources.memory.swap", bad: []Mode{Unified},
			r: specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: new(int64(50))}},
		},
		{
			name: "swap equal to limit", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(100)), Swap: new(int64(100))}},
		},
		{
			name: "unlimited", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(-1)), Swap: new(int64(-1))}},
		},
		{
			name: "negative limit", field: "linux.resources.memory.limit", bad: all,
			r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: new(int64(-5))}},
		},
		{
			name: "swappiness out of range on v1, ignored on v2", field: "linux.resources.memory.swappiness", bad: v1,
			r: specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: new(uint64(101))}},
		},
		{
			name: "swappiness -1 means unset", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: new(uint64(math.MaxUint64))}},
		},
		{
			name: "v1-only memory fields ignored on v2",
			r: specs.LinuxResources{Memory: &specs.LinuxMemory{
				//lint:ignore SA1019 checks that v2 ignores it
				Kernel: new(int64(1 << 20)), KernelTCP: new(int64(1 << 20)), DisableOOMKiller: new(true), Swappiness: new(uint64(10)),
			}},
		},
		{
			name: "realtime runtime on v2", field: "linux.resources.cpu.realtimeRuntime", bad: []Mode{Unified},
			r: specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: new(int64(1000))}},
		},
		{
			name: "realtime period on v2", field: "linux.resources.cpu.realtimePeriod", bad: []Mode{Unified},
			r: specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimePeriod: new(uint64(1000000))}},
		},
		{
			name: "shares out of range on v2", field: "linux.resources.cpu.shares", bad: []Mode{Unified},
			r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: new(uint64(1))}},
		},
		{
			name: "idle", field: "linux.resources.cpu.idle", bad: all,
			r: specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: new(int64(2))}},
		},
		{
			name: "cpus syntax", field: "linux.resources.cpu.cpus", bad: all,
			r: specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1;3"}},
		},
		{
			name: "cpus list", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1,3", Mems: "0"}},
		},
		{
			name: "blkio weight", field: "linux.resources.blockIO.weight", bad: all,
			r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: new(uint16(1001))}},
		},
		{
			name: "leaf weight ignored on v2", field: "linux.resources.blockIO.leafWeight", bad: v1,
			r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: new(uint16(5000))}},
		},
		{
			name: "throttle device", field: "linux.resources.blockIO.throttleReadBpsDevice[0]", bad: all,
			r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: -1, Minor: 0}, Rate: 1},
			}}},
		},
		{
			name: "hugepage size", field: "linux.resources.hugepageLimits[0].pageSize", bad: all,
			r: specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "../2MB", Limit: 1}}},
		},
		{
			name: "network ignored on v2", field: "linux.resources.network.priorities[0].name", bad: v1,
			r: specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "a b"}}}},
		},
		{
			name: "rdma device", field: "linux.resources.rdma", bad: all,
			r: specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"../x": {}}},
		},
		{
			name: "unified on v1", field: "linux.resources.unified", bad: v1,
			r: specs.LinuxResources{Unified: map[string]string{"memory.high": "max"}},
		},
		{
			name: "unified slash", field: `linux.resources.unified["../memory.max"]`, bad: all,
			r: specs.LinuxResources{Unified: map[string]string{"../memory.max": "1"}},
		},
		{
			name: "unified dotdot", field: `linux.resources.unified["memory..max"]`, bad: all,
			r: specs.LinuxResources{Unified: map[string]string{"memory..max": "1"}},
		},
		{
			name: "unified not a control file", field: `linux.resources.unified["memory"]`, bad: all,
			r: specs.LinuxResources{Unified: map[string]string{"memory": "1"}},
		},
		{
			name: "device type", field: "linux.resources.devices[1]", bad: all,
			r: specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "rwm"}, {Type: "z"}}},
		},
		{
			// runc ignores what is not r, w or m in an access string.
			name: "device access beyond rwm",
			r:    specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "c", Access: "rwx"}}},
		},
	} {
		for _, mode := range all {
			err := validate(mode, &tc.r)
			bad := false
			for _, b := range tc.bad {
				bad = bad || b == mode
			}
			switch {
			case bad && err == nil:
				t.Errorf("%s on %s: accepted, want an error naming %s", tc.name, mode, tc.field)
			case bad && !strings.Contains(err.Error(), tc.field):
				t.Errorf("%s on %s: error %q does not name %s", tc.name, mode, err, tc.field)
			case !bad && err != nil:
				t.Errorf("%s on %s: %v", tc.name, mode, err)
			}
		}
	}
	if err := validate(Unified, nil); err != nil {
		t.Errorf("nil resources: %v", err)
	}
}

func TestConversions(t *testing.T) {
	for _, tc := range []struct{ shares, weight uint64 }{{2, 1}, {1024, 39}, {262144, 10000}} {
		if got := cpuWeight(tc.shares); got != tc.weight {
			t.Errorf("cpuWeight(%d) = %d, want %d", tc.shares, got, tc.weight)
		}
	}
	for _, tc := range []struct {
		blkio uint16
		io    uint64
	}{{10, 1}, {500, 4950}, {1000, 10000}} {
		if got := ioWeight(tc.blkio); got != tc.io {
			t.Errorf("ioWeight(%d) = %d, want %d", tc.blkio, got, tc.io)
		}
	}
	for _, tc := range []struct {
		swap, limit, want int64
		err               bool
	}{
		{0, 0, 0, false},
		{0, -1, -1, false},     // unlimited memory, swap unset: unlimited swap too
		{-1, 100, -1, false},   // unlimited swap
		{100, 100, 0, false},   // memory+swap == memory: no swap
		{300, 100, 200, false}, // swap-only is the difference
		{50, 100, 0, true},
		{50, 0, 0, true},
		{50, -1, 0, true},
	} {
		got, err := swapV2(tc.swap, tc.limit)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("swapV2(%d, %d) = %d, %v; want %d, error %t", tc.swap, tc.limit, got, err, tc.want, tc.err)
		}
	}
}

// TestStatsJSON pins the JSON names to those of runc's events --stats.
func TestStatsJSON(t *testing.T) {
	st := Stats{
		CPU:     CPU{Usage: CPUUsage{Total: 1, Percpu: []uint64{1}}, Throttling: Throttling{Periods: 1, ThrottledPeriods: 1, ThrottledTime: 1}},
		Memory:  Memory{Usage: MemoryEntry{Usage: 1, Max: 1}, Swap: MemoryEntry{Usage: 1}, Raw: map[string]uint64{"rss": 1}},
		Pids:    Pids{Current: 1, Limit: 1},
		Blkio:   Blkio{IoServiceBytesRecursive: []BlkioEntry{{Major: 8, Op: "Read", Value: 1}}},
		Hugetlb: map[string]Hugetlb{"2MB": {Usage: 1}},
	}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"cpu.usage.total", "cpu.usage.percpu", "cpu.usage.kernel", "cpu.usage.user",
		"cpu.throttling.periods", "cpu.throttling.throttledPeriods", "cpu.throttling.throttledTime",
		"memory.usage.limit", "memory.usage.usage", "memory.usage.max", "memory.usage.failcnt",
		"memory.swap.usage", "memory.raw.rss", "pids.current", "pids.limit",
		"blkio.ioServiceBytesRecursive", "hugetlb.2MB.usage", "hugetlb.2MB.failcnt",
	} {
		var v any = got
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[k]
		}
		if v == nil {
			t.Errorf("stats JSON has no %s: %s", path, data)
		}
	}
}
