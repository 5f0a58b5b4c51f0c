package systemd

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
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

// deviceAllowEntry is one element of DeviceAllow, D-Bus signature (ss).
type deviceAllowEntry struct {
	Path  string
	Perms string
}

// deviceProperties expresses the device rules with DevicePolicy and
// DeviceAllow where systemd can say exactly what they allow: an allow-list
// whose every entry names a device node, a /proc/devices group or all
// devices of a type. Otherwise, on v2, systemd is told to allow every
// device (DevicePolicy=auto without entries) and the device program that
// the cgroup files step attaches, which stacks with systemd's, enforces the
// rules alone; runc instead lets systemd deny everything, or drops the
// entries it cannot express, which denies devices the config allows.
func deviceProperties(rules []specs.LinuxDeviceCgroup, h host) ([]sd.Property, error) {
	allow, allowAll, ok, err := cgroups.DeviceAllowList(rules)
	if err != nil {
		return nil, err
	}
	open := []sd.Property{prop("DevicePolicy", "auto"), prop("DeviceAllow", []deviceAllowEntry{})}
	if allowAll {
		return open, nil
	}
	// On v1 there is one device list per cgroup, which systemd rewrites
	// from its properties (daemon-reload): "allow all" there would undo the
	// rules, so systemd is told to deny all instead, as runc does, and the
	// devices.allow lines written after add what the rules allow.
	if h.v1 {
		open = []sd.Property{prop("DevicePolicy", "strict"), prop("DeviceAllow", []deviceAllowEntry{})}
	}
	if !ok {
		return open, nil
	}
	entries := make([]deviceAllowEntry, 0, len(allow))
	for _, a := range allow {
		kind := map[byte]string{'c': "char", 'b': "block"}[a.Type]
		var path string
		switch {
		case a.Major == -1 && a.Minor == -1:
			path = kind + "-*"
		case a.Major == -1:
			return open, nil
		case a.Minor == -1:
			group, err := h.deviceGroup(a.Type, a.Major)
			if err != nil {
				return nil, err
			}
			if group == "" {
				return open, nil
			}
			path = group
		default:
			// systemd resolves the path when it applies the rule, and
			// drops it when there is no such node.
			path = fmt.Sprintf("/dev/%s/%d:%d", kind, a.Major, a.Minor)
			if !h.exists(path) {
				return open, nil
			}
		}
		entries = append(entries, deviceAllowEntry{Path: path, Perms: a.Access})
	}
	// The empty list first resets what an earlier Set allowed.
	return []sd.Property{prop("DevicePolicy", "strict"), prop("DeviceAllow", []deviceAllowEntry{}), prop("DeviceAllow", entries)}, nil
}

// procDeviceGroup finds the /proc/devices group of a major number as
// systemd names it in DeviceAllow: "char-NAME" or "block-NAME".
func procDeviceGroup(typ byte, major int64) (string, error) {
	f, err := os.Open("/proc/devices")
	if err != nil {
		return "", err
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "Character devices:":
			section = "char"
			continue
		case "Block devices:":
			section = "block"
			continue
		}
		num, name, found := strings.Cut(line, " ")
		if !found || section != map[byte]string{'c': "char", 'b': "block"}[typ] {
			continue
		}
		if n, err := strconv.ParseInt(num, 10, 64); err == nil && n == major {
			return section + "-" + strings.TrimSpace(name), nil
		}
	}
	return "", sc.Err()
}

const annotationPrefix = "org.systemd.property."

// annotationProperties reads the annotations org.systemd.property.NAME=VALUE
// that runc documents: NAME is a unit property (letters only, at least 3),
// VALUE its value in GVariant text form ("uint64 1024", "'text'", "true").
// A NAME ending in "Sec" after a lowercase letter takes seconds and is
// passed as the property NAME in µs ("...USec"), as systemctl does.
func annotationProperties(annotations map[string]string) ([]sd.Property, error) {
	keys := make([]string, 0)
	for k := range annotations {
		if strings.HasPrefix(k, annotationPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var props []sd.Property
	for _, k := range keys {
		name := k[len(annotationPrefix):]
		if err := checkPropertyName(name); err != nil {
			return nil, fmt.Errorf("annotations[%q]: %w", k, err)
		}
		v, err := dbus.ParseVariant(annotations[k], dbus.Signature{})
		if err != nil {
			return nil, fmt.Errorf("annotations[%q]: value %q is not a GVariant text value such as \"uint64 1024\" or \"'text'\": %w", k, annotations[k], err)
		}
		if base, ok := strings.CutSuffix(name, "Sec"); ok && base[len(base)-1] >= 'a' && base[len(base)-1] <= 'z' {
			if v, err = secToUSec(v); err != nil {
				return nil, fmt.Errorf("annotations[%q]: %w", k, err)
			}
			name = base + "USec"
		}
		props = append(props, sd.Property{Name: name, Value: v})
	}
	return props, nil
}

func checkPropertyName(name string) error {
	if len(name) < 3 {
		return fmt.Errorf("property name %q is shorter than 3 letters", name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("property name %q: only ASCII letters are allowed", name)
		}
	}
	return nil
}

// secToUSec converts a number of seconds to the uint64 µs of a *USec
// property.
func secToUSec(v dbus.Variant) (dbus.Variant, error) {
	var sec float64
	switch n := v.Value().(type) {
	case uint8:
		sec = float64(n)
	case uint16:
		sec = float64(n)
	case uint32:
		sec = float64(n)
	case uint64:
		if n > math.MaxUint64/1000000 {
			return v, errors.New("the number of seconds is out of range")
		}
		return dbus.MakeVariant(n * 1000000), nil
	case int16:
		sec = float64(n)
	case int32:
		sec = float64(n)
	case int64:
		sec = float64(n)
	case float64:
		sec = n
	default:
		return v, fmt.Errorf("a number of seconds is needed, not %s", v.Signature())
	}
	if sec < 0 || math.IsNaN(sec) || sec*1e6 >= float64(math.MaxUint64) {
		return v, errors.New("the number of seconds is out of range")
	}
	return dbus.MakeVariant(uint64(math.Round(sec * 1e6))), nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
