package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// unifiedManager drives a container's cgroup on a cgroup v2 host.
type unifiedManager struct {
	host *host
	// mount is the v2 mountpoint, dir the container's cgroup below it.
	mount, dir string
}

func newUnified(host *host, inner string) (*unifiedManager, error) {
	h, err := host.v2Hierarchy()
	if err != nil {
		return nil, err
	}
	base := ""
	if !filepath.IsAbs(inner) {
		own, err := host.ownCgroups()
		if err != nil {
			return nil, err
		}
		// A v2 cgroup that holds processes cannot enable controllers for
		// its children ("no internal processes"), so like runc the relative
		// path goes next to our own cgroup, under its parent.
		if base = own[""]; base != "" {
			base = filepath.Dir(base)
		}
	}
	dir, err := h.dirIn(base, inner)
	if err != nil {
		return nil, err
	}
	return &unifiedManager{host: host, mount: h.mountpoint, dir: dir}, nil
}

func loadUnified(host *host, paths map[string]string) (*unifiedManager, error) {
	dir, ok := paths[""]
	if !ok || len(paths) != 1 {
		return nil, errors.New("saved cgroup paths are not those of a cgroup v2 container (one path, for \"\")")
	}
	h, err := host.v2Hierarchy()
	if err != nil {
		return nil, err
	}
	if !h.holds(dir) {
		return nil, fmt.Errorf("saved cgroup path %q is not a cgroup below %s", dir, h.mountpoint)
	}
	return &unifiedManager{host: host, mount: h.mountpoint, dir: dir}, nil
}

func (m *unifiedManager) Paths() map[string]string {
	return map[string]string{"": m.dir}
}

func (m *unifiedManager) Apply(pid int) (err error) {
	created, err := mkdirAll(m.dir)
	if err != nil {
		removeCreated(created)
		return fmt.Errorf("create cgroup: %w", err)
	}
	if pid > 0 {
		if err := joinCgroup(m.dir, pid); err != nil {
			removeCreated(created)
			return err
		}
	}
	return nil
}

// neededControllers maps each controller r needs to the first field that
// needs it, for error messages.
func neededControllers(r *specs.LinuxResources, available map[string]bool) map[string]string {
	need := make(map[string]string)
	add := func(c, field string) {
		if _, ok := need[c]; !ok {
			need[c] = field
		}
	}
	if m := r.Memory; m != nil && (deref(m.Limit) != 0 || deref(m.Reservation) != 0 || deref(m.Swap) != 0) {
		add("memory", res+".memory")
	}
	if c := r.CPU; c != nil {
		if deref(c.Shares) != 0 || deref(c.Quota) != 0 || deref(c.Period) != 0 || c.Burst != nil || c.Idle != nil {
			add("cpu", res+".cpu")
		}
		if c.Cpus != "" || c.Mems != "" {
			add("cpuset", res+".cpu")
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		add("pids", res+".pids.limit")
	}
	if ioSet(r.BlockIO) {
		add("io", res+".blockIO")
	}
	if len(r.HugepageLimits) > 0 {
		add("hugetlb", res+".hugepageLimits")
	}
	if len(r.Rdma) > 0 {
		add("rdma", res+".rdma")
	}
	for _, k := range sortedKeys(r.Unified) {
		if c, _, _ := strings.Cut(k, "."); available[c] {
			add(c, fmt.Sprintf("%s.unified[%q]", res, k))
		}
	}
	return need
}

func ioSet(b *specs.LinuxBlockIO) bool {
	return b != nil && (deref(b.Weight) != 0 || len(b.WeightDevice) > 0 ||
		len(b.ThrottleReadBpsDevice) > 0 || len(b.ThrottleWriteBpsDevice) > 0 ||
		len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0)
}

func wordSet(s string) map[string]bool {
	set := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		set[w] = true
	}
	return set
}

// enableControllers makes the controllers r needs available in the
// container's cgroup by enabling them in cgroup.subtree_control of every
// ancestor, from the root down, where they are not enabled yet. Only those
// controllers are added, and nothing is ever disabled: ancestors belong to
// others.
func (m *unifiedManager) enableControllers(r *specs.LinuxResources) error {
	rootCtrls, err := readFile(m.mount, "cgroup.controllers")
	if err != nil {
		return err
	}
	available := wordSet(rootCtrls)
	need := neededControllers(r, available)
	for _, c := range sortedKeys(need) {
		if !available[c] {
			return fieldErr(need[c], fmt.Errorf("the cgroup v2 %s controller is not available on this host", c))
		}
	}
	rel, err := filepath.Rel(m.mount, m.dir)
	if err != nil {
		return err
	}
	cur := m.mount
	for _, elem := range strings.Split(rel, "/") {
		enabled, err := readFile(cur, "cgroup.subtree_control")
		if err != nil {
			return err
		}
		on := wordSet(enabled)
		for _, c := range sortedKeys(need) {
			if on[c] {
				continue
			}
			if err := writeFile(cur, "cgroup.subtree_control", "+"+c); err != nil {
				return fieldErr(need[c], fmt.Errorf("enable the %s controller in %s: %w", c, cur, err))
			}
		}
		cur = filepath.Join(cur, elem)
	}
	return nil
}

