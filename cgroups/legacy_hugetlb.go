package cgroups

import specs "github.com/opencontainers/runtime-spec/specs-go"

func (m *legacyManager) setHugetlb(r *specs.LinuxResources) error {
	return m.setIn(len(r.HugepageLimits) > 0, "hugetlb", res+".hugepageLimits", func(dir string) error {
		return setHugetlbLimits(dir, r.HugepageLimits, ".limit_in_bytes")
	})
}

func hugetlbStatsV1(s *statsReader, dir, size string) Hugetlb {
	p := "hugetlb." + size + "."
	return Hugetlb{
		Usage:   s.uint(dir, p+"usage_in_bytes"),
		Max:     s.uint(dir, p+"max_usage_in_bytes"),
		Failcnt: s.uint(dir, p+"failcnt"),
	}
}
