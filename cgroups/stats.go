package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Stats is a container's cgroup statistics, with the JSON names of the
// "data" of runc's `events --stats`, so that tools reading runc's output
// read sprout's.
type Stats struct {
	CPU     CPU                `json:"cpu"`
	CPUSet  CPUSet             `json:"cpuset"`
	Memory  Memory             `json:"memory"`
	Pids    Pids               `json:"pids"`
	Blkio   Blkio              `json:"blkio"`
	Hugetlb map[string]Hugetlb `json:"hugetlb"`
}

type CPU struct {
	Usage      CPUUsage   `json:"usage,omitempty"`
	Throttling Throttling `json:"throttling,omitempty"`
	PSI        *PSIStats  `json:"psi,omitempty"`
}

// CPUUsage is in nanoseconds.
type CPUUsage struct {
	Total        uint64   `json:"total,omitempty"`
	Percpu       []uint64 `json:"percpu,omitempty"`
	PercpuKernel []uint64 `json:"percpu_kernel,omitempty"`
	PercpuUser   []uint64 `json:"percpu_user,omitempty"`
	Kernel       uint64   `json:"kernel"`
	User         uint64   `json:"user"`
}

type Throttling struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
	ThrottledTime    uint64 `json:"throttledTime,omitempty"`
}

type CPUSet struct {
	CPUs                  []uint16 `json:"cpus,omitempty"`
	CPUExclusive          uint64   `json:"cpu_exclusive"`
	Mems                  []uint16 `json:"mems,omitempty"`
	MemHardwall           uint64   `json:"mem_hardwall"`
	MemExclusive          uint64   `json:"mem_exclusive"`
	MemoryMigrate         uint64   `json:"memory_migrate"`
	MemorySpreadPage      uint64   `json:"memory_spread_page"`
	MemorySpreadSlab      uint64   `json:"memory_spread_slab"`
	MemoryPressure        uint64   `json:"memory_pressure"`
	SchedLoadBalance      uint64   `json:"sched_load_balance"`
	SchedRelaxDomainLevel int64    `json:"sched_relax_domain_level"`
}

type MemoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

// Memory follows v1: Swap is memory+swap on both versions.
type Memory struct {
	Cache     uint64            `json:"cache,omitempty"`
	Usage     MemoryEntry       `json:"usage,omitempty"`
	Swap      MemoryEntry       `json:"swap,omitempty"`
	Kernel    MemoryEntry       `json:"kernel,omitempty"`
	KernelTCP MemoryEntry       `json:"kernelTCP,omitempty"`
	Raw       map[string]uint64 `json:"raw,omitempty"`
	PSI       *PSIStats         `json:"psi,omitempty"`
}

type Pids struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

type BlkioEntry struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

type Blkio struct {
	IoServiceBytesRecursive []BlkioEntry `json:"ioServiceBytesRecursive,omitempty"`
	IoServicedRecursive     []BlkioEntry `json:"ioServicedRecursive,omitempty"`
	IoQueuedRecursive       []BlkioEntry `json:"ioQueueRecursive,omitempty"`
	IoServiceTimeRecursive  []BlkioEntry `json:"ioServiceTimeRecursive,omitempty"`
	IoWaitTimeRecursive     []BlkioEntry `json:"ioWaitTimeRecursive,omitempty"`
	IoMergedRecursive       []BlkioEntry `json:"ioMergedRecursive,omitempty"`
	IoTimeRecursive         []BlkioEntry `json:"ioTimeRecursive,omitempty"`
	SectorsRecursive        []BlkioEntry `json:"sectorsRecursive,omitempty"`
	PSI                     *PSIStats    `json:"psi,omitempty"`
}

