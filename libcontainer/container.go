// Package libcontainer creates and manages OCI containers. The CLI in the
// repository root only translates flags into calls of this package.
package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/spec"
)

// Container is one container's state directory under a root.
type Container struct {
	root  string
	dir   string
	state *State
	spec  *specs.Spec     // loaded on first use
	cg    cgroups.Manager // loaded on first use
}

// Load opens the container id under root.
func Load(root, id string) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(root, id)
	s, err := readState(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		// A directory without a state yet is being made, or was left by
		// a killed create or delete: it is listed as creating and delete
		// --force removes it.
		if fi, serr := os.Stat(dir); serr != nil || !fi.IsDir() {
			return nil, fmt.Errorf("container %s: %w", id, ErrNotExist)
		}
		s = &State{ID: id}
	}
	return &Container{root: root, dir: dir, state: s}, nil
}

// List returns every container under root, sorted by ID.
func List(root string) ([]*Container, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []*Container
	for _, e := range entries {
		if !e.IsDir() || ValidateID(e.Name()) != nil {
			continue
		}
		c, err := Load(root, e.Name())
		if err != nil {
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].state.ID < out[j].state.ID })
	return out, nil
}

// ID returns the container's ID.
func (c *Container) ID() string { return c.state.ID }

// Owner returns the UID that owns the container's state directory: the
// user who created the container.
func (c *Container) Owner() (int, error) {
	var st unix.Stat_t
	if err := unix.Stat(c.dir, &st); err != nil {
		return 0, fmt.Errorf("container %s: %w", c.state.ID, err)
	}
	return int(st.Uid), nil
}

// State returns what is stored of the container.
func (c *Container) State() *State { return c.state }

// Spec returns the container's config as create stored it, with the
// resources that update changed since.
func (c *Container) Spec() (*specs.Spec, error) {
	if c.spec != nil {
		return c.spec, nil
	}
	data, err := os.ReadFile(filepath.Join(c.dir, configFile))
	if err != nil {
		return nil, fmt.Errorf("container %s: read config: %w", c.state.ID, err)
	}
	s, err := spec.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("container %s: parse %s: %w", c.state.ID, filepath.Join(c.dir, configFile), err)
	}
	c.spec = s
	return s, nil
}

// execConfig is the part of config.json an exec uses. A fresh process
// pays 0.6-1 ms of reflection over every type of a whole spec the first
// time it decodes one; these few types cost a third of that.
type execConfig struct {
	Process *specs.Process `json:"process"`
	Linux   struct {
		Seccomp      *specs.LinuxSeccomp      `json:"seccomp"`
		Personality  *specs.LinuxPersonality  `json:"personality"`
		MemoryPolicy *specs.LinuxMemoryPolicy `json:"memoryPolicy"`
	} `json:"linux"`
}

// ExecSpec is the container's config as far as an exec of a process in it
// reads it: the process, which an exec's defaults come from, and the
// confinement of linux that applies to every process of the container
// (seccomp, personality, memory policy). Everything else is left empty.
func (c *Container) ExecSpec() (*specs.Spec, error) {
	data, err := os.ReadFile(filepath.Join(c.dir, configFile))
	if err != nil {
		return nil, fmt.Errorf("container %s: read config: %w", c.state.ID, err)
	}
	var e execConfig
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("container %s: parse %s: %w", c.state.ID, filepath.Join(c.dir, configFile), err)
	}
	if e.Process == nil {
		return nil, fmt.Errorf("container %s: %s has no process", c.state.ID, filepath.Join(c.dir, configFile))
	}
	return &specs.Spec{Process: e.Process, Linux: &specs.Linux{
		Seccomp: e.Linux.Seccomp, Personality: e.Linux.Personality, MemoryPolicy: e.Linux.MemoryPolicy,
	}}, nil
}

// lock takes the container's lock and re-reads its state, which another
// command may have changed while we waited.
func (c *Container) lock() (*lockedDir, error) {
	l, err := lockDir(c.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("container %s: %w", c.state.ID, ErrNotExist)
		}
		return nil, err
	}
	s, err := readState(c.dir)
	if errors.Is(err, os.ErrNotExist) {
		s, err = &State{ID: c.state.ID}, nil
	}
	if err != nil {
		l.unlock()
		return nil, err
	}
	c.state, c.spec = s, nil
	return l, nil
}

func (c *Container) cgroup() (cgroups.Manager, error) {
	if c.cg != nil || len(c.state.CgroupPaths) == 0 {
		return c.cg, nil
	}
	cg, err := loadCgroup(c.state)
	if err != nil {
		return nil, err
	}
	c.cg = cg
	return cg, nil
}

// initAlive tells whether the container's init is still the process that
// sprout started (not a zombie, not a later process with the same PID).
func (c *Container) initAlive() bool {
	if c.state.Pid <= 0 {
		return false
	}
	start, zombie, err := processStartTime(c.state.Pid)
	return err == nil && !zombie && start == c.state.PidStart
}

// Status reports the container's lifecycle status.
func (c *Container) Status() Status {
	if c.state.Pid == 0 {
		return Creating
	}
	if !c.initAlive() {
		return Stopped
	}
	// A created container can be paused too, as in runc.
	if cg, err := c.cgroup(); err == nil && cg != nil {
		if paused, err := cg.Paused(); err == nil && paused {
			return Paused
		}
	}
	// Until start releases it, the init listens on its start socket, which
	// create names start.sock once the container is complete.
	if _, err := os.Lstat(filepath.Join(c.dir, startSock)); err == nil {
		return Created
	}
	if _, err := os.Lstat(filepath.Join(c.dir, pendingStartSock)); err == nil {
		return Creating
	}
	return Running
}

