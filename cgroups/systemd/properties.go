package systemd

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/cgroups"
)

const res = "linux.resources"

func prop(name string, v any) sd.Property {
	return sd.Property{Name: name, Value: dbus.MakeVariant(v)}
}

// infinity is systemd's USEC_INFINITY and CGROUP_LIMIT_MAX: no limit.
const infinity = uint64(math.MaxUint64)

// limit maps an OCI limit, -1 meaning unlimited, to a unit property value.
func limit(v int64) uint64 {
	if v < 0 {
		return infinity
	}
	return uint64(v)
}

// defaultCPUPeriod is the kernel's cpu.max period, in µs, when none is set.
const defaultCPUPeriod = 100000

// The systemd versions that brought the properties older ones refuse.
const (
	versionCPUQuotaPeriod = 242
	versionAllowedCPUs    = 244
)

// host is what the translation reads of the machine: the systemd version
// and, for device rules, /proc/devices and /dev.
type host struct {
	version int
	// v1 is a hybrid or legacy host, where systemd has the v1 names.
	v1 bool
	// deviceGroup names the /proc/devices group of a major number
	// ("char-pts"), "" when there is none.
	deviceGroup func(typ byte, major int64) (string, error)
	exists      func(path string) bool
}

// resourceProperties translates r into the scope's unit properties as far
// as runc's systemd driver does (on v1 hosts: MemoryLimit, CPUShares and
// BlockIOWeight instead of the v2 memory, weight and IO properties), so
// that systemd, which rewrites a unit's
// cgroup files from its properties (daemon-reload, a later
// SetUnitProperties), keeps the container's limits. The cgroup files are
// written afterwards in any case (cgroups.Manager.Set): they hold the exact
// values where a property rounds (CPUQuotaPerSecUSec), and everything that
// has no property.
func resourceProperties(r *specs.LinuxResources, h host) ([]sd.Property, error) {
	if r == nil {
		return nil, nil
	}
	var props []sd.Property
	add := func(name string, v any) { props = append(props, prop(name, v)) }

	if len(r.Devices) > 0 {
		dev, err := deviceProperties(r.Devices, h)
		if err != nil {
			return nil, err
		}
		props = append(props, dev...)
	}
	if m := r.Memory; m != nil && h.v1 {
		if lim := deref(m.Limit); lim != 0 {
			add("MemoryLimit", limit(lim))
		}
	} else if m != nil {
		lim, resv, swap := deref(m.Limit), deref(m.Reservation), deref(m.Swap)
		if lim != 0 {
			add("MemoryMax", limit(lim))
		}
		if resv != 0 {
			add("MemoryLow", limit(resv))
		}
		s, err := cgroups.SwapV2(swap, lim)
		if err != nil {
			return nil, fmt.Errorf("%s.memory.swap: %w", res, err)
		}
		// A memory+swap limit equal to the memory limit is no swap at all.
		if s != 0 || swap > 0 {
			add("MemorySwapMax", limit(s))
		}
	}
	if c := r.CPU; c != nil {
		if shares := deref(c.Shares); shares != 0 && h.v1 {
			add("CPUShares", shares)
		} else if shares != 0 {
			add("CPUWeight", cgroups.CPUWeight(shares))
		}
		props = append(props, cpuQuota(deref(c.Quota), deref(c.Period), h.version)...)
		cpuset, err := allowedCPUs(c.Cpus, c.Mems, h.version)
		if err != nil {
			return nil, err
		}
		props = append(props, cpuset...)
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		// pids.limit 0 or below is "max" in the files too.
		if *p.Limit > 0 {
			add("TasksMax", uint64(*p.Limit))
		} else {
			add("TasksMax", infinity)
		}
	}
	if b := r.BlockIO; b != nil && deref(b.Weight) != 0 && h.v1 {
		add("BlockIOWeight", uint64(*b.Weight))
	} else if b != nil && deref(b.Weight) != 0 {
		add("IOWeight", cgroups.IOWeight(*b.Weight))
	}
	unified, err := unifiedProperties(r.Unified, h.version)
	if err != nil {
		return nil, err
	}
	return append(props, unified...), nil
}

