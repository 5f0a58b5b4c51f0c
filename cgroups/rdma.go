package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// rdmaLine renders one rdma.max line; limits not given are left as they are.
func rdmaLine(dev string, l specs.LinuxRdma) string {
	line := dev
	if l.HcaHandles != nil {
		line += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
	}
	if l.HcaObjects != nil {
		line += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
	}
	return line
}

// setRdmaLimits writes rdma.max, which both versions share, one device a
// line in name order.
func setRdmaLimits(dir string, limits map[string]specs.LinuxRdma) error {
	for _, dev := range sortedKeys(limits) {
		if err := write(dir, "rdma.max", rdmaLine(dev, limits[dev]), fmt.Sprintf("%s.rdma[%q]", res, dev)); err != nil {
			return err
		}
	}
	return nil
}
