package cgroups

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const res = "linux.resources"

func fieldErr(field string, err error) error {
	return fmt.Errorf("%s: %w", field, err)
}

// Validate checks r for this host's cgroup mode without touching the kernel.
// Like runc, settings that only exist in cgroup v1 (kernel and kernelTCP
// memory, swappiness, disableOOMKiller, blockIO leaf weights, network) are
// ignored on a unified host, while the realtime cpu settings, which have no
// v2 equivalent and would silently lose a scheduling guarantee, are refused;
// `unified` is refused on hybrid and legacy hosts (runc's
// "cannot use unified on cgroup v1"). Every error names its field.
func Validate(r *specs.LinuxResources) error {
	return validate(DetectMode(), r)
}

func validate(mode Mode, r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	var errs fieldErrs
	v2 := mode == Unified
	if r.Memory != nil {
		errs.validateMemory(r.Memory, v2)
	}
	if r.CPU != nil {
		errs.validateCPU(r.CPU, v2)
	}
	if r.BlockIO != nil {
		errs.validateBlockIO(r.BlockIO, v2)
	}
	for i, h := range r.HugepageLimits {
		if !pageSizeRE().MatchString(h.Pagesize) {
			errs.add(fmt.Sprintf("%s.hugepageLimits[%d].pageSize", res, i), fmt.Errorf("%q is not a page size such as 2MB or 1GB", h.Pagesize))
		}
	}
	if n := r.Network; n != nil && !v2 {
		for i, p := range n.Priorities {
			if !isPlainName(p.Name) {
				errs.add(fmt.Sprintf("%s.network.priorities[%d].name", res, i), fmt.Errorf("%q is not an interface name", p.Name))
			}
		}
	}
	for _, dev := range sortedKeys(r.Rdma) {
		if !isPlainName(dev) {
			errs.add(res+".rdma", fmt.Errorf("%q is not an RDMA device name", dev))
		}
	}
	if r.Unified != nil {
		if !v2 {
			errs.add(res+".unified", fmt.Errorf("invalid configuration: cannot be used on a %s (cgroup v1) host", mode))
		}
		for _, k := range sortedKeys(r.Unified) {
			errs.add(fmt.Sprintf("%s.unified[%q]", res, k), checkUnifiedKey(k))
		}
	}
	for i, d := range r.Devices {
		if _, err := normalizeDeviceRule(d); err != nil && !errors.Is(err, errSkipRule) {
			errs.add(fmt.Sprintf("%s.devices[%d]", res, i), err)
		}
	}
	return errors.Join(errs...)
}

// fieldErrs collects every invalid field, so that one run reports them all.
type fieldErrs []error

func (e *fieldErrs) add(field string, err error) {
	if err != nil {
		*e = append(*e, fieldErr(field, err))
	}
}

func (e *fieldErrs) validateMemory(m *specs.LinuxMemory, v2 bool) {
	for _, f := range []struct {
		name string
		v    *int64
	}{
		{"limit", m.Limit}, {"reservation", m.Reservation}, {"swap", m.Swap},
		//lint:ignore SA1019 still applied on v1 hosts, so still checked
		{"kernel", m.Kernel},
		{"kernelTCP", m.KernelTCP},
	} {
		if f.v != nil && *f.v < -1 {
			e.add(res+".memory."+f.name, fmt.Errorf("%d is neither -1 (unlimited) nor a number of bytes", *f.v))
		}
	}
	if v2 {
		_, err := swapV2(deref(m.Swap), deref(m.Limit))
		e.add(res+".memory.swap", err)
		return
	}
	limit, swap := deref(m.Limit), deref(m.Swap)
	if limit > 0 && swap > 0 && swap < limit {
		e.add(res+".memory.swap", fmt.Errorf("memory+swap limit %d is lower than the memory limit %d", swap, limit))
	}
	if s := m.Swappiness; s != nil && *s > 100 && *s != math.MaxUint64 {
		e.add(res+".memory.swappiness", fmt.Errorf("%d is out of range 0-100", *s))
	}
}