func (m *unifiedManager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := validate(Unified, r); err != nil {
		return err
	}
	if err := m.enableControllers(r); err != nil {
		return err
	}
	for _, set := range []func(*specs.LinuxResources) error{
		m.setPids, m.setMemory, m.setIO, m.setCPU, m.setDevices, m.setCpuset, m.setHugetlb, m.setRdma, m.setUnified,
	} {
		if err := set(r); err != nil {
			return err
		}
	}
	return nil
}

func (m *unifiedManager) setPids(r *specs.LinuxResources) error {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil
	}
	return write(m.dir, "pids.max", pidsValue(*r.Pids.Limit), res+".pids.limit")
}

// setMemory ignores kernel, kernelTCP, swappiness and disableOOMKiller,
// which have no v2 files, as runc does.
func (m *unifiedManager) setMemory(r *specs.LinuxResources) error {
	mem := r.Memory
	if mem == nil {
		return nil
	}
	limit, reservation, ociSwap := deref(mem.Limit), deref(mem.Reservation), deref(mem.Swap)
	if limit == 0 && reservation == 0 && ociSwap == 0 {
		return nil
	}
	swap, err := swapV2(ociSwap, limit)
	if err != nil {
		return fieldErr(res+".memory.swap", err)
	}
	if deref(mem.CheckBeforeUpdate) && limit > 0 {
		if err := checkUsage(m.dir, "memory.current", limit); err != nil {
			return err
		}
	}
	swapStr := numV2(swap)
	// swap == limit: memory+swap equals memory, i.e. no swap at all.
	if swapStr == "" && ociSwap > 0 {
		swapStr = "0"
	}
	if swapStr != "" {
		err := writeFile(m.dir, "memory.swap.max", swapStr)
		// Without swap support there is no memory.swap.max; asking for no
		// swap or unlimited swap is then already true.
		if err != nil && !(errors.Is(err, fs.ErrNotExist) && (swapStr == "max" || swapStr == "0")) {
			return fieldErr(res+".memory.swap", err)
		}
	}
	if v := numV2(limit); v != "" {
		if err := write(m.dir, "memory.max", v, res+".memory.limit"); err != nil {
			return err
		}
	}
	if v := numV2(reservation); v != "" {
		if err := write(m.dir, "memory.low", v, res+".memory.reservation"); err != nil {
			return err
		}
	}
	return nil
}

// ioWeight maps a blkio weight (10-1000) onto io.weight (1-10000) linearly,
// as runc does.
func ioWeight(w uint16) uint64 {
	if w < 10 {
		w = 10
	}
	return 1 + (uint64(w)-10)*9999/990
}

// setIO ignores the leaf weights (CFQ only), as runc does. Weights go to
// io.bfq.weight when BFQ is there, which takes blkio's scale and per-device
// weights; otherwise to io.weight, converted, with no per-device weights.
func (m *unifiedManager) setIO(r *specs.LinuxResources) error {
	b := r.BlockIO
	if !ioSet(b) {
		return nil
	}
	bfq := exists(filepath.Join(m.dir, "io.bfq.weight"))
	if w := deref(b.Weight); w != 0 {
		file, v := "io.weight", ioWeight(w)
		if bfq {
			file, v = "io.bfq.weight", uint64(w)
		}
		if err := write(m.dir, file, strconv.FormatUint(v, 10), res+".blockIO.weight"); err != nil {
			return err
		}
	}
	if bfq {
		for i, wd := range b.WeightDevice {
			if w := deref(wd.Weight); w != 0 {
				field := fmt.Sprintf("%s.blockIO.weightDevice[%d].weight", res, i)
				if err := write(m.dir, "io.bfq.weight", devString(wd.LinuxBlockIODevice, strconv.FormatUint(uint64(w), 10)), field); err != nil {
					return err
				}
			}
		}
	}
	return setThrottles(m.dir, b, true)
}

// cpuWeight converts cpu.shares (2-262144) to cpu.weight (1-10000) with
// runc's linear formula.
func cpuWeight(shares uint64) uint64 {
	return 1 + ((shares-2)*9999)/262142
}

