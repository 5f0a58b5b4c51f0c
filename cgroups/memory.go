package cgroups

import (
	"errors"
	"fmt"
)

// checkUsage implements memory.checkBeforeUpdate on either version (file
// is the usage file): refuse a limit below the current usage instead of
// letting the kernel reclaim or OOM-kill.
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

// swapV2 converts OCI's memory+swap limit into cgroup v2's swap-only
// memory.swap.max value, with runc's rules: 0 means unset and -1 unlimited;
// an unlimited memory limit with unset swap makes swap unlimited too.
func swapV2(swap, limit int64) (int64, error) {
	if limit == -1 && swap == 0 {
		return -1, nil
	}
	if swap == -1 || swap == 0 {
		return swap, nil
	}
	if limit == 0 || limit == -1 {
		return 0, errors.New("a swap limit needs a memory limit (memory.limit)")
	}
	if swap < limit {
		return 0, fmt.Errorf("memory+swap limit %d is lower than the memory limit %d", swap, limit)
	}
	return swap - limit, nil
}
