package cgroups

// What a driver built on this package (systemd) needs to express the same
// values another way before it lets this package write the files.

// CPUWeight is the cpu.weight written for cpu.shares.
func CPUWeight(shares uint64) uint64 { return cpuWeight(shares) }

// IOWeight is the io.weight written for a blockIO weight.
func IOWeight(weight uint16) uint64 { return ioWeight(weight) }

// SwapV2 is the memory.swap.max value for OCI's memory+swap limit: 0 for
// unset, -1 for unlimited.
func SwapV2(swap, limit int64) (int64, error) { return swapV2(swap, limit) }

// CheckMemoryUsage refuses a memory limit below what the v2 cgroup dir
// already uses (memory.checkBeforeUpdate).
func CheckMemoryUsage(dir string, limit int64) error { return checkUsage(dir, "memory.current", limit) }
