package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/capabilities"
	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
	"github.com/sprout-runtime/sprout/seccomp"
	"github.com/sprout-runtime/sprout/spec"
)

// ExecOptions describe a process to start in a running container.
type ExecOptions struct {
	Process *specs.Process
	// ConsoleSocket receives the pty master when Process.Terminal is set.
	ConsoleSocket *os.File
	PidFile       string
	PreserveFds   int
	IgnorePaused  bool
	// SubCgroups puts the process in sub-cgroups of the container's, by
	// hierarchy: a v1 controller name ("name=systemd" for a named
	// hierarchy, "" for cgroup v2), or "" alone for all of them. A path is
	// taken below the container's cgroup, absolute or not: "/" is the
	// container's cgroup itself.
	SubCgroups map[string]string
	// BeforeStart, if set, runs once the process is planned and before it
	// may run: a foreground exec makes sure there that every signal it
	// forwards is caught.
	BeforeStart           func()
	Stdin, Stdout, Stderr *os.File
}

// Exec starts a process in every namespace and the cgroup of a running
// container, with the container's confinement unless the process says
// otherwise. It returns the process's host PID once it has been exec'd.
func (c *Container) Exec(opts ExecOptions) (int, error) {
	// Spawned first: its exec and start-up overlap the planning, and its
	// C stage does nothing before the bootstrap comes.
	cmd, sync, cfgW, fds, err := spawnInit(spawnOpts{
		preserveFds: opts.PreserveFds, console: opts.ConsoleSocket,
		stdin: opts.Stdin, stdout: opts.Stdout, stderr: opts.Stderr,
	})
	if err != nil {
		return 0, err
	}
	defer sync.Close()
	defer cfgW.Close()
	pp := &parent{c: c, stage: cmd, sync: sync}
	x, err := c.planExec(opts, fds)
	if err != nil {
		pp.abort()
		return 0, err
	}
	p, namespaces, cgPaths := opts.Process, x.namespaces, x.cgPaths
	pp.spec = x.spec
	debugf("container %s: exec %q: joining namespaces %s, cgroups %v", c.state.ID, p.Args, describeNamespaces(namespaces), cgPaths)
	if err := setInitialAffinity(cmd.pid, p); err != nil {
		pp.abort()
		return 0, err
	}
	if c.state.SystemdUser {
		if err := attachToUserScope(c.state, cmd.pid, opts.SubCgroups[""]); err != nil {
			pp.abort()
			return 0, err
		}
		// The stage is in the cgroup already; the process inherits it.
		cgPaths = nil
	}
	if err := sendSync(sync, syncBootstrap, buildBootstrap(namespaces, nil, cgPaths, fds.config)); err != nil {
		pp.abort()
		return 0, fmt.Errorf("exec init: %w", err)
	}
	if err := pp.waitPid(); err != nil {
		pp.abort()
		return 0, err
	}
	w := watchExec(pp.pid)
	if opts.BeforeStart != nil {
		opts.BeforeStart()
	}
	// Only now, with the process's oom_score_adj written: it runs its plan
	// as soon as it has read it. The plan can outgrow the pipe; it is
	// written while the process reads it.
	if _, err := cfgW.Write(x.plan.Bytes()); err != nil {
		pp.abort()
		return 0, fmt.Errorf("send the process plan to exec init: %w", err)
	}
	cfgW.Close()
	// The process writes its error, or closes the socket by exec'ing.
	if err := c.awaitExec(int(sync.Fd()), w, "exec in container"); err != nil {
		pp.abort()
		return 0, err
	}
	debugf("container %s: exec: process %d exec'd", c.state.ID, pp.pid)
	if opts.PidFile != "" {
		if err := WritePidFile(opts.PidFile, pp.pid); err != nil {
			return pp.pid, err
		}
	}
	return pp.pid, nil
}

// execPlan is what Exec decided under the container's lock.
type execPlan struct {
	// spec is the container's config with the process to exec.
	spec       *specs.Spec
	namespaces []specs.LinuxNamespace
	cgPaths    map[string]string
	// plan is the process's, for the C stage's child to run.
	plan nsexec.Plan
}

