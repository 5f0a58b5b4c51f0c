package libcontainer

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/cgroups"
)

// Update applies new limits to the live cgroup of a container that has not
// stopped and merges them into its stored config, so that `state` and later
// updates see them. As in runc's `update`, zero and empty values mean
// "unchanged" (except cpu idle and burst, where 0 is a setting), and only
// memory limit, reservation and swap, the cpu settings, the block I/O
// weight, the pids limit and unified are updated; anything else is ignored
// with a warning.
func (c *Container) Update(r *specs.LinuxResources) error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.unlock()
	if _, err := c.check(OpUpdate); err != nil {
		return err
	}
	s, err := c.Spec()
	if err != nil {
		return err
	}
	if s.Linux == nil {
		return fmt.Errorf("container %s: its config holds no linux section", c.state.ID)
	}
	stored := s.Linux.Resources
	if stored == nil {
		stored = &specs.LinuxResources{}
	}
	delta := updateDelta(r, stored)
	if err := cgroups.Validate(delta); err != nil {
		return err
	}
	cg, err := c.liveCgroup()
	if err != nil {
		return err
	}
	if err := cg.Set(delta); err != nil {
		return fmt.Errorf("update container %s: %w", c.state.ID, err)
	}
	mergeResources(stored, delta)
	s.Linux.Resources = stored
	if _, err := writeConfig(c.dir, s); err != nil {
		return fmt.Errorf("update container %s: write config: %w", c.state.ID, err)
	}
	return nil
}

// updateDelta keeps what r changes, in the form cgroups.Manager.Set takes.
// The counterpart of a changed memory limit or swap, and of a changed cpu
// quota or period, comes from the stored config: each pair is one kernel
// setting on cgroup v2 (memory.swap.max is swap minus limit, cpu.max holds
// both), and a v2 cpu.max without a quota would mean an unlimited quota.
func updateDelta(r, stored *specs.LinuxResources) *specs.LinuxResources {
	d := &specs.LinuxResources{}
	if r == nil {
		return d
	}
	if m := r.Memory; m != nil {
		//lint:ignore SA1019 read only to warn that it is ignored, as runc does
		if nonZero(m.Kernel) || nonZero(m.KernelTCP) {
			warn("linux.resources.memory: kernel memory settings are ignored by update")
		}
		if m.Swappiness != nil || m.DisableOOMKiller != nil || m.UseHierarchy != nil {
			warn("linux.resources.memory: swappiness, disableOOMKiller and useHierarchy cannot be updated; ignored")
		}
		dm := &specs.LinuxMemory{
			Limit: nonZeroPtr(m.Limit), Reservation: nonZeroPtr(m.Reservation), Swap: nonZeroPtr(m.Swap),
			CheckBeforeUpdate: m.CheckBeforeUpdate,
		}
		// No limit means no memory+swap limit either, unless one is
		// given (runc's rule): a stored swap below it would be refused.
		if dm.Limit != nil && *dm.Limit == -1 && dm.Swap == nil {
			dm.Swap = dm.Limit
		}
		if sm := stored.Memory; sm != nil {
			if dm.Limit != nil && dm.Swap == nil {
				dm.Swap = nonZeroPtr(sm.Swap)
			}
			if dm.Swap != nil && dm.Limit == nil {
				dm.Limit = nonZeroPtr(sm.Limit)
			}
			if dm.CheckBeforeUpdate == nil {
				dm.CheckBeforeUpdate = sm.CheckBeforeUpdate
			}
		}
		if dm.Limit != nil || dm.Reservation != nil || dm.Swap != nil {
			d.Memory = dm
		}
	}
	if cpu := r.CPU; cpu != nil {
		dc := &specs.LinuxCPU{
			Shares: nonZeroPtr(cpu.Shares), Quota: nonZeroPtr(cpu.Quota), Period: nonZeroPtr(cpu.Period),
			Burst:           cpu.Burst,
			RealtimeRuntime: nonZeroPtr(cpu.RealtimeRuntime), RealtimePeriod: nonZeroPtr(cpu.RealtimePeriod),
			Cpus: cpu.Cpus, Mems: cpu.Mems, Idle: cpu.Idle,
		}
		if sc := stored.CPU; sc != nil {
			if dc.Period != nil && dc.Quota == nil {
				dc.Quota = nonZeroPtr(sc.Quota)
			}
			if dc.Quota != nil && dc.Period == nil {
				dc.Period = nonZeroPtr(sc.Period)
			}
		}
		if *dc != (specs.LinuxCPU{}) {
			d.CPU = dc
		}
	}
	if b := r.BlockIO; b != nil {
		if w := nonZeroPtr(b.Weight); w != nil {
			d.BlockIO = &specs.LinuxBlockIO{Weight: w}
		}
		if b.LeafWeight != nil || len(b.WeightDevice) > 0 || len(b.ThrottleReadBpsDevice) > 0 ||
			len(b.ThrottleWriteBpsDevice) > 0 || len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0 {
			warn("linux.resources.blockIO: only the weight can be updated; the rest is ignored")
		}
	}
	if p := r.Pids; p != nil {
		if l := nonZeroPtr(p.Limit); l != nil {
			d.Pids = &specs.LinuxPids{Limit: l}
		}
	}
	if len(r.Unified) > 0 {
		d.Unified = r.Unified
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"devices", len(r.Devices) > 0}, {"hugepageLimits", len(r.HugepageLimits) > 0},
		{"network", r.Network != nil}, {"rdma", len(r.Rdma) > 0},
	} {
		if f.set {
			warn("linux.resources.%s cannot be updated; ignored", f.name)
		}
	}
	return d
}