type Hugetlb struct {
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type PSIData struct {
	Avg10  float64 `json:"avg10"`
	Avg60  float64 `json:"avg60"`
	Avg300 float64 `json:"avg300"`
	Total  uint64  `json:"total"`
}

type PSIStats struct {
	Some PSIData `json:"some,omitempty"`
	Full PSIData `json:"full,omitempty"`
}

// optional turns a missing file into "nothing to report": which statistics
// exist depends on the kernel's configuration and the controllers enabled.
func optional(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// statsReader collects the first error other than a missing file.
type statsReader struct {
	err error
}

func (s *statsReader) uint(dir, file string) uint64 {
	v, err := readUint(dir, file)
	if s.err == nil {
		s.err = optional(err)
	}
	return v
}

func (s *statsReader) keyed(dir, file string) map[string]uint64 {
	m, err := readKeyed(dir, file)
	if s.err == nil {
		s.err = optional(err)
	}
	return m
}

func (s *statsReader) list(dir, file string) []uint64 {
	data, err := readFile(dir, file)
	if err != nil {
		if s.err == nil {
			s.err = optional(err)
		}
		return nil
	}
	var out []uint64
	for _, f := range strings.Fields(data) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			if s.err == nil {
				s.err = fmt.Errorf("%s: %w", filepath.Join(dir, file), err)
			}
			return nil
		}
		out = append(out, v)
	}
	return out
}

// cpuList expands a cpuset list such as "0-3,8".
func (s *statsReader) cpuList(dir, file string) []uint16 {
	data, err := readFile(dir, file)
	if err != nil {
		if s.err == nil {
			s.err = optional(err)
		}
		return nil
	}
	var out []uint16
	for _, part := range strings.Split(data, ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.ParseUint(hi, 10, 16)
		}
		if err1 != nil || err2 != nil || b < a {
			return nil
		}
		for v := a; v <= b; v++ {
			out = append(out, uint16(v))
		}
	}
	return out
}

func (s *statsReader) psi(dir, file string) *PSIStats {
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		if s.err == nil {
			s.err = optional(err)
		}
		return nil
	}
	defer f.Close()
	var p PSIStats
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		var d *PSIData
		switch fields[0] {
		case "some":
			d = &p.Some
		case "full":
			d = &p.Full
		default:
			continue
		}
		for _, kv := range fields[1:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "avg10":
				d.Avg10, _ = strconv.ParseFloat(v, 64)
			case "avg60":
				d.Avg60, _ = strconv.ParseFloat(v, 64)
			case "avg300":
				d.Avg300, _ = strconv.ParseFloat(v, 64)
			case "total":
				d.Total, _ = strconv.ParseUint(v, 10, 64)
			}
		}
	}
	return &p
}

// blkioEntries parses v1 blkio files: "MAJ:MIN Op value" lines, or
// "MAJ:MIN value" for files without operations; "Total" lines are sums.
func (s *statsReader) blkioEntries(dir, file string) []BlkioEntry {
	data, err := readFile(dir, file)
	if err != nil {
		if s.err == nil {
			s.err = optional(err)
		}
		return nil
	}
	var out []BlkioEntry
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] == "Total" {
			continue
		}
		maj, min, ok := parseDevNum(f[0])
		if !ok {
			continue
		}
		e := BlkioEntry{Major: maj, Minor: min}
		valueField := f[1]
		if len(f) == 3 {
			e.Op, valueField = f[1], f[2]
		}
		v, err := strconv.ParseUint(valueField, 10, 64)
		if err != nil {
			continue
		}
		e.Value = v
		out = append(out, e)
	}
	return out
}

func parseDevNum(s string) (major, minor uint64, ok bool) {
	a, b, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, false
	}
	maj, err1 := strconv.ParseUint(a, 10, 64)
	min, err2 := strconv.ParseUint(b, 10, 64)
	return maj, min, err1 == nil && err2 == nil
}

// unlimitedToZero maps "max" to 0, as runc reports an unlimited pids.max.
func unlimitedToZero(v uint64) uint64 {
	if v == math.MaxUint64 {
		return 0
	}
	return v
}
