package cgroups

import (
	"errors"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// legacyManager drives a container's cgroups on a v1 (legacy) or hybrid
// host: one directory per mounted v1 hierarchy, plus on hybrid hosts one in
// the controller-less v2 hierarchy, which is only joined (systemd and tools
// such as cgroup-aware process listings look there). Each controller's
// settings, freezing and statistics are in legacy_<controller>.go.
type legacyManager struct {
	host *host
	// paths maps v1 controller names and, on hybrid hosts, "" to directories.
	paths map[string]string
	// cpusetMount is the cpuset hierarchy's mountpoint, where the filling
	// of new cpusets stops (fillCpuset).
	cpusetMount string
}

func newLegacy(h *host, inner string) (*legacyManager, error) {
	hier, err := h.v1Hierarchies()
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
		if own, err = h.ownCgroups(); err != nil {
			return nil, err
		}
	}
	m := &legacyManager{host: h, paths: make(map[string]string), cpusetMount: hier["cpuset"].mountpoint}
	for _, c := range v1Controllers {
		hc, ok := hier[c]
		if !ok {
			continue
		}
		dir, err := hc.dirIn(own[c], inner)
		if err != nil {
			return nil, fmt.Errorf("%s hierarchy: %w", c, err)
		}
		m.paths[c] = dir
	}
	if h.mode == Hybrid {
		hc, err := h.v2Hierarchy()
		if err != nil {
			return nil, err
		}
		if m.paths[""], err = hc.dirIn(own[""], inner); err != nil {
			return nil, fmt.Errorf("cgroup v2 hierarchy: %w", err)
		}
	}
	return m, nil
}

// loadLegacy checks saved paths against the current mounts, so that a
// tampered or stale state cannot make Destroy or Set act outside cgroupfs.
func loadLegacy(h *host, paths map[string]string) (*legacyManager, error) {
	hier, err := h.v1Hierarchies()
	if err != nil {
		return nil, err
	}
	m := &legacyManager{host: h, paths: make(map[string]string, len(paths)), cpusetMount: hier["cpuset"].mountpoint}
	for c, dir := range paths {
		var hc hierarchy
		switch {
		case c == "" && h.mode == Hybrid:
			if hc, err = h.v2Hierarchy(); err != nil {
				return nil, err
			}
		case c == "":
			return nil, errors.New("saved cgroup paths hold a cgroup v2 path but this host has no v2 hierarchy")
		default:
			var ok bool
			if hc, ok = hier[c]; !ok {
				return nil, fmt.Errorf("saved cgroup paths name the %q controller, which is not mounted", c)
			}
		}
		if !hc.holds(dir) {
			return nil, fmt.Errorf("saved cgroup path %q for %q is not a cgroup below %s", dir, c, hc.mountpoint)
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
			if err := fillCpuset(m.cpusetMount, dir); err != nil {
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

// need returns the directory of controller c, which field needs.
func (m *legacyManager) need(c, field string) (string, error) {
	dir, ok := m.paths[c]
	if !ok {
		return "", fieldErr(field, fmt.Errorf("the cgroup v1 %s controller is not mounted on this host", c))
	}
	return dir, nil
}

// setIn runs set in the directory of controller c when given is true,
// that is when the resources have something for c.
func (m *legacyManager) setIn(given bool, c, field string, set func(dir string) error) error {
	if !given {
		return nil
	}
	dir, err := m.need(c, field)
	if err != nil {
		return err
	}
	return set(dir)
}

func (m *legacyManager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := validate(m.host.mode, r); err != nil {
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

func (m *legacyManager) Destroy() error {
	var errs []error
	for _, dir := range m.dirs() {
		if err := removeTree(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Stats reads each mounted controller's statistics; a controller that is
// not mounted reports zeros.
func (m *legacyManager) Stats() (*Stats, error) {
	var s statsReader
	st := &Stats{Hugetlb: make(map[string]Hugetlb)}
	if dir, ok := m.paths["cpuacct"]; ok {
		st.CPU.Usage = cpuacctStats(&s, dir)
	}
	if dir, ok := m.paths["cpu"]; ok {
		st.CPU.Throttling = cpuThrottlingV1(&s, dir)
	}
	if dir, ok := m.paths["cpuset"]; ok {
		st.CPUSet = cpusetStats(&s, dir)
	}
	if dir, ok := m.paths["memory"]; ok {
		st.Memory = memoryStatsV1(&s, dir)
	}
	if dir, ok := m.paths["pids"]; ok {
		st.Pids = pidsStats(&s, dir)
	}
	if dir, ok := m.paths["blkio"]; ok {
		st.Blkio = blkioStats(&s, dir)
	}
	if dir, ok := m.paths["hugetlb"]; ok {
		for _, size := range m.host.hugePageSizes() {
			st.Hugetlb[size] = hugetlbStatsV1(&s, dir, size)
		}
	}
	return st, s.err
}

var _ Manager = (*legacyManager)(nil)
