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

// legacyManager drives a container's cgroups on a v1 (legacy) or hybrid
// host: one directory per mounted v1 hierarchy, plus on hybrid hosts one in
// the controller-less v2 hierarchy, which is only joined (systemd and tools
// such as cgroup-aware process listings look there).
type legacyManager struct {
	mode Mode
	// paths maps v1 controller names and, on hybrid hosts, "" to directories.
	paths map[string]string
}

func newLegacy(mode Mode, inner string) (*legacyManager, error) {
	hier, err := v1Hierarchies()
	if err != nil {
		return nil, err
	}
	// Without a device controller a container could open any device of the
	// host: refuse rather than run it unconfined, as runc does.
	if _, ok := hier["devices"]; !ok {
		return nil, errors.New("the cgroup v1 devices controller is not mounted")
	}
	var own map[string]string
	if !filepath.IsAbs(inner) {
		if own, err = ownCgroups(); err != nil {
			return nil, err
		}
	}
	m := &legacyManager{mode: mode, paths: make(map[string]string)}
	for _, c := range v1Controllers {
		h, ok := hier[c]
		if !ok {
			continue
		}
		dir, err := h.dirIn(own[c], inner)
		if err != nil {
			return nil, fmt.Errorf("%s hierarchy: %w", c, err)
		}
		m.paths[c] = dir
	}
	if mode == Hybrid {
		h, err := v2Hierarchy(hybridUnified)
		if err != nil {
			return nil, err
		}
		if m.paths[""], err = h.dirIn(own[""], inner); err != nil {
			return nil, fmt.Errorf("cgroup v2 hierarchy: %w", err)
		}
	}
	return m, nil
}

// loadLegacy checks saved paths against the current mounts, so that a
// tampered or stale state cannot make Destroy or Set act outside cgroupfs.
func loadLegacy(mode Mode, paths map[string]string) (*legacyManager, error) {
	hier, err := v1Hierarchies()
	if err != nil {
		return nil, err
	}
	m := &legacyManager{mode: mode, paths: make(map[string]string, len(paths))}
	for c, dir := range paths {
		var h hierarchy
		switch {
		case c == "" && mode == Hybrid:
			if h, err = v2Hierarchy(hybridUnified); err != nil {
				return nil, err
			}
		case c == "":
			return nil, errors.New("saved cgroup paths hold a cgroup v2 path but this host has no v2 hierarchy")
		default:
			var ok bool
			if h, ok = hier[c]; !ok {
				return nil, fmt.Errorf("saved cgroup paths name the %q controller, which is not mounted", c)
			}
		}
		if !filepath.IsAbs(dir) || filepath.Clean(dir) != dir || !within(h.mountpoint, dir) || dir == h.mountpoint {
			return nil, fmt.Errorf("saved cgroup path %q for %q is not a cgroup below %s", dir, c, h.mountpoint)
		}
		m.paths[c] = dir
	}
	return m, nil
}

func (m *legacyManager) Paths() map[string]string {
	out := make(map[string]string, len(m.paths))
	for k, v := range m.paths {
		out[k] = v
	}
	return out
}

// dirs lists the distinct directories in runc's controller order; co-mounted
// controllers (cpu,cpuacct) share one.
func (m *legacyManager) dirs() []string {
	seen := make(map[string]bool)
	var out []string
	for _, c := range append(append([]string(nil), v1Controllers...), "") {
		dir, ok := m.paths[c]
		if ok && !seen[dir] {
			seen[dir] = true
			out = append(out, dir)
		}
	}
	return out
}

func (m *legacyManager) Apply(pid int) (err error) {
	var created []string
	defer func() {
		if err != nil {
			removeCreated(created)
		}
	}()
	cpuset := m.paths["cpuset"]
	for _, dir := range m.dirs() {
		c, err := mkdirAll(dir)
		created = append(created, c...)
		if err != nil {
			return fmt.Errorf("create cgroup: %w", err)
		}
		if dir == cpuset {
			if err := fillCpuset(dir); err != nil {
				return err
			}
		}
		if pid > 0 {
			if err := joinCgroup(dir, pid); err != nil {
				return err
			}
		}
	}
	return nil
}

