package cgroups

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (m *legacyManager) setPids(r *specs.LinuxResources) error {
	return m.setIn(r.Pids != nil && r.Pids.Limit != nil, "pids", res+".pids.limit", func(dir string) error {
		return write(dir, "pids.max", pidsValue(*r.Pids.Limit), res+".pids.limit")
	})
}

// pidsValue is the pids.max value, the same on both versions.
func pidsValue(limit int64) string {
	if limit <= 0 {
		return "max"
	}
	return strconv.FormatInt(limit, 10)
}

// pidsStats reads the pids controller, the same on both versions.
func pidsStats(s *statsReader, dir string) Pids {
	return Pids{Current: s.uint(dir, "pids.current"), Limit: unlimitedToZero(s.uint(dir, "pids.max"))}
}
