// Package cgroups places a container's processes in cgroups and applies the
// OCI linux.resources to them by writing cgroupfs directly (no systemd), on
// unified (cgroup v2), hybrid and legacy (cgroup v1) hosts, following the
// semantics of runc's cgroupfs driver.
package cgroups

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Mode is the cgroup layout of the host.
type Mode int

const (
	// Unified: only cgroup v2, mounted at /sys/fs/cgroup.
	Unified Mode = iota + 1
	// Hybrid: v1 controllers under /sys/fs/cgroup/<controller> plus a
	// controller-less v2 hierarchy at /sys/fs/cgroup/unified.
	Hybrid
	// Legacy: v1 only.
	Legacy
)

func (m Mode) String() string {
	switch m {
	case Unified:
		return "unified"
	case Hybrid:
		return "hybrid"
	case Legacy:
		return "legacy"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// DetectMode tells the host's cgroup layout from the filesystem types of
// /sys/fs/cgroup and /sys/fs/cgroup/unified, as runc does.
func DetectMode() Mode {
	return detectedMode()
}

// Manager drives the cgroup(s) of one container.
type Manager interface {
	// Apply creates the cgroup(s) (every mounted v1 controller plus the v2
	// one on hybrid hosts) and moves pid in; pid <= 0 only creates them.
	Apply(pid int) error
	// Set writes every limit given; nil (and, as in runc, zero) fields are
	// left untouched. Device rules are applied as given, in order.
	Set(r *specs.LinuxResources) error
	// Freeze returns once every process of the cgroup is really frozen.
	Freeze() error
	Thaw() error
	Paused() (bool, error)
	// Procs lists every pid of the container's cgroup and its sub-cgroups.
	Procs() ([]int, error)
	Stats() (*Stats, error)
	// OOMKillCount is the number of processes the OOM killer killed in the
	// container's memory cgroup.
	OOMKillCount() (uint64, error)
	// Destroy removes the container's cgroup directories, sub-cgroups first.
	// Directories that are already gone are not an error.
	Destroy() error
	// Paths maps each v1 controller name (and "name=systemd"), or "" for the
	// v2 directory, to the absolute directory of the container's cgroup.
	Paths() map[string]string
}

// New computes the container's cgroup directories without creating them.
//
// cgroupsPath follows runc's cgroupfs driver: an absolute path is taken
// under the root of each hierarchy; a relative one under the calling
// process's own cgroup in each v1 hierarchy, and under the parent of its own
// cgroup on a unified host (a v2 cgroup holding processes cannot delegate
// controllers to a child, so runc goes one level up); ".." never climbs out
// of that base. An empty cgroupsPath means the relative path containerID, which is
// runc's default for the cgroupfs driver (its Parent is empty and its Name
// is the container ID).
func New(cgroupsPath, containerID string) (Manager, error) {
	return realHost().newManager(cgroupsPath, containerID)
}

// Load rebuilds the manager of a container from the Paths() saved in its
// state.
func Load(paths map[string]string) (Manager, error) {
	return realHost().load(paths)
}