func (m *unifiedManager) setCPU(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil {
		return nil
	}
	shares, quota, period := deref(c.Shares), deref(c.Quota), deref(c.Period)
	if c.Idle != nil {
		if err := write(m.dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10), res+".cpu.idle"); err != nil {
			return err
		}
	}
	if shares != 0 {
		if err := write(m.dir, "cpu.weight", strconv.FormatUint(cpuWeight(shares), 10), res+".cpu.shares"); err != nil {
			return err
		}
	}
	// A burst above what the current quota allows is refused (EINVAL):
	// when a new quota comes with it, it is retried after the quota.
	burstPending := false
	if b := c.Burst; b != nil {
		err := writeFile(m.dir, "cpu.max.burst", strconv.FormatUint(*b, 10))
		if err != nil && (!errors.Is(err, unix.EINVAL) || (quota == 0 && period == 0)) {
			return fieldErr(res+".cpu.burst", err)
		}
		burstPending = err != nil
	}
	if quota != 0 || period != 0 {
		v := "max"
		if quota > 0 {
			v = strconv.FormatInt(quota, 10)
		}
		// Without a period the kernel keeps the current one.
		if period != 0 {
			v += " " + strconv.FormatUint(period, 10)
		}
		field := res + ".cpu.quota"
		if quota == 0 {
			field = res + ".cpu.period"
		}
		if err := write(m.dir, "cpu.max", v, field); err != nil {
			return err
		}
		if burstPending {
			if err := write(m.dir, "cpu.max.burst", strconv.FormatUint(*c.Burst, 10), res+".cpu.burst"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *unifiedManager) setDevices(r *specs.LinuxResources) error {
	if len(r.Devices) == 0 {
		return nil
	}
	rules, err := normalizeDeviceRules(r.Devices)
	if err != nil {
		return err
	}
	if err := attachDeviceProgram(m.dir, deviceProgram(rules)); err != nil {
		return fieldErr(res+".devices", err)
	}
	return nil
}

func (m *unifiedManager) setCpuset(r *specs.LinuxResources) error {
	if r.CPU == nil {
		return nil
	}
	return writeCpuset(m.dir, r.CPU)
}

func (m *unifiedManager) setHugetlb(r *specs.LinuxResources) error {
	if len(r.HugepageLimits) == 0 {
		return nil
	}
	return setHugetlbLimits(m.dir, r.HugepageLimits, ".max")
}

func (m *unifiedManager) setRdma(r *specs.LinuxResources) error {
	if len(r.Rdma) == 0 {
		return nil
	}
	return setRdmaLimits(m.dir, r.Rdma)
}

// setUnified writes the unified map as given, in key order; the keys were
// validated to be file names of the container's directory.
func (m *unifiedManager) setUnified(r *specs.LinuxResources) error {
	for _, k := range sortedKeys(r.Unified) {
		field := fmt.Sprintf("%s.unified[%q]", res, k)
		err := writeFile(m.dir, k, r.Unified[k])
		if errors.Is(err, fs.ErrNotExist) {
			c, _, _ := strings.Cut(k, ".")
			if ctrls, rerr := readFile(m.dir, "cgroup.controllers"); rerr == nil && c != "cgroup" && !wordSet(ctrls)[c] {
				return fieldErr(field, fmt.Errorf("the %s controller is not available to this cgroup: %w", c, err))
			}
		}
		if err != nil {
			return fieldErr(field, err)
		}
	}
	return nil
}

// Freeze writes cgroup.freeze and waits for cgroup.events to report the
// whole subtree frozen; the kernel freezes tasks asynchronously.
func (m *unifiedManager) Freeze() error {
	if err := writeFile(m.dir, "cgroup.freeze", "1"); err != nil {
		return err
	}
	if err := m.waitFrozen(true); err != nil {
		_ = writeFile(m.dir, "cgroup.freeze", "0")
		return err
	}
	return nil
}

func (m *unifiedManager) Thaw() error {
	if err := writeFile(m.dir, "cgroup.freeze", "0"); err != nil {
		return err
	}
	return m.waitFrozen(false)
}

func (m *unifiedManager) frozen() (bool, error) {
	ev, err := readKeyed(m.dir, "cgroup.events")
	if err != nil {
		return false, err
	}
	return ev["frozen"] == 1, nil
}

func (m *unifiedManager) waitFrozen(want bool) error {
	deadline := time.Now().Add(freezeTimeout)
	delay := 100 * time.Microsecond
	for {
		got, err := m.frozen()
		if err != nil {
			return err
		}
		if got == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: cgroup.events did not report frozen=%t within %s", m.dir, want, freezeTimeout)
		}
		time.Sleep(delay)
		delay = min(2*delay, 10*time.Millisecond)
	}
}

// Paused is true only when a freeze was asked for and has completed.
func (m *unifiedManager) Paused() (bool, error) {
	want, err := readFile(m.dir, "cgroup.freeze")
	if err != nil {
		return false, err
	}
	if want != "1" {
		return false, nil
	}
	return m.frozen()
}

func (m *unifiedManager) Procs() ([]int, error) {
	return procsTree(m.dir)
}

// OOMKillCount reports 0 when the memory controller is not enabled for the
// cgroup: then no memory limit of the cgroup can have caused a kill.
func (m *unifiedManager) OOMKillCount() (uint64, error) {
	ev, err := readKeyed(m.dir, "memory.events")
	if errors.Is(err, fs.ErrNotExist) && exists(m.dir) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return ev["oom_kill"], nil
}

func (m *unifiedManager) Destroy() error {
	return removeTree(m.dir)
}

func (m *unifiedManager) Stats() (*Stats, error) {
	var s statsReader
	dir := m.dir
	st := &Stats{Hugetlb: make(map[string]Hugetlb)}

	cpu := s.keyed(dir, "cpu.stat")
	st.CPU.Usage = CPUUsage{Total: cpu["usage_usec"] * 1000, User: cpu["user_usec"] * 1000, Kernel: cpu["system_usec"] * 1000}
	st.CPU.Throttling = Throttling{Periods: cpu["nr_periods"], ThrottledPeriods: cpu["nr_throttled"], ThrottledTime: cpu["throttled_usec"] * 1000}
	st.CPU.PSI = s.psi(dir, "cpu.pressure")

	st.CPUSet.CPUs = s.cpuList(dir, "cpuset.cpus.effective")
	st.CPUSet.Mems = s.cpuList(dir, "cpuset.mems.effective")

	if exists(filepath.Join(dir, "memory.current")) {
		mem := &st.Memory
		mem.Raw = s.keyed(dir, "memory.stat")
		mem.Cache = mem.Raw["file"]
		mem.Usage = MemoryEntry{
			Limit:   s.uint(dir, "memory.max"),
			Usage:   s.uint(dir, "memory.current"),
			Max:     s.uint(dir, "memory.peak"),
			Failcnt: s.keyed(dir, "memory.events")["max"],
		}
		// v1 reports memory+swap; so does runc on v2, for compatibility.
		if exists(filepath.Join(dir, "memory.swap.current")) {
			swap := MemoryEntry{
				Limit:   s.uint(dir, "memory.swap.max"),
				Usage:   s.uint(dir, "memory.swap.current") + mem.Usage.Usage,
				Failcnt: s.keyed(dir, "memory.swap.events")["max"],
			}
			if swap.Limit != math.MaxUint64 && mem.Usage.Limit != math.MaxUint64 {
				swap.Limit += mem.Usage.Limit
			} else {
				swap.Limit = math.MaxUint64
			}
			mem.Swap = swap
		}
		mem.PSI = s.psi(dir, "memory.pressure")
	}
	if exists(filepath.Join(dir, "pids.current")) {
		st.Pids = pidsStats(&s, dir)
	}
	st.Blkio = ioStats(&s, dir)
	for _, size := range m.host.hugePageSizes() {
		p := "hugetlb." + size + "."
		if exists(filepath.Join(dir, p+"current")) {
			st.Hugetlb[size] = Hugetlb{
				Usage:   s.uint(dir, p+"current"),
				Failcnt: s.keyed(dir, p+"events")["max"],
			}
		}
	}
	return st, s.err
}

// ioStats maps io.stat ("MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=..") onto
// v1's recursive byte and operation counts, as runc does.
func ioStats(s *statsReader, dir string) Blkio {
	var b Blkio
	data, err := readFile(dir, "io.stat")
	if err != nil {
		if s.err == nil {
			s.err = optional(err)
		}
		return b
	}
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		maj, min, ok := parseDevNum(f[0])
		if !ok {
			continue
		}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			e := BlkioEntry{Major: maj, Minor: min, Value: n}
			switch k {
			case "rbytes":
				e.Op = "Read"
				b.IoServiceBytesRecursive = append(b.IoServiceBytesRecursive, e)
			case "wbytes":
				e.Op = "Write"
				b.IoServiceBytesRecursive = append(b.IoServiceBytesRecursive, e)
			case "rios":
				e.Op = "Read"
				b.IoServicedRecursive = append(b.IoServicedRecursive, e)
			case "wios":
				e.Op = "Write"
				b.IoServicedRecursive = append(b.IoServicedRecursive, e)
			}
		}
	}
	b.PSI = s.psi(dir, "io.pressure")
	return b
}

var _ Manager = (*unifiedManager)(nil)
