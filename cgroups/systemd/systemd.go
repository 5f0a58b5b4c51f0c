// Package systemd is the cgroup driver of `--systemd-cgroup`: a
// container's cgroup is a transient systemd scope unit, started over D-Bus
// with the container's first process in it and its resources as unit
// properties, as runc's systemd driver does, on unified and hybrid hosts.
// The scope's cgroup files are driven through package cgroups like any
// other cgroup for the rest (what systemd has no property for, the v1
// controllers systemd does not manage, pause, statistics). Only this
// package talks to D-Bus, and only for containers that use the driver.
package systemd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	sd "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/cgroups"
)

// Manager drives the scope of one container. The embedded manager is that
// of the scope's cgroup directory.
type Manager struct {
	cgroups.Manager
	unit *Unit
	// extra are the properties of org.systemd.property.* annotations.
	extra []sd.Property
	bus   *bus
}

// Running tells whether systemd is the host's init, as sd_booted(3) does.
func Running() bool {
	fi, err := os.Lstat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// New checks a new container's cgroupsPath and org.systemd.property.*
// annotations and computes its scope; nothing is created before Apply.
// With user (rootless), the scope is the user's manager's (see user.go).
func New(cgroupsPath, containerID string, annotations map[string]string, user bool) (*Manager, error) {
	u, err := ParseCgroupsPath(cgroupsPath, containerID, user)
	if err != nil {
		return nil, err
	}
	extra, err := annotationProperties(annotations)
	if err != nil {
		return nil, err
	}
	if !Running() {
		return nil, errors.New("--systemd-cgroup: systemd is not running on this host (no /run/systemd/system)")
	}
	b := &bus{user: user}
	if user {
		// A user's manager gets only a delegated v2 subtree; runc refuses
		// the same.
		if cgroups.DetectMode() != cgroups.Unified {
			return nil, errors.New("--systemd-cgroup: rootless containers need the unified cgroup v2 hierarchy, this host's is hybrid or v1")
		}
		if _, err := b.connect(); err != nil {
			return nil, err
		}
		root, err := b.managerCgroup()
		if err != nil {
			return nil, err
		}
		u.Cgroup = path.Join(root, u.Cgroup)
	}
	fs, err := cgroups.New(u.Cgroup, containerID)
	if err != nil {
		return nil, fmt.Errorf("linux.cgroupsPath %q: %w", cgroupsPath, err)
	}
	return &Manager{Manager: fs, unit: u, extra: extra, bus: b}, nil
}

// Load rebuilds the manager of a container whose state names its scope
// and cgroup paths, and whether the scope is the user's manager's.
func Load(unit string, paths map[string]string, user bool) (*Manager, error) {
	if err := checkUnitName(unit); err != nil {
		return nil, fmt.Errorf("saved systemd unit: %w", err)
	}
	fs, err := cgroups.Load(paths)
	if err != nil {
		return nil, err
	}
	return &Manager{Manager: fs, unit: &Unit{Name: unit}, bus: &bus{user: user}}, nil
}

// Unit is the name of the container's scope unit.
func (m *Manager) Unit() string {
	return m.unit.Name
}

// User tells whether the scope is the user's manager's.
func (m *Manager) User() bool {
	return m.bus.user
}

// Apply starts the scope with pid in it: a scope cannot start empty. The
// resources come later, with Set.
func (m *Manager) Apply(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("systemd scope %s: a scope starts with a process in it", m.unit.Name)
	}
	io := "IOAccounting"
	if cgroups.DetectMode() != cgroups.Unified {
		io = "BlockIOAccounting"
	}
	props := []sd.Property{
		sd.PropDescription("sprout container " + m.unit.Name),
		sd.PropSlice(m.unit.Slice),
		// The container may make sub-cgroups and enable controllers in
		// them; systemd keeps out of the scope's subtree.
		prop("Delegate", true),
		sd.PropPids(uint32(pid)),
		// Accounting makes systemd enable the controllers for the scope,
		// as the cgroupfs driver enables them for its cgroups.
		prop("MemoryAccounting", true),
		prop("CPUAccounting", true),
		prop(io, true),
		prop("TasksAccounting", true),
		// No ordering against shutdown and no implicit dependencies: the
		// engine, not systemd, decides when the container stops.
		prop("DefaultDependencies", false),
	}
	props = append(props, m.extra...)
	if err := m.bus.startScope(m.unit.Name, props); err != nil {
		if len(m.extra) > 0 && isInvalidArgs(err) {
			return fmt.Errorf("start systemd scope %s: %w (the unit's properties include those of the org.systemd.property.* annotations)", m.unit.Name, err)
		}
		return fmt.Errorf("start systemd scope %s: %w", m.unit.Name, err)
	}
	// systemd made the scope's cgroup in the hierarchies it manages: its
	// own (v2 or name=systemd) tells that it is where it was expected.
	dir := m.Paths()[""]
	if cgroups.DetectMode() != cgroups.Unified {
		dir = m.Paths()["name=systemd"]
	}
	if _, err := os.Stat(dir); err != nil {
		_ = m.bus.stopUnit(m.unit.Name)
		return fmt.Errorf("systemd started %s, but its cgroup is not at %s: %w", m.unit.Name, dir, err)
	}
	// On v1 hosts systemd leaves out the controllers it does not manage
	// (cpuset, freezer, net_cls...): their directories are made here, at
	// the same path, and the init stage joins them all.
	if err := m.Manager.Apply(-1); err != nil {
		_ = m.bus.stopUnit(m.unit.Name)
		return err
	}
	return nil
}

