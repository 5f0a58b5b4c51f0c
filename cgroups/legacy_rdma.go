package cgroups

import specs "github.com/opencontainers/runtime-spec/specs-go"

func (m *legacyManager) setRdma(r *specs.LinuxResources) error {
	if len(r.Rdma) == 0 {
		return nil
	}
	dir, err := m.need("rdma", res+".rdma")
	if err != nil {
		return err
	}
	return setRdmaLimits(dir, r.Rdma)
}
