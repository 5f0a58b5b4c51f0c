package libcontainer

import (
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
