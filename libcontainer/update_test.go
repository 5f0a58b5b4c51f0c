package libcontainer

import (
	"encoding/json"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64 { return &v }

func TestUpdateDeltaMemorySwap(t *testing.T) {
	stored := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100 << 20), Swap: i64(200 << 20)}}
	cases := []struct {
		name              string
		in                specs.LinuxMemory
		wantLimit, wantSw int64
	}{
		// runc: an unlimited memory limit without a swap setting lifts
		// the swap limit too; the stored 200M would be below it.
		{"unlimited", specs.LinuxMemory{Limit: i64(-1)}, -1, -1},
		{"unlimited with swap", specs.LinuxMemory{Limit: i64(-1), Swap: i64(300 << 20)}, -1, 300 << 20},
		// A new limit alone keeps the stored swap: one setting on v2.
		{"limit", specs.LinuxMemory{Limit: i64(150 << 20)}, 150 << 20, 200 << 20},
		{"swap", specs.LinuxMemory{Swap: i64(400 << 20)}, 100 << 20, 400 << 20},
	}
	for _, tc := range cases {
		in := tc.in
		d := updateDelta(&specs.LinuxResources{Memory: &in}, stored)
		if d.Memory == nil || d.Memory.Limit == nil || d.Memory.Swap == nil {
			t.Errorf("%s: delta %+v lacks limit or swap", tc.name, d.Memory)
			continue
		}
		if *d.Memory.Limit != tc.wantLimit || *d.Memory.Swap != tc.wantSw {
			t.Errorf("%s: limit %d swap %d, want %d and %d", tc.name, *d.Memory.Limit, *d.Memory.Swap, tc.wantLimit, tc.wantSw)
		}
	}
}

func u64(v uint64) *uint64 { return &v }

func TestUpdateDelta(t *testing.T) {
	stored := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(200)},
		CPU:    &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000)},
	}
	weight := uint16(300)
	zeroWeight := uint16(0)
	for _, tc := range []struct {
		name string
		in   *specs.LinuxResources
		want *specs.LinuxResources
	}{
		{"nil", nil, &specs.LinuxResources{}},
		// runc's update takes zero as unchanged.
		{"zeros", &specs.LinuxResources{
			Memory:  &specs.LinuxMemory{Limit: i64(0), Reservation: i64(0)},
			CPU:     &specs.LinuxCPU{Shares: u64(0), Quota: i64(0)},
			BlockIO: &specs.LinuxBlockIO{Weight: &zeroWeight},
			Pids:    &specs.LinuxPids{Limit: i64(0)},
		}, &specs.LinuxResources{}},
		{"reservation alone", &specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: i64(64)}},
			&specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: i64(64)}}},
		// cpu.max holds both: the stored half comes along.
		{"period takes the stored quota", &specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(200000)}},
			&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(200000)}}},
		{"quota takes the stored period", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(20000)}},
			&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(20000), Period: u64(100000)}}},
		// Idle and burst: 0 is a setting.
		{"idle 0 and burst 0", &specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: i64(0), Burst: u64(0)}},
			&specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: i64(0), Burst: u64(0)}}},
		{"cpuset", &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}},
			&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}}},
		{"weight and pids", &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: &weight}, Pids: &specs.LinuxPids{Limit: i64(10)}},
			&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: &weight}, Pids: &specs.LinuxPids{Limit: i64(10)}}},
		{"unified", &specs.LinuxResources{Unified: map[string]string{"memory.high": "1G"}},
			&specs.LinuxResources{Unified: map[string]string{"memory.high": "1G"}}},
		// Not updatable: dropped (with a warning).
		{"ignored", &specs.LinuxResources{
			Devices:        []specs.LinuxDeviceCgroup{{Allow: true}},
			HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}},
			Network:        &specs.LinuxNetwork{},
			BlockIO:        &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{Rate: 1}}},
			Memory:         &specs.LinuxMemory{Swappiness: u64(10)},
		}, &specs.LinuxResources{}},
	} {
		got := updateDelta(tc.in, stored)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: delta\n%s\nwant\n%s", tc.name, jsonOf(got), jsonOf(tc.want))
		}
	}
}

func TestMergeResources(t *testing.T) {
	dst := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(100), Swappiness: u64(60)},
		CPU:     &specs.LinuxCPU{Shares: u64(1024), Cpus: "0"},
		Unified: map[string]string{"a": "1", "b": "2"},
	}
	weight := uint16(500)
	mergeResources(dst, &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(150), Swap: i64(300)},
		CPU:     &specs.LinuxCPU{Quota: i64(1000), Period: u64(10000), Mems: "1"},
		BlockIO: &specs.LinuxBlockIO{Weight: &weight},
		Pids:    &specs.LinuxPids{Limit: i64(5)},
		Unified: map[string]string{"b": "3"},
	})
	want := &specs.LinuxResources{
		// What the delta does not set stays as it was.
		Memory:  &specs.LinuxMemory{Limit: i64(150), Swap: i64(300), Swappiness: u64(60)},
		CPU:     &specs.LinuxCPU{Shares: u64(1024), Quota: i64(1000), Period: u64(10000), Cpus: "0", Mems: "1"},
		BlockIO: &specs.LinuxBlockIO{Weight: &weight},
		Pids:    &specs.LinuxPids{Limit: i64(5)},
		Unified: map[string]string{"a": "1", "b": "3"},
	}
	if !reflect.DeepEqual(dst, want) {
		t.Fatalf("merged\n%s\nwant\n%s", jsonOf(dst), jsonOf(want))
	}
	// An empty delta changes nothing, even on an empty config.
	empty := &specs.LinuxResources{}
	mergeResources(empty, &specs.LinuxResources{})
	if !reflect.DeepEqual(empty, &specs.LinuxResources{}) {
		t.Fatalf("empty delta merged into %s", jsonOf(empty))
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
