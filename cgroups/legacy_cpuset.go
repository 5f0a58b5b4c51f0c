package cgroups

import (
	"fmt"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fillCpuset gives dir and each of its ancestors below the hierarchy's
// mountpoint, top down, its parent's cpus and mems where its own are empty,
// as runc does: a new v1 cpuset has none, a cgroup without them refuses
// tasks, and the container's parent may be such a cgroup too.
func fillCpuset(mount, dir string) error {
	if dir == mount || !within(mount, dir) {
		// The root of the hierarchy always has both.
		return nil
	}
	if err := fillCpuset(mount, filepath.Dir(dir)); err != nil {
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

func (m *legacyManager) setCpuset(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil || (c.Cpus == "" && c.Mems == "") {
		return nil
	}
	dir, err := m.need("cpuset", res+".cpu")
	if err != nil {
		return err
	}
	return writeCpuset(dir, c)
}

// writeCpuset writes the cpus and mems given, on either version.
func writeCpuset(dir string, c *specs.LinuxCPU) error {
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

func cpusetStats(s *statsReader, dir string) CPUSet {
	cs := CPUSet{
		CPUs:             s.cpuList(dir, "cpuset.cpus"),
		Mems:             s.cpuList(dir, "cpuset.mems"),
		CPUExclusive:     s.uint(dir, "cpuset.cpu_exclusive"),
		MemHardwall:      s.uint(dir, "cpuset.mem_hardwall"),
		MemExclusive:     s.uint(dir, "cpuset.mem_exclusive"),
		MemoryMigrate:    s.uint(dir, "cpuset.memory_migrate"),
		MemorySpreadPage: s.uint(dir, "cpuset.memory_spread_page"),
		MemorySpreadSlab: s.uint(dir, "cpuset.memory_spread_slab"),
		MemoryPressure:   s.uint(dir, "cpuset.memory_pressure"),
		SchedLoadBalance: s.uint(dir, "cpuset.sched_load_balance"),
	}
	if v, err := readFile(dir, "cpuset.sched_relax_domain_level"); err == nil {
		cs.SchedRelaxDomainLevel, _ = strconv.ParseInt(v, 10, 64)
	}
	return cs
}