// fillCpuset gives dir and each of its ancestors below the hierarchy's
// root, top down, its parent's cpus and mems where its own are empty, as
// runc does: a new v1 cpuset has none, a cgroup without them refuses tasks,
// and the container's parent may be such a cgroup too.
func fillCpuset(dir string) error {
	parent := filepath.Dir(dir)
	var st unix.Statfs_t
	if err := unix.Statfs(parent, &st); err != nil || st.Type != unix.CGROUP_SUPER_MAGIC {
		// dir is the root of the hierarchy, which always has both.
		return nil
	}
	if err := fillCpuset(parent); err != nil {
		return err
	}
	return inheritCpuset(dir)
}

func inheritCpuset(dir string) error {
	parent := filepath.Dir(dir)
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := readFile(dir, f)
		if err != nil {
			return err
		}
		if cur != "" {
			continue
		}
		v, err := readFile(parent, f)
		if err != nil {
			return err
		}
		if v == "" {
			return fmt.Errorf("cannot create %s: its parent has an empty %s", dir, f)
		}
		if err := writeFile(dir, f, v); err != nil {
			return fmt.Errorf("copy %s of %s: %w", f, parent, err)
		}
	}
	return nil
}

// need returns the directory of controller c, which field needs.
func (m *legacyManager) need(c, field string) (string, error) {
	dir, ok := m.paths[c]
	if !ok {
		return "", fieldErr(field, fmt.Errorf("the cgroup v1 %s controller is not mounted on this host", c))
	}
	return dir, nil
}

func (m *legacyManager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := validate(m.mode, r); err != nil {
		return err
	}
	for _, set := range []func(*specs.LinuxResources) error{
		m.setCpuset, m.setDevices, m.setMemory, m.setCPU, m.setPids,
		m.setBlkio, m.setHugetlb, m.setNetwork, m.setRdma,
	} {
		if err := set(r); err != nil {
			return err
		}
	}
	return nil
}

// write writes value to dir/file on behalf of field.
func write(dir, file, value, field string) error {
	if err := writeFile(dir, file, value); err != nil {
		return fieldErr(field, err)
	}
	return nil
}

func (m *legacyManager) setCpuset(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil || (c.Cpus == "" && c.Mems == "") {
		return nil
	}
	dir, err := m.need("cpuset", res+".cpu")
	if err != nil {
		return err
	}
	if c.Cpus != "" {
		if err := write(dir, "cpuset.cpus", c.Cpus, res+".cpu.cpus"); err != nil {
			return err
		}
	}
	if c.Mems != "" {
		if err := write(dir, "cpuset.mems", c.Mems, res+".cpu.mems"); err != nil {
			return err
		}
	}
	return nil
}