// OCIState returns the container's state as the OCI runtime spec defines it.
func (c *Container) OCIState() specs.State {
	st := c.Status()
	s := specs.State{
		Version:     specs.Version,
		ID:          c.state.ID,
		Status:      specs.ContainerState(st),
		Bundle:      c.state.Bundle,
		Annotations: c.state.Annotations,
	}
	if st != Stopped {
		s.Pid = c.state.Pid
	}
	return s
}

// Signal sends sig to the container's init, or with all to every process
// in its cgroup.
func (c *Container) Signal(sig syscall.Signal, all bool) error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.unlock()
	op := OpSignal
	if all {
		op = OpSignalAll
	}
	st, err := c.check(op)
	if err != nil {
		return err
	}
	if st == Stopped {
		// kill --all of a stopped container signals what may be left in
		// its cgroup, and nothing left is no error: engines send it after
		// the init has gone, and runc answers yes.
		if cg, err := c.cgroup(); err == nil && cg != nil {
			return c.signalAll(sig)
		}
		return nil
	}
	debugf("container %s: signal %d to init %d (all: %v)", c.state.ID, sig, c.state.Pid, all)
	if all {
		return c.signalAll(sig)
	}
	if err := c.signalInit(sig); err != nil {
		return err
	}
	// A v1 frozen task dies of SIGKILL only once thawed; any other signal
	// waits, and the container stays paused as its user asked.
	if st == Paused && sig == unix.SIGKILL {
		if cg, err := c.cgroup(); err == nil && cg != nil {
			if err := cg.Thaw(); err != nil {
				return fmt.Errorf("thaw container %s after SIGKILL: %w", c.state.ID, err)
			}
		}
	}
	return nil
}

// signalInit goes through a pidfd checked against the recorded start time,
// so a recycled PID is never signalled.
func (c *Container) signalInit(sig syscall.Signal) error {
	// A container whose create has not recorded its init yet has none.
	if c.state.Pid <= 0 {
		return &StatusError{ID: c.state.ID, Op: OpSignal, Status: Creating, Reason: ErrNotRunning}
	}
	fd, err := unix.PidfdOpen(c.state.Pid, 0)
	if err != nil {
		return fmt.Errorf("signal container %s: %w", c.state.ID, err)
	}
	defer unix.Close(fd)
	if !c.initAlive() {
		return &StatusError{ID: c.state.ID, Op: OpSignal, Status: Stopped, Reason: ErrNotRunning}
	}
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		return fmt.Errorf("signal container %s: %w", c.state.ID, err)
	}
	return nil
}

func (c *Container) signalAll(sig syscall.Signal) error {
	cg, err := c.cgroup()
	if err != nil {
		return err
	}
	if cg == nil {
		return c.signalInit(sig)
	}
	// Freezing a cgroup that others share would stop them too.
	if (sig == unix.SIGKILL || sig == unix.SIGSTOP) && c.ownsCgroup() {
		return killCgroup(cg, sig)
	}
	pids, err := c.procs(cg)
	if err != nil {
		return fmt.Errorf("list processes of container %s: %w", c.state.ID, err)
	}
	for _, pid := range pids {
		if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("signal pid %d: %w", pid, err)
		}
	}
	return nil
}

// killCgroup freezes the cgroup while it signals, so that nothing in it can
// fork a process the signal misses. It thaws the cgroup afterwards unless
// the container was paused before and is not being killed.
func killCgroup(cg cgroups.Manager, sig syscall.Signal) error {
	paused, _ := cg.Paused()
	frozen := cg.Freeze() == nil
	pids, err := cg.Procs()
	if err == nil {
		for _, pid := range pids {
			if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
				break
			}
		}
	}
	if frozen && (!paused || sig == unix.SIGKILL) {
		if terr := cg.Thaw(); terr != nil && err == nil {
			err = terr
		}
	}
	return err
}

// Delete removes a stopped container, or a created one after killing its
// init, which has not run the workload (runc does so, and containerd's shim
// deletes a task that was created and never started so); with force it
// kills a live one first.
func (c *Container) Delete(force bool) error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.unlock()
	op := OpDelete
	if force {
		op = OpForceDelete
	}
	if _, err := c.check(op); err != nil {
		return err
	}
	// A stopped container without a PID namespace may have left processes.
	if err := c.kill(); err != nil {
		return err
	}
	return c.destroy()
}

// kill SIGKILLs the container's processes and waits until the init is gone.
func (c *Container) kill() error {
	debugf("container %s: killing every process of the container", c.state.ID)
	if err := c.killProcesses(); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.initAlive() {
		if time.Now().After(deadline) {
			return fmt.Errorf("container %s: init %d did not die after SIGKILL", c.state.ID, c.state.Pid)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// destroy removes what is left of a stopped container: the cgroups it
// made, then its state; then it runs the poststop hooks, whose failure is
// only a warning.
func (c *Container) destroy() error {
	debugf("container %s: removing cgroups it made %v and state %s", c.state.ID, c.state.CgroupOwned, c.dir)
	c.removeCgroups()
	if err := removeStateDir(c.dir); err != nil {
		return fmt.Errorf("remove state of container %s: %w", c.state.ID, err)
	}
	if c.state.Hooks != nil {
		st := c.OCIState()
		st.Status = specs.StateStopped
		for _, w := range runHooks(c.state.Hooks.Poststop, "poststop", st, false) {
			warn("%s", w)
		}
	}
	return nil
}