// cpuQuota expresses quota and period (µs) as systemd does: a CPU time per
// second, which systemd keeps in whole percents, so it is rounded up to
// 10 ms as runc does (the cpu.max file gets the exact value after).
func cpuQuota(quota int64, period uint64, version int) []sd.Property {
	var props []sd.Property
	if period != 0 && version >= versionCPUQuotaPeriod {
		props = append(props, prop("CPUQuotaPeriodUSec", period))
	}
	if quota == 0 && period == 0 {
		return props
	}
	perSec := infinity
	if quota > 0 {
		if period == 0 {
			period = defaultCPUPeriod
		}
		perSec = uint64(quota) * 1000000 / period
		if perSec%10000 != 0 {
			perSec = (perSec/10000 + 1) * 10000
		}
	}
	return append(props, prop("CPUQuotaPerSecUSec", perSec))
}

func allowedCPUs(cpus, mems string, version int) ([]sd.Property, error) {
	if version < versionAllowedCPUs || cpus == "" && mems == "" {
		return nil, nil
	}
	var props []sd.Property
	for _, l := range []struct{ field, value, name string }{
		{res + ".cpu.cpus", cpus, "AllowedCPUs"}, {res + ".cpu.mems", mems, "AllowedMemoryNodes"},
	} {
		if l.value == "" {
			continue
		}
		bits, err := listToMask(l.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.field, err)
		}
		props = append(props, prop(l.name, bits))
	}
	return props, nil
}

// maxCPU bounds the numbers of a cpuset list, far above any machine's, so
// that a typo cannot make a huge mask.
const maxCPU = 1 << 16

// listToMask turns a cpuset list ("0-3,8") into the byte mask systemd's
// AllowedCPUs and AllowedMemoryNodes take: bit n%8 of byte n/8 is CPU n.
func listToMask(list string) ([]byte, error) {
	var mask []byte
	for _, part := range strings.Split(strings.TrimSpace(list), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a list such as 0-3,8", list)
		}
		last := first
		if isRange {
			if last, err = strconv.ParseUint(hi, 10, 32); err != nil || last < first {
				return nil, fmt.Errorf("%q is not a list such as 0-3,8", list)
			}
		}
		if last >= maxCPU {
			return nil, fmt.Errorf("%q: %d is above the highest number supported, %d", list, last, maxCPU-1)
		}
		for n := first; n <= last; n++ {
			for uint64(len(mask)) <= n/8 {
				mask = append(mask, 0)
			}
			mask[n/8] |= 1 << (n % 8)
		}
	}
	return mask, nil
}

// unifiedProperties translates the entries of linux.resources.unified that
// systemd has a property for, as runc does; the others are only written to
// their files.
func unifiedProperties(unified map[string]string, version int) ([]sd.Property, error) {
	keys := make([]string, 0, len(unified))
	for k := range unified {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var props []sd.Property
	for _, k := range keys {
		v := strings.TrimSpace(unified[k])
		field := fmt.Sprintf("%s.unified[%q]", res, k)
		num := func() (uint64, error) {
			if v == "max" {
				return infinity, nil
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %q is neither max nor a number", field, v)
			}
			return n, nil
		}
		switch k {
		case "cpu.max":
			f := strings.Fields(v)
			if len(f) < 1 || len(f) > 2 {
				return nil, fmt.Errorf("%s: %q is not \"QUOTA [PERIOD]\"", field, v)
			}
			var quota int64
			period := uint64(defaultCPUPeriod)
			var err error
			if f[0] != "max" {
				if quota, err = strconv.ParseInt(f[0], 10, 64); err != nil || quota <= 0 {
					return nil, fmt.Errorf("%s: quota %q is neither max nor a positive number", field, f[0])
				}
			}
			if len(f) == 2 {
				if period, err = strconv.ParseUint(f[1], 10, 64); err != nil || period == 0 {
					return nil, fmt.Errorf("%s: period %q is not a positive number", field, f[1])
				}
			}
			props = append(props, cpuQuota(quota, period, version)...)
		case "cpu.weight":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a number", field, v)
			}
			props = append(props, prop("CPUWeight", n))
		case "cpuset.cpus", "cpuset.mems":
			if version < versionAllowedCPUs {
				continue
			}
			bits, err := listToMask(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
			name := map[string]string{"cpuset.cpus": "AllowedCPUs", "cpuset.mems": "AllowedMemoryNodes"}[k]
			props = append(props, prop(name, bits))
		case "memory.high", "memory.low", "memory.min", "memory.max", "memory.swap.max", "pids.max":
			n, err := num()
			if err != nil {
				return nil, err
			}
			name := map[string]string{
				"memory.high": "MemoryHigh", "memory.low": "MemoryLow", "memory.min": "MemoryMin",
				"memory.max": "MemoryMax", "memory.swap.max": "MemorySwapMax", "pids.max": "TasksMax",
			}[k]
			props = append(props, prop(name, n))
		}
	}
	return props, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
