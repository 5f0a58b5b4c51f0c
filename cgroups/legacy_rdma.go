package cgroups

import specs "github.com/opencontainers/runtime-spec/specs-go"

func (m *legacyManager) setRdma(r *specs.LinuxResources) error {
	return m.setIn(len(r.Rdma) > 0, "rdma", res+".rdma", func(dir string) error {
		return setRdmaLimits(dir, r.Rdma)
	})
}