func (e *fieldErrs) validateCPU(c *specs.LinuxCPU, v2 bool) {
	if v2 {
		if deref(c.RealtimeRuntime) != 0 {
			e.add(res+".cpu.realtimeRuntime", errors.New("realtime scheduling is not supported on cgroup v2"))
		}
		if deref(c.RealtimePeriod) != 0 {
			e.add(res+".cpu.realtimePeriod", errors.New("realtime scheduling is not supported on cgroup v2"))
		}
		if s := deref(c.Shares); s != 0 && (s < 2 || s > 262144) {
			e.add(res+".cpu.shares", fmt.Errorf("%d is out of range 2-262144 (it is converted to cpu.weight)", s))
		}
	}
	if q := c.Quota; q != nil && *q < -1 {
		e.add(res+".cpu.quota", fmt.Errorf("%d is neither -1 (unlimited) nor a number of microseconds", *q))
	}
	if i := c.Idle; i != nil && *i != 0 && *i != 1 {
		e.add(res+".cpu.idle", fmt.Errorf("%d is neither 0 nor 1", *i))
	}
	e.add(res+".cpu.cpus", checkList(c.Cpus))
	e.add(res+".cpu.mems", checkList(c.Mems))
}

// validateBlockIO ignores the leaf weights on v2, which has none.
func (e *fieldErrs) validateBlockIO(b *specs.LinuxBlockIO, v2 bool) {
	e.add(res+".blockIO.weight", checkWeight(b.Weight))
	if !v2 {
		e.add(res+".blockIO.leafWeight", checkWeight(b.LeafWeight))
	}
	for i, wd := range b.WeightDevice {
		field := fmt.Sprintf("%s.blockIO.weightDevice[%d]", res, i)
		e.add(field, checkBlockDevice(wd.LinuxBlockIODevice))
		e.add(field+".weight", checkWeight(wd.Weight))
		if !v2 {
			e.add(field+".leafWeight", checkWeight(wd.LeafWeight))
		}
	}
	for _, t := range throttles {
		for i, d := range t.devs(b) {
			e.add(fmt.Sprintf("%s.blockIO.%s[%d]", res, t.name, i), checkBlockDevice(d.LinuxBlockIODevice))
		}
	}
}

// Compiled on first use: every sprout command links this package, and
// start-up time is paid four times per container.
var (
	pageSizeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]*[KMG]B$`) })
	listRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$`) })
)

// checkList checks a cpuset list ("0-3,8"); the kernel checks the numbers.
func checkList(s string) error {
	if s == "" || listRE().MatchString(strings.TrimSpace(s)) {
		return nil
	}
	return fmt.Errorf("%q is not a list such as 0-3,8", s)
}

func checkWeight(w *uint16) error {
	if w != nil && *w > 1000 {
		return fmt.Errorf("%d is out of range 1-1000", *w)
	}
	return nil
}

func checkBlockDevice(d specs.LinuxBlockIODevice) error {
	if d.Major < 0 || d.Minor < 0 || d.Major > math.MaxUint32 || d.Minor > math.MaxUint32 {
		return fmt.Errorf("device %d:%d is not a block device number", d.Major, d.Minor)
	}
	return nil
}

// isPlainName accepts names that can be written as one token of a cgroup
// file line.
func isPlainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/ \t\n\x00")
}

// checkUnifiedKey refuses keys that are not a plain control file name of the
// container's own cgroup directory.
func checkUnifiedKey(k string) error {
	switch {
	case k == "":
		return errors.New("empty key")
	case strings.Contains(k, "/"):
		return errors.New("key must be a file name: it contains /")
	case strings.Contains(k, ".."):
		return errors.New(`key must be a file name: it contains ".."`)
	case strings.ContainsAny(k, " \t\n\x00"):
		return errors.New("key must be a file name: it contains white space or NUL")
	case !strings.Contains(strings.Trim(k, "."), "."):
		return errors.New("key must name a control file, such as memory.high")
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// numV2 formats a limit for a v2 file: "" for unset (0), "max" for -1.
func numV2(v int64) string {
	switch v {
	case 0:
		return ""
	case -1:
		return "max"
	}
	return strconv.FormatInt(v, 10)
}