// setDevices writes the rules in order to devices.allow/devices.deny. The
// kernel keeps exceptions per exact (type, major, minor), so a rule does
// not punch a hole in an earlier broader one of the opposite verdict.
func (m *legacyManager) setDevices(r *specs.LinuxResources) error {
	if len(r.Devices) == 0 {
		return nil
	}
	dir, err := m.need("devices", res+".devices")
	if err != nil {
		return err
	}
	rules, err := normalizeDeviceRules(r.Devices)
	if err != nil {
		return err
	}
	for i, rule := range rules {
		file := "devices.deny"
		if rule.allow {
			file = "devices.allow"
		}
		for _, line := range rule.v1Lines() {
			if err := write(dir, file, line, fmt.Sprintf("%s.devices[%d]", res, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *legacyManager) setMemory(r *specs.LinuxResources) error {
	mem := r.Memory
	if mem == nil {
		return nil
	}
	dir, err := m.need("memory", res+".memory")
	if err != nil {
		return err
	}
	limit, swap := deref(mem.Limit), deref(mem.Swap)
	// An unlimited memory limit with no swap setting means "no limit at
	// all": memsw must go too, or it would keep capping memory.
	if limit == -1 && swap == 0 && exists(filepath.Join(dir, "memory.memsw.limit_in_bytes")) {
		swap = -1
	}
	if deref(mem.CheckBeforeUpdate) && limit > 0 {
		if err := checkUsage(dir, "memory.usage_in_bytes", limit); err != nil {
			return err
		}
	}
	setLimit := func() error {
		if limit == 0 {
			return nil
		}
		err := writeFile(dir, "memory.limit_in_bytes", strconv.FormatInt(limit, 10))
		if errors.Is(err, unix.EBUSY) {
			usage, _ := readUint(dir, "memory.usage_in_bytes")
			peak, _ := readUint(dir, "memory.max_usage_in_bytes")
			return fieldErr(res+".memory.limit", fmt.Errorf("cannot set the limit to %d bytes below the current usage (%d bytes, peak %d): %w", limit, usage, peak, err))
		}
		if err != nil {
			return fieldErr(res+".memory.limit", err)
		}
		return nil
	}
	setSwap := func() error {
		if swap == 0 {
			return nil
		}
		return write(dir, "memory.memsw.limit_in_bytes", strconv.FormatInt(swap, 10), res+".memory.swap")
	}
	// The kernel wants memory <= memory+swap at every moment: when the new
	// memsw is above the current memory limit (growing), memsw goes first.
	first, second := setLimit, setSwap
	if limit != 0 && swap != 0 {
		cur, err := readUint(dir, "memory.limit_in_bytes")
		if err != nil {
			return fieldErr(res+".memory.limit", err)
		}
		if swap == -1 || cur < uint64(swap) {
			first, second = setSwap, setLimit
		}
	}
	if err := first(); err != nil {
		return err
	}
	if err := second(); err != nil {
		return err
	}
	for _, f := range []struct {
		v           *int64
		file, field string
	}{
		{mem.Reservation, "memory.soft_limit_in_bytes", "reservation"},
		//lint:ignore SA1019 v1 kernels before 5.16 still enforce it, so it is still honoured there
		{mem.Kernel, "memory.kmem.limit_in_bytes", "kernel"},
		{mem.KernelTCP, "memory.kmem.tcp.limit_in_bytes", "kernelTCP"},
	} {
		if v := deref(f.v); v != 0 {
			if err := write(dir, f.file, strconv.FormatInt(v, 10), res+".memory."+f.field); err != nil {
				return err
			}
		}
	}
	// runc's convention: swappiness -1 (as an unsigned number) is unset.
	if s := mem.Swappiness; s != nil && *s != math.MaxUint64 {
		if err := write(dir, "memory.swappiness", strconv.FormatUint(*s, 10), res+".memory.swappiness"); err != nil {
			return err
		}
	}
	if d := mem.DisableOOMKiller; d != nil {
		v := "0"
		if *d {
			v = "1"
		}
		if err := write(dir, "memory.oom_control", v, res+".memory.disableOOMKiller"); err != nil {
			return err
		}
	}
	return nil
}

// checkUsage implements memory.checkBeforeUpdate: refuse a limit below the
// current usage instead of letting the kernel reclaim or OOM-kill.
func checkUsage(dir, file string, limit int64) error {
	usage, err := readUint(dir, file)
	if err != nil {
		return fieldErr(res+".memory.checkBeforeUpdate", err)
	}
	if usage > uint64(limit) {
		return fieldErr(res+".memory.limit", fmt.Errorf("the new limit %d is below the current usage %d (checkBeforeUpdate)", limit, usage))
	}
	return nil
}

func (m *legacyManager) setCPU(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil {
		return nil
	}
	shares, quota, period := deref(c.Shares), deref(c.Quota), deref(c.Period)
	rtRuntime, rtPeriod := deref(c.RealtimeRuntime), deref(c.RealtimePeriod)
	if shares == 0 && quota == 0 && period == 0 && c.Burst == nil && c.Idle == nil && rtRuntime == 0 && rtPeriod == 0 {
		return nil
	}
	dir, err := m.need("cpu", res+".cpu")
	if err != nil {
		return err
	}
	if shares != 0 {
		if err := write(dir, "cpu.shares", strconv.FormatUint(shares, 10), res+".cpu.shares"); err != nil {
			return err
		}
		// The kernel clamps silently; a clamped value is not what was asked.
		got, err := readUint(dir, "cpu.shares")
		if err != nil {
			return fieldErr(res+".cpu.shares", err)
		}
		if got != shares {
			return fieldErr(res+".cpu.shares", fmt.Errorf("%d is out of the kernel's range (it was clamped to %d)", shares, got))
		}
	}
	// Period and burst may each be refused (EINVAL) against the current
	// quota, or an ancestor's, before the new quota is in: then they are
	// retried after it.
	var retry []func() error
	if period != 0 {
		set := func() error {
			return write(dir, "cpu.cfs_period_us", strconv.FormatUint(period, 10), res+".cpu.period")
		}
		if err := set(); err != nil {
			if !errors.Is(err, unix.EINVAL) || quota == 0 {
				return err
			}
			retry = append(retry, set)
		}
	}
	if b := c.Burst; b != nil {
		set := func() error {
			return write(dir, "cpu.cfs_burst_us", strconv.FormatUint(*b, 10), res+".cpu.burst")
		}
		err := set()
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Kernels before 5.14 have no burst; runc ignores it there.
		case errors.Is(err, unix.EINVAL) && quota != 0:
			retry = append(retry, set)
		case err != nil:
			return err
		}
	}
	if quota != 0 {
		if err := write(dir, "cpu.cfs_quota_us", strconv.FormatInt(quota, 10), res+".cpu.quota"); err != nil {
			return err
		}
		for _, set := range retry {
			if err := set(); err != nil {
				return err
			}
		}
	}
	if c.Idle != nil {
		if err := write(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10), res+".cpu.idle"); err != nil {
			return err
		}
	}
	if rtPeriod != 0 {
		if err := write(dir, "cpu.rt_period_us", strconv.FormatUint(rtPeriod, 10), res+".cpu.realtimePeriod"); err != nil {
			return err
		}
	}
	if rtRuntime != 0 {
		if err := write(dir, "cpu.rt_runtime_us", strconv.FormatInt(rtRuntime, 10), res+".cpu.realtimeRuntime"); err != nil {
			return err
		}
	}
	return nil
}

func pidsValue(limit int64) string {
	if limit <= 0 {
		return "max"
	}
	return strconv.FormatInt(limit, 10)
}

func (m *legacyManager) setPids(r *specs.LinuxResources) error {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil
	}
	dir, err := m.need("pids", res+".pids.limit")
	if err != nil {
		return err
	}
	return write(dir, "pids.max", pidsValue(*r.Pids.Limit), res+".pids.limit")
}

func devString(d specs.LinuxBlockIODevice, value string) string {
	return fmt.Sprintf("%d:%d %s", d.Major, d.Minor, value)
}

func (m *legacyManager) setBlkio(r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil {
		return nil
	}
	set := deref(b.Weight) != 0 || deref(b.LeafWeight) != 0 || len(b.WeightDevice) > 0 ||
		len(b.ThrottleReadBpsDevice) > 0 || len(b.ThrottleWriteBpsDevice) > 0 ||
		len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0
	if !set {
		return nil
	}
	dir, err := m.need("blkio", res+".blockIO")
	if err != nil {
		return err
	}
	// CFQ's blkio.weight went away with the legacy block layer (5.0); BFQ
	// offers blkio.bfq.weight instead. Like runc, use whichever exists.
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
	for _, t := range []struct {
		name, file string
		devs       []specs.LinuxThrottleDevice
	}{
		{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	} {
		for i, d := range t.devs {
			field := fmt.Sprintf("%s.blockIO.%s[%d]", res, t.name, i)
			if err := write(dir, t.file, devString(d.LinuxBlockIODevice, strconv.FormatUint(d.Rate, 10)), field); err != nil {
				return err
			}
		}
	}
	return nil
}

// setHugetlbLimits writes each limit to hugetlb.<size>.<suffix> and, where
// the kernel has them (5.7+), to the reservation limits too, as runc does:
// the page-fault limit alone lets a mmap reserve pages it may later be
// SIGBUSed for.
func setHugetlbLimits(dir string, limits []specs.LinuxHugepageLimit, suffix string) error {
	rsvd := true
	for i, h := range limits {
		field := fmt.Sprintf("%s.hugepageLimits[%d]", res, i)
		val := strconv.FormatUint(h.Limit, 10)
		prefix := "hugetlb." + h.Pagesize
		if err := write(dir, prefix+suffix, val, field); err != nil {
			return err
		}
		if !rsvd {
			continue
		}
		err := writeFile(dir, prefix+".rsvd"+suffix, val)
		if errors.Is(err, fs.ErrNotExist) {
			rsvd = false
		} else if err != nil {
			return fieldErr(field, err)
		}
	}
	return nil
}

func (m *legacyManager) setHugetlb(r *specs.LinuxResources) error {
	if len(r.HugepageLimits) == 0 {
		return nil
	}
	dir, err := m.need("hugetlb", res+".hugepageLimits")
	if err != nil {
		return err
	}
	return setHugetlbLimits(dir, r.HugepageLimits, ".limit_in_bytes")
}

func (m *legacyManager) setNetwork(r *specs.LinuxResources) error {
	n := r.Network
	if n == nil {
		return nil
	}
	if n.ClassID != nil {
		dir, err := m.need("net_cls", res+".network.classID")
		if err != nil {
			return err
		}
		if err := write(dir, "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10), res+".network.classID"); err != nil {
			return err
		}
	}
	if len(n.Priorities) > 0 {
		dir, err := m.need("net_prio", res+".network.priorities")
		if err != nil {
			return err
		}
		for i, p := range n.Priorities {
			line := p.Name + " " + strconv.FormatUint(uint64(p.Priority), 10)
			if err := write(dir, "net_prio.ifpriomap", line, fmt.Sprintf("%s.network.priorities[%d]", res, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

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

func setRdmaLimits(dir string, limits map[string]specs.LinuxRdma) error {
	for _, dev := range sortedKeys(limits) {
		if err := write(dir, "rdma.max", rdmaLine(dev, limits[dev]), fmt.Sprintf("%s.rdma[%q]", res, dev)); err != nil {
			return err
		}
	}
	return nil
}

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

const freezeTimeout = 10 * time.Second

// Freeze writes FROZEN until the state reads FROZEN. A task that is being
// frozen while in some kernel paths (vfork, some waits) can keep the cgroup
// in FREEZING; thawing and freezing again gets it unstuck.
func (m *legacyManager) Freeze() error {
	dir, err := m.need("freezer", "freezer")
	if err != nil {
		return err
	}
	deadline := time.Now().Add(freezeTimeout)
	for i := 1; ; i++ {
		if err := writeFile(dir, "freezer.state", "FROZEN"); err != nil {
			return err
		}
		state, err := readFile(dir, "freezer.state")
		if err != nil {
			return err
		}
		switch state {
		case "FROZEN":
			return nil
		case "FREEZING":
		default:
			return fmt.Errorf("%s reads %q after writing FROZEN", filepath.Join(dir, "freezer.state"), state)
		}
		if time.Now().After(deadline) {
			_ = writeFile(dir, "freezer.state", "THAWED")
			return fmt.Errorf("%s: the cgroup did not freeze within %s", dir, freezeTimeout)
		}
		if i%100 == 0 {
			_ = writeFile(dir, "freezer.state", "THAWED")
		}
		time.Sleep(time.Millisecond)
	}
}

func (m *legacyManager) Thaw() error {
	dir, err := m.need("freezer", "freezer")
	if err != nil {
		return err
	}
	return writeFile(dir, "freezer.state", "THAWED")
}

func (m *legacyManager) Paused() (bool, error) {
	dir, err := m.need("freezer", "freezer")
	if err != nil {
		return false, err
	}
	state, err := readFile(dir, "freezer.state")
	if err != nil {
		return false, err
	}
	return state == "FROZEN", nil
}

// Procs reads the devices hierarchy, which every container has; a manager
// loaded from paths without it reads any other.
func (m *legacyManager) Procs() ([]int, error) {
	if dir, ok := m.paths["devices"]; ok {
		return procsTree(dir)
	}
	dirs := m.dirs()
	if len(dirs) == 0 {
		return nil, errors.New("no cgroup paths")
	}
	return procsTree(dirs[0])
}

func (m *legacyManager) OOMKillCount() (uint64, error) {
	dir, err := m.need("memory", "memory")
	if err != nil {
		return 0, err
	}
	ctl, err := readKeyed(dir, "memory.oom_control")
	if err != nil {
		return 0, err
	}
	v, ok := ctl["oom_kill"]
	if !ok {
		return 0, fmt.Errorf("%s has no oom_kill count (kernel before 4.13)", filepath.Join(dir, "memory.oom_control"))
	}
	return v, nil
}

func (m *legacyManager) Destroy() error {
	var errs []error
	for _, dir := range m.dirs() {
		if err := removeTree(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

const userHZ = 100 // cpuacct.stat counts in USER_HZ, fixed at 100 for user space

func (m *legacyManager) Stats() (*Stats, error) {
	var s statsReader
	st := &Stats{Hugetlb: make(map[string]Hugetlb)}
	if dir, ok := m.paths["cpuacct"]; ok {
		u := &st.CPU.Usage
		u.Total = s.uint(dir, "cpuacct.usage")
		u.Percpu = s.list(dir, "cpuacct.usage_percpu")
		if t := s.keyed(dir, "cpuacct.stat"); t != nil {
			u.User = t["user"] * (1e9 / userHZ)
			u.Kernel = t["system"] * (1e9 / userHZ)
		}
		u.PercpuUser, u.PercpuKernel = percpuSplit(&s, dir)
	}
	if dir, ok := m.paths["cpu"]; ok {
		t := s.keyed(dir, "cpu.stat")
		st.CPU.Throttling = Throttling{Periods: t["nr_periods"], ThrottledPeriods: t["nr_throttled"], ThrottledTime: t["throttled_time"]}
	}
	if dir, ok := m.paths["cpuset"]; ok {
		cs := &st.CPUSet
		cs.CPUs = s.cpuList(dir, "cpuset.cpus")
		cs.Mems = s.cpuList(dir, "cpuset.mems")
		cs.CPUExclusive = s.uint(dir, "cpuset.cpu_exclusive")
		cs.MemHardwall = s.uint(dir, "cpuset.mem_hardwall")
		cs.MemExclusive = s.uint(dir, "cpuset.mem_exclusive")
		cs.MemoryMigrate = s.uint(dir, "cpuset.memory_migrate")
		cs.MemorySpreadPage = s.uint(dir, "cpuset.memory_spread_page")
		cs.MemorySpreadSlab = s.uint(dir, "cpuset.memory_spread_slab")
		cs.MemoryPressure = s.uint(dir, "cpuset.memory_pressure")
		cs.SchedLoadBalance = s.uint(dir, "cpuset.sched_load_balance")
		if v, err := readFile(dir, "cpuset.sched_relax_domain_level"); err == nil {
			cs.SchedRelaxDomainLevel, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if dir, ok := m.paths["memory"]; ok {
		mem := &st.Memory
		mem.Raw = s.keyed(dir, "memory.stat")
		mem.Cache = mem.Raw["cache"]
		entry := func(prefix string) MemoryEntry {
			return MemoryEntry{
				Limit:   s.uint(dir, prefix+"limit_in_bytes"),
				Usage:   s.uint(dir, prefix+"usage_in_bytes"),
				Max:     s.uint(dir, prefix+"max_usage_in_bytes"),
				Failcnt: s.uint(dir, prefix+"failcnt"),
			}
		}
		mem.Usage = entry("memory.")
		mem.Swap = entry("memory.memsw.")
		mem.Kernel = entry("memory.kmem.")
		mem.KernelTCP = entry("memory.kmem.tcp.")
	}
	if dir, ok := m.paths["pids"]; ok {
		st.Pids.Current = s.uint(dir, "pids.current")
		st.Pids.Limit = unlimitedToZero(s.uint(dir, "pids.max"))
	}
	if dir, ok := m.paths["blkio"]; ok {
		st.Blkio = blkioStats(&s, dir)
	}
	if dir, ok := m.paths["hugetlb"]; ok {
		for _, size := range hugePageSizes() {
			p := "hugetlb." + size + "."
			st.Hugetlb[size] = Hugetlb{
				Usage:   s.uint(dir, p+"usage_in_bytes"),
				Max:     s.uint(dir, p+"max_usage_in_bytes"),
				Failcnt: s.uint(dir, p+"failcnt"),
			}
		}
	}
	return st, s.err
}

// percpuSplit reads cpuacct.usage_all: "cpu user system" then one line per
// cpu, in nanoseconds.
func percpuSplit(s *statsReader, dir string) (user, kernel []uint64) {
	data, err := readFile(dir, "cpuacct.usage_all")
	if err != nil {
		if s.err == nil {
			s.err = optional(err)
		}
		return nil, nil
	}
	for _, line := range strings.Split(data, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		u, err1 := strconv.ParseUint(f[1], 10, 64)
		k, err2 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		user = append(user, u)
		kernel = append(kernel, k)
	}
	return user, kernel
}

// blkioStats prefers CFQ's statistics, then BFQ's, then the throttling
// layer's, which every kernel has, as runc does.
func blkioStats(s *statsReader, dir string) Blkio {
	var b Blkio
	switch {
	case exists(filepath.Join(dir, "blkio.io_service_bytes_recursive")):
		b.IoServiceBytesRecursive = s.blkioEntries(dir, "blkio.io_service_bytes_recursive")
		b.IoServicedRecursive = s.blkioEntries(dir, "blkio.io_serviced_recursive")
		b.IoQueuedRecursive = s.blkioEntries(dir, "blkio.io_queued_recursive")
		b.IoServiceTimeRecursive = s.blkioEntries(dir, "blkio.io_service_time_recursive")
		b.IoWaitTimeRecursive = s.blkioEntries(dir, "blkio.io_wait_time_recursive")
		b.IoMergedRecursive = s.blkioEntries(dir, "blkio.io_merged_recursive")
		b.IoTimeRecursive = s.blkioEntries(dir, "blkio.time_recursive")
		b.SectorsRecursive = s.blkioEntries(dir, "blkio.sectors_recursive")
	case exists(filepath.Join(dir, "blkio.bfq.io_service_bytes_recursive")):
		b.IoServiceBytesRecursive = s.blkioEntries(dir, "blkio.bfq.io_service_bytes_recursive")
		b.IoServicedRecursive = s.blkioEntries(dir, "blkio.bfq.io_serviced_recursive")
		b.IoQueuedRecursive = s.blkioEntries(dir, "blkio.bfq.io_queued_recursive")
		b.IoServiceTimeRecursive = s.blkioEntries(dir, "blkio.bfq.io_service_time_recursive")
		b.IoWaitTimeRecursive = s.blkioEntries(dir, "blkio.bfq.io_wait_time_recursive")
		b.IoMergedRecursive = s.blkioEntries(dir, "blkio.bfq.io_merged_recursive")
		b.IoTimeRecursive = s.blkioEntries(dir, "blkio.bfq.time_recursive")
		b.SectorsRecursive = s.blkioEntries(dir, "blkio.bfq.sectors_recursive")
	default:
		b.IoServiceBytesRecursive = s.blkioEntries(dir, "blkio.throttle.io_service_bytes_recursive")
		b.IoServicedRecursive = s.blkioEntries(dir, "blkio.throttle.io_serviced_recursive")
	}
	return b
}

var _ Manager = (*legacyManager)(nil)
