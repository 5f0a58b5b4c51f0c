package cgroups

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setMemory treats an unlimited memory limit with no swap setting as "no
// limit at all": memsw must go too, or it would keep capping memory.
func (m *legacyManager) setMemory(r *specs.LinuxResources) error {
	return m.setIn(r.Memory != nil, "memory", res+".memory", func(dir string) error {
		return setMemoryV1(dir, r.Memory)
	})
}

func setMemoryV1(dir string, mem *specs.LinuxMemory) error {
	limit, swap := deref(mem.Limit), deref(mem.Swap)
	if limit == -1 && swap == 0 && exists(filepath.Join(dir, "memory.memsw.limit_in_bytes")) {
		swap = -1
	}
	if deref(mem.CheckBeforeUpdate) && limit > 0 {
		if err := checkUsage(dir, "memory.usage_in_bytes", limit); err != nil {
			return err
		}
	}
	if err := setMemoryLimits(dir, limit, swap); err != nil {
		return err
	}
	return setMemoryOthers(dir, mem)
}

// setMemoryLimits writes the memory and memory+swap limits (0: unset). The
// kernel wants memory <= memory+swap at every moment: when the new memsw is
// above the current memory limit (growing), memsw goes first.
func setMemoryLimits(dir string, limit, swap int64) error {
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
	return second()
}

// setMemoryOthers writes the v1-only settings: reservation, kernel memory,
// swappiness and the OOM killer switch.
func setMemoryOthers(dir string, mem *specs.LinuxMemory) error {
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

func memoryStatsV1(s *statsReader, dir string) Memory {
	raw := s.keyed(dir, "memory.stat")
	entry := func(prefix string) MemoryEntry {
		return MemoryEntry{
			Limit:   s.uint(dir, prefix+"limit_in_bytes"),
			Usage:   s.uint(dir, prefix+"usage_in_bytes"),
			Max:     s.uint(dir, prefix+"max_usage_in_bytes"),
			Failcnt: s.uint(dir, prefix+"failcnt"),
		}
	}
	return Memory{
		Raw:       raw,
		Cache:     raw["cache"],
		Usage:     entry("memory."),
		Swap:      entry("memory.memsw."),
		Kernel:    entry("memory.kmem."),
		KernelTCP: entry("memory.kmem.tcp."),
	}
}
