package systemd

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Unit is where a container's cgroup lives under systemd: a scope unit in a
// slice.
type Unit struct {
	// Name is the scope's unit name, such as "sprout-abc.scope".
	Name string
	// Slice is the slice unit the scope is started in.
	Slice string
	// Cgroup is the scope's cgroup path from the root of the hierarchy,
	// such as "/system.slice/sprout-abc.scope".
	Cgroup string
}

// The default slices are runc's: a system manager's, and that of a user's
// manager (rootless), which creates the slice in its own tree.
const (
	defaultSlice     = "system.slice"
	defaultUserSlice = "user.slice"
)

// ParseCgroupsPath reads linux.cgroupsPath in runc's systemd form
// "slice:prefix:name": the container gets the scope "prefix-name.scope"
// (or "name.scope" for an empty prefix) in slice, system.slice when slice
// is empty (user.slice for a user's manager). An empty cgroupsPath means
// ":sprout:ID", as runc uses its own name for the prefix. Unit.Cgroup is
// from the root of the manager's tree, which for a user's manager is its
// own cgroup.
func ParseCgroupsPath(cgroupsPath, containerID string, user bool) (*Unit, error) {
	slice, prefix, name := "", "sprout", containerID
	if cgroupsPath != "" {
		parts := strings.Split(cgroupsPath, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("linux.cgroupsPath %q: with --systemd-cgroup it must have the form \"slice:prefix:name\", such as \"system.slice:sprout:abc\"", cgroupsPath)
		}
		slice, prefix, name = parts[0], parts[1], parts[2]
	}
	field := func(err error) error {
		return fmt.Errorf("linux.cgroupsPath %q: %w", cgroupsPath, err)
	}
	if slice == "" && user {
		slice = defaultUserSlice
	} else if slice == "" {
		slice = defaultSlice
	}
	slicePath, err := expandSlice(slice)
	if err != nil {
		return nil, field(err)
	}
	if name == "" {
		return nil, field(errors.New("the name (third part) is empty"))
	}
	if strings.HasSuffix(name, ".slice") {
		return nil, field(fmt.Errorf("name %q would make a slice unit; only scopes are supported", name))
	}
	unit := name + ".scope"
	if prefix != "" {
		unit = prefix + "-" + unit
	}
	if err := checkUnitName(unit); err != nil {
		return nil, field(err)
	}
	return &Unit{Name: unit, Slice: slice, Cgroup: path.Join(slicePath, unit)}, nil
}

// expandSlice turns a slice name into its cgroup path: systemd nests a
// slice in the slices its dash-separated prefixes name, so "a-b.slice" is
// "/a.slice/a-b.slice", and "-.slice" is the root.
func expandSlice(slice string) (string, error) {
	base, ok := strings.CutSuffix(slice, ".slice")
	if !ok || base == "" {
		return "", fmt.Errorf("slice %q: a slice name ends in .slice", slice)
	}
	if err := checkUnitName(slice); err != nil {
		return "", err
	}
	if base == "-" {
		return "/", nil
	}
	var p, prefix string
	for _, part := range strings.Split(base, "-") {
		if part == "" {
			return "", fmt.Errorf("slice %q: empty part between dashes", slice)
		}
		p += "/" + prefix + part + ".slice"
		prefix += part + "-"
	}
	return p, nil
}

// checkUnitName accepts what systemd takes in a unit name: ASCII letters,
// digits and ":-_.\@", at most 255 bytes.
func checkUnitName(unit string) error {
	if len(unit) > 255 {
		return fmt.Errorf("unit name %q is longer than 255 bytes", unit)
	}
	for i := 0; i < len(unit); i++ {
		c := unit[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(":-_.\\@", c) >= 0 {
			continue
		}
		return fmt.Errorf("unit name %q: systemd does not allow %q in a unit name", unit, c)
	}
	return nil
}