// planExec checks and resolves an exec under the container's lock, which
// is not held while the process starts: in a paused container it waits on
// the freezer until someone resumes, kills or deletes the container, and
// each of them needs the lock.
func (c *Container) planExec(opts ExecOptions, fds childFds) (*execPlan, error) {
	l, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer l.unlock()
	op := OpExec
	if opts.IgnorePaused {
		op = OpExecPaused
	}
	if _, err := c.check(op); err != nil {
		return nil, err
	}
	p := opts.Process
	if p == nil {
		return nil, errors.New("exec: no process given")
	}
	stored, err := c.ExecSpec()
	if err != nil {
		return nil, err
	}
	s := *stored
	s.Process = p
	caps, err := validateExec(&s)
	if err != nil {
		return nil, err
	}
	if p.Terminal && opts.ConsoleSocket == nil {
		return nil, errors.New("process.terminal is true but no console socket was given")
	}
	namespaces, err := c.namespacesToJoin()
	if err != nil {
		return nil, err
	}
	cgPaths, err := subCgroupPaths(c.state.CgroupPaths, opts.SubCgroups)
	if err != nil {
		return nil, err
	}
	x := &execPlan{spec: &s, namespaces: namespaces, cgPaths: cgPaths}
	if err := c.buildExecPlan(&x.plan, &s, caps, fds, opts.PreserveFds); err != nil {
		return nil, err
	}
	return x, nil
}

// buildExecPlan plans the exec'd process's last steps, as the container's
// init plans its own (init_linux.go), with the container's /etc/passwd
// for HOME.
func (c *Container) buildExecPlan(pl *nsexec.Plan, s *specs.Spec, caps *capabilities.Set, fds childFds, preserveFds int) error {
	p := s.Process
	filter, err := seccomp.Compile(s.Linux.Seccomp)
	if err != nil {
		return err
	}
	if err := planStdio(pl, p, fds.console); err != nil {
		return err
	}
	planPrepare(pl, p, preserveFds)
	if err := planConfine(pl, s, caps, filter, true); err != nil {
		return err
	}
	if Debug != nil {
		pl.Log(fmt.Sprintf("credentials %d:%d, capabilities and seccomp set; exec %q", p.User.UID, p.User.GID, p.Args))
	}
	planExecve(pl, p, c.homeOf(p.User.UID))
	return nil
}

// subCgroupPaths resolves ExecOptions.SubCgroups against the container's
// cgroup directories. A controller names its hierarchy, so every
// controller co-mounted with it (cpu,cpuacct) moves along; a hierarchy not
// named stays in the container's cgroup.
func subCgroupPaths(base, sub map[string]string) (map[string]string, error) {
	if len(sub) == 0 {
		return base, nil
	}
	byDir := map[string]string{}
	for ctrl, path := range sub {
		if ctrl == "" && len(sub) == 1 {
			continue
		}
		dir, ok := base[ctrl]
		if !ok {
			return nil, fmt.Errorf("--cgroup %s:%s: unknown controller %s (the container has no such cgroup)", ctrl, path, ctrl)
		}
		if prev, dup := byDir[dir]; dup && prev != path {
			return nil, fmt.Errorf("--cgroup %s:%s: its hierarchy is given another path, %s", ctrl, path, prev)
		}
		byDir[dir] = path
	}
	all, hasAll := sub[""]
	if len(sub) > 1 {
		hasAll = false
	}
	out := make(map[string]string, len(base))
	for ctrl, dir := range base {
		path, ok := byDir[dir]
		if hasAll {
			path, ok = all, true
		}
		if !ok {
			out[ctrl] = dir
			continue
		}
		target := filepath.Join(dir, path)
		if rel, err := filepath.Rel(dir, target); err != nil || !filepath.IsLocal(rel) {
			return nil, fmt.Errorf("--cgroup: %s is not a sub cgroup path", path)
		}
		// Checked here, before the process exists, in the words runc uses
		// when its move of the process fails.
		procs := filepath.Join(target, "cgroup.procs")
		if _, err := os.Stat(procs); err != nil {
			return nil, fmt.Errorf("--cgroup %s: adding pid to %s: %w", path, procs, errors.Unwrap(err))
		}
		out[ctrl] = target
	}
	return out, nil
}