// Set gives the resources to systemd as unit properties, then writes the
// cgroup files as the cgroupfs driver does (see resourceProperties).
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := cgroups.Validate(r); err != nil {
		return err
	}
	// systemd would apply a memory limit below the usage at once.
	if mem := r.Memory; mem != nil && deref(mem.CheckBeforeUpdate) && deref(mem.Limit) > 0 {
		if err := cgroups.CheckMemoryUsage(m.Paths()[""], *mem.Limit); err != nil {
			return err
		}
	}
	version, err := m.bus.version()
	if err != nil {
		return err
	}
	props, err := resourceProperties(r, host{
		version: version, v1: cgroups.DetectMode() != cgroups.Unified, deviceGroup: procDeviceGroup, exists: exists,
	})
	if err != nil {
		return err
	}
	if len(props) > 0 {
		if err := m.bus.setProperties(m.unit.Name, props); err != nil {
			return fmt.Errorf("set the properties of systemd scope %s: %w", m.unit.Name, err)
		}
	}
	return m.Manager.Set(r)
}

// Attach moves pid into the scope, or its sub-cgroup sub, through systemd.
// A process outside the user's delegated subtree (in a login session's
// scope, which is root's) may not move itself into a rootless scope; the
// user's manager can, with the system manager's help, as runc's exec falls
// back to.
func (m *Manager) Attach(pid int, sub string) error {
	if sub != "" {
		sub = path.Clean("/" + sub)
	}
	if err := m.bus.attach(m.unit.Name, sub, pid); err != nil {
		return fmt.Errorf("systemd: attach process %d to %s: %w", pid, m.unit.Name, err)
	}
	return nil
}

// Destroy stops the scope, which removes its cgroup, and clears a failed
// state so that the name can be used again; then it removes what systemd
// did not make (v1 controllers it does not manage). A scope that is
// already gone (systemd stops one when its last process exits) is no
// error.
func (m *Manager) Destroy() error {
	if err := m.bus.stopUnit(m.unit.Name); err != nil {
		return fmt.Errorf("stop systemd scope %s: %w", m.unit.Name, err)
	}
	return m.Manager.Destroy()
}

// Procs and Thaw: systemd removes a scope's cgroup as soon as its last
// process has exited (a paused container that got SIGKILL, a stopped
// one), where the cgroupfs driver keeps the directory until delete. A
// scope's cgroup that is gone holds no process and nothing frozen.

func (m *Manager) Procs() ([]int, error) {
	pids, err := m.Manager.Procs()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return pids, err
}

func (m *Manager) Thaw() error {
	if err := m.Manager.Thaw(); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

var _ cgroups.Manager = (*Manager)(nil)
