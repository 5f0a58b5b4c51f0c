package libcontainer

import (
	"fmt"

	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/cgroups/systemd"
)

// makeScope makes the container's cgroup a systemd scope
// (--systemd-cgroup) and records its unit. A scope starts with a process
// in it: the init stage, which then creates the init in the same cgroup.
// A rootless container's scope is the user's manager's, as in runc.
func (p *parent) makeScope() (cgroups.Manager, error) {
	m, err := systemd.New(p.spec.Linux.CgroupsPath, p.c.state.ID, p.spec.Annotations, p.opts.Rootless)
	if err != nil {
		return nil, err
	}
	if err := m.Apply(p.stage.pid); err != nil {
		return nil, fmt.Errorf("linux.cgroupsPath: %w", err)
	}
	p.c.state.SystemdUnit = m.Unit()
	p.c.state.SystemdUser = m.User()
	return m, nil
}

// attachToUserScope moves an exec's stage, before it starts the process,
// into the container's rootless scope (sub: ExecOptions.SubCgroups[""]):
// the caller may be outside the user's delegated subtree, where it cannot
// move itself in.
func attachToUserScope(st *State, pid int, sub string) error {
	m, err := systemd.Load(st.SystemdUnit, st.CgroupPaths, true)
	if err != nil {
		return err
	}
	return m.Attach(pid, sub)
}

// loadCgroup rebuilds the cgroup manager that created the container's
// cgroup, from its state.
func loadCgroup(st *State) (cgroups.Manager, error) {
	if st.SystemdUnit != "" {
		return systemd.Load(st.SystemdUnit, st.CgroupPaths, st.SystemdUser)
	}
	return cgroups.Load(st.CgroupPaths)
}

// liveCgroup is the cgroup manager of a container that has one; every
// container sprout created does, so its absence means a damaged state.
func (c *Container) liveCgroup() (cgroups.Manager, error) {
	cg, err := c.cgroup()
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", c.state.ID, err)
	}
	if cg == nil {
		return nil, fmt.Errorf("container %s: its state records no cgroup", c.state.ID)
	}
	return cg, nil
}

// onCgroup runs f on the live cgroup of the container, under its lock and
// once op is allowed in its status (op "": in any status); an error of f
// is said to be from doing what to the container.
func onCgroup[T any](c *Container, op Op, what string, f func(cgroups.Manager) (T, error)) (T, error) {
	var zero T
	l, err := c.lock()
	if err != nil {
		return zero, err
	}
	defer l.unlock()
	if op != "" {
		if _, err := c.check(op); err != nil {
			return zero, err
		}
	}
	cg, err := c.liveCgroup()
	if err != nil {
		return zero, err
	}
	v, err := f(cg)
	if err != nil {
		return zero, fmt.Errorf("%s container %s: %w", what, c.state.ID, err)
	}
	return v, nil
}
