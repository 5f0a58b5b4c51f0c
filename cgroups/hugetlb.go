package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setHugetlbLimits writes each limit to hugetlb.<size>.<suffix> and, where
// the kernel has them (5.7+), to the reservation limits too, as runc does:
// the page-fault limit alone lets a mmap reserve pages it may later be
// SIGBUSed for. The suffix is the version's: .limit_in_bytes or .max.
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

// hugePageSizes lists the host's huge page sizes in the cgroup file name
// form ("2MB", "1GB").
func (h *host) hugePageSizes() []string {
	entries, err := os.ReadDir(h.hugepages)
	if err != nil {
		return nil
	}
	var sizes []string
	for _, e := range entries {
		kb, ok := strings.CutPrefix(e.Name(), "hugepages-")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(kb, "kB"), 10, 64)
		if err != nil {
			continue
		}
		sizes = append(sizes, pageSizeName(n*1024))
	}
	return sizes
}

func pageSizeName(bytes uint64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	i := 0
	for bytes >= 1024 && bytes%1024 == 0 && i < len(units)-1 {
		bytes /= 1024
		i++
	}
	return strconv.FormatUint(bytes, 10) + units[i]
}
