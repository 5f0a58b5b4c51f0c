package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

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
		if err := setShares(dir, shares); err != nil {
			return err
		}
	}
	if err := setCFS(dir, c); err != nil {
		return err
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

func setShares(dir string, shares uint64) error {
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
	return nil
}

// setCFS writes the CFS bandwidth: period, burst and quota. Period and
// burst may each be refused (EINVAL) against the current quota, or an
// ancestor's, before the new quota is in: then they are retried after it.
func setCFS(dir string, c *specs.LinuxCPU) error {
	quota, period := deref(c.Quota), deref(c.Period)
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
	if quota == 0 {
		return nil
	}
	if err := write(dir, "cpu.cfs_quota_us", strconv.FormatInt(quota, 10), res+".cpu.quota"); err != nil {
		return err
	}
	for _, set := range retry {
		if err := set(); err != nil {
			return err
		}
	}
	return nil
}

func cpuThrottlingV1(s *statsReader, dir string) Throttling {
	t := s.keyed(dir, "cpu.stat")
	return Throttling{Periods: t["nr_periods"], ThrottledPeriods: t["nr_throttled"], ThrottledTime: t["throttled_time"]}
}

const userHZ = 100 // cpuacct.stat counts in USER_HZ, fixed at 100 for user space

func cpuacctStats(s *statsReader, dir string) CPUUsage {
	u := CPUUsage{
		Total:  s.uint(dir, "cpuacct.usage"),
		Percpu: s.list(dir, "cpuacct.usage_percpu"),
	}
	if t := s.keyed(dir, "cpuacct.stat"); t != nil {
		u.User = t["user"] * (1e9 / userHZ)
		u.Kernel = t["system"] * (1e9 / userHZ)
	}
	u.PercpuUser, u.PercpuKernel = percpuSplit(s, dir)
	return u
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