func nonZero[T comparable](p *T) bool {
	var zero T
	return p != nil && *p != zero
}

// nonZeroPtr is p, or nil when p points to the zero value, which runc's
// update takes as "unchanged".
func nonZeroPtr[T comparable](p *T) *T {
	if !nonZero(p) {
		return nil
	}
	return p
}

// mergeResources writes the settings of an update delta into dst.
func mergeResources(dst, d *specs.LinuxResources) {
	if m := d.Memory; m != nil {
		if dst.Memory == nil {
			dst.Memory = &specs.LinuxMemory{}
		}
		setIf(&dst.Memory.Limit, m.Limit)
		setIf(&dst.Memory.Reservation, m.Reservation)
		setIf(&dst.Memory.Swap, m.Swap)
		setIf(&dst.Memory.CheckBeforeUpdate, m.CheckBeforeUpdate)
	}
	if c := d.CPU; c != nil {
		if dst.CPU == nil {
			dst.CPU = &specs.LinuxCPU{}
		}
		setIf(&dst.CPU.Shares, c.Shares)
		setIf(&dst.CPU.Quota, c.Quota)
		setIf(&dst.CPU.Period, c.Period)
		setIf(&dst.CPU.Burst, c.Burst)
		setIf(&dst.CPU.RealtimeRuntime, c.RealtimeRuntime)
		setIf(&dst.CPU.RealtimePeriod, c.RealtimePeriod)
		setIf(&dst.CPU.Idle, c.Idle)
		if c.Cpus != "" {
			dst.CPU.Cpus = c.Cpus
		}
		if c.Mems != "" {
			dst.CPU.Mems = c.Mems
		}
	}
	if b := d.BlockIO; b != nil {
		if dst.BlockIO == nil {
			dst.BlockIO = &specs.LinuxBlockIO{}
		}
		setIf(&dst.BlockIO.Weight, b.Weight)
	}
	if p := d.Pids; p != nil {
		if dst.Pids == nil {
			dst.Pids = &specs.LinuxPids{}
		}
		setIf(&dst.Pids.Limit, p.Limit)
	}
	if len(d.Unified) > 0 {
		if dst.Unified == nil {
			dst.Unified = make(map[string]string, len(d.Unified))
		}
		for k, v := range d.Unified {
			dst.Unified[k] = v
		}
	}
}

func setIf[T any](dst **T, v *T) {
	if v != nil {
		*dst = v
	}
}
