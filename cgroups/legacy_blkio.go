package cgroups

import (
	"fmt"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (m *legacyManager) setBlkio(r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil || (!ioSet(b) && deref(b.LeafWeight) == 0) {
		return nil
	}
	dir, err := m.need("blkio", res+".blockIO")
	if err != nil {
		return err
	}
	if err := setBlkioWeights(dir, b); err != nil {
		return err
	}
	return setThrottles(dir, b, false)
}

// setBlkioWeights writes the proportional weights. CFQ's blkio.weight went
// away with the legacy block layer (5.0); BFQ offers blkio.bfq.weight
// instead. Like runc, use whichever exists.
func setBlkioWeights(dir string, b *specs.LinuxBlockIO) error {
	weightFile, weightDeviceFile := "blkio.weight", "blkio.weight_device"
	if !exists(filepath.Join(dir, weightFile)) {
		weightFile, weightDeviceFile = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	missing := func(field string) error {
		return fieldErr(field, fmt.Errorf("neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ) exists in %s: no proportional I/O scheduler is available", dir))
	}
	if w := deref(b.Weight); w != 0 {
		if !exists(filepath.Join(dir, weightFile)) {
			return missing(res + ".blockIO.weight")
		}
		if err := write(dir, weightFile, strconv.FormatUint(uint64(w), 10), res+".blockIO.weight"); err != nil {
			return err
		}
	}
	if w := deref(b.LeafWeight); w != 0 {
		if err := write(dir, "blkio.leaf_weight", strconv.FormatUint(uint64(w), 10), res+".blockIO.leafWeight"); err != nil {
			return err
		}
	}
	for i, wd := range b.WeightDevice {
		field := fmt.Sprintf("%s.blockIO.weightDevice[%d]", res, i)
		if w := deref(wd.Weight); w != 0 {
			if !exists(filepath.Join(dir, weightDeviceFile)) {
				return missing(field + ".weight")
			}
			if err := write(dir, weightDeviceFile, devString(wd.LinuxBlockIODevice, strconv.FormatUint(uint64(w), 10)), field+".weight"); err != nil {
				return err
			}
		}
		if w := deref(wd.LeafWeight); w != 0 {
			if err := write(dir, "blkio.leaf_weight_device", devString(wd.LinuxBlockIODevice, strconv.FormatUint(uint64(w), 10)), field+".leafWeight"); err != nil {
				return err
			}
		}
	}
	return nil
}

// blkioStats prefers CFQ's statistics, then BFQ's, then the throttling
// layer's, which every kernel has, as runc does.
func blkioStats(s *statsReader, dir string) Blkio {
	var prefix string
	switch {
	case exists(filepath.Join(dir, "blkio.io_service_bytes_recursive")):
		prefix = "blkio."
	case exists(filepath.Join(dir, "blkio.bfq.io_service_bytes_recursive")):
		prefix = "blkio.bfq."
	default:
		return Blkio{
			IoServiceBytesRecursive: s.blkioEntries(dir, "blkio.throttle.io_service_bytes_recursive"),
			IoServicedRecursive:     s.blkioEntries(dir, "blkio.throttle.io_serviced_recursive"),
		}
	}
	return Blkio{
		IoServiceBytesRecursive: s.blkioEntries(dir, prefix+"io_service_bytes_recursive"),
		IoServicedRecursive:     s.blkioEntries(dir, prefix+"io_serviced_recursive"),
		IoQueuedRecursive:       s.blkioEntries(dir, prefix+"io_queued_recursive"),
		IoServiceTimeRecursive:  s.blkioEntries(dir, prefix+"io_service_time_recursive"),
		IoWaitTimeRecursive:     s.blkioEntries(dir, prefix+"io_wait_time_recursive"),
		IoMergedRecursive:       s.blkioEntries(dir, prefix+"io_merged_recursive"),
		IoTimeRecursive:         s.blkioEntries(dir, prefix+"time_recursive"),
		SectorsRecursive:        s.blkioEntries(dir, prefix+"sectors_recursive"),
	}
}