// namespacesToJoin lists the init's namespaces that differ from ours:
// setns into one's own user namespace is refused, the others are no-ops.
func (c *Container) namespacesToJoin() ([]specs.LinuxNamespace, error) {
	var out []specs.LinuxNamespace
	for _, k := range spec.NamespaceKinds {
		typ, name := k.Type, k.ProcName
		path := fmt.Sprintf("/proc/%d/ns/%s", c.state.Pid, name)
		theirs, err := os.Readlink(path)
		if err != nil {
			return nil, fmt.Errorf("container %s: %w", c.state.ID, err)
		}
		ours, err := os.Readlink("/proc/self/ns/" + name)
		if err == nil && ours == theirs {
			continue
		}
		out = append(out, specs.LinuxNamespace{Type: typ, Path: path})
	}
	if !c.initAlive() {
		return nil, &StatusError{ID: c.state.ID, Op: OpExec, Status: Stopped, Reason: ErrNotRunning}
	}
	return out, nil
}

func validateExec(s *specs.Spec) (*capabilities.Set, error) {
	if len(s.Process.Args) == 0 || s.Process.Args[0] == "" {
		return nil, errors.New("process.args: must name the program to run")
	}
	if s.Process.Cwd == "" {
		s.Process.Cwd = "/"
	}
	if !filepath.IsAbs(s.Process.Cwd) {
		return nil, fmt.Errorf("process.cwd %q: must be an absolute path", s.Process.Cwd)
	}
	if err := spec.ValidateExecProcess(s.Process); err != nil {
		return nil, err
	}
	if s.Process.ApparmorProfile != "" && !spec.LSMEnabled("apparmor") {
		return nil, errors.New("process.apparmorProfile: AppArmor is not enabled on this host")
	}
	if s.Process.SelinuxLabel != "" && !spec.LSMEnabled("selinux") {
		return nil, errors.New("process.selinuxLabel: SELinux is not enabled on this host")
	}
	if err := validateProcAttrs(s); err != nil {
		return nil, err
	}
	caps, warnings, err := capabilities.Parse(s.Process.Capabilities)
	for _, w := range warnings {
		warn("%s", w)
	}
	if err != nil {
		return nil, err
	}
	noteDroppedAmbient(caps)
	return caps, nil
}

// awaitExec reads what an init about to exec says until the socket closes:
// the socket is close-on-exec, so EOF means the process has been exec'd.
// Before that come debug lines, the seccomp notify fd for the listener, or
// the init's error. w tells an init that died on the way from one that
// exec'd.
func (c *Container) awaitExec(fd int, w *execWatch, what string) error {
	var initErr string
	// death is how the init died on the way, once seen; what it wrote
	// before dying is read to the end all the same, and is the better
	// error.
	var death string
	lookForDeath := func() {
		if how, dead := w.diedBeforeExec(); dead && death == "" {
			death = how
			w.kill()
		}
	}
	for {
		// The socket stays open while any thread of the init lives, so a
		// dead main thread is looked for between reads; once the rest is
		// killed, EOF follows.
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 100)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err == nil && n == 0 {
			lookForDeath()
			continue
		}
		m, err := recvSync(fd)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", what, c.state.ID, err)
		}
		switch m.typ {
		case syncLog:
			debugf("container %s: init: %s", c.state.ID, m.data)
		case syncSeccompFd:
			if err := c.handOverNotifyFd(m.fds); err != nil {
				return err
			}
			continue
		case syncError:
			initErr = string(m.data)
		case syncPlanError:
			initErr = nsexec.DecodePlanError(m.data).Error()
		default:
			initErr = fmt.Sprintf("unexpected %s from the init", m.typ)
		}
		closeFds(m.fds)
	}
	if initErr != "" {
		return fmt.Errorf("%s %s: %s", what, c.state.ID, initErr)
	}
	lookForDeath()
	if death != "" {
		return fmt.Errorf("%s %s: process %d died before or at exec: %s", what, c.state.ID, w.pid, death)
	}
	return nil
}

// WaitPid waits for a child of this process (the init of a foreground run,
// or a foreground exec) and returns its wait status.
func WaitPid(pid int) (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return ws, err
	}
}
