package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/capabilities"
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
	// Cgroup is a sub-cgroup of the container's to put the process in.
	Cgroup                string
	Stdin, Stdout, Stderr *os.File
}

// Exec starts a process in every namespace and the cgroup of a running
// container, with the container's confinement unless the process says
// otherwise. It returns the process's host PID once it has been exec'd.
func (c *Container) Exec(opts ExecOptions) (int, error) {
	l, err := c.lock()
	if err != nil {
		return 0, err
	}
	defer l.unlock()
	switch st := c.Status(); st {
	case Stopped:
		return 0, fmt.Errorf("cannot exec in container %s: it is stopped", c.state.ID)
	case Paused:
		if !opts.IgnorePaused {
			return 0, fmt.Errorf("cannot exec in container %s: it is paused (use --ignore-paused)", c.state.ID)
		}
	}
	p := opts.Process
	if p == nil {
		return 0, errors.New("exec: no process given")
	}
	stored, err := c.Spec()
	if err != nil {
		return 0, err
	}
	s := *stored
	s.Process = p
	if err := validateExec(&s); err != nil {
		return 0, err
	}
	if p.Terminal && opts.ConsoleSocket == nil {
		return 0, errors.New("process.terminal is true but no console socket was given")
	}
	namespaces, err := c.namespacesToJoin()
	if err != nil {
		return 0, err
	}
	cgPaths := c.state.CgroupPaths
	if opts.Cgroup != "" {
		if filepath.IsAbs(opts.Cgroup) || !filepath.IsLocal(opts.Cgroup) {
			return 0, fmt.Errorf("--cgroup %q: must be a path below the container's cgroup", opts.Cgroup)
		}
		cgPaths = map[string]string{}
		for k, v := range c.state.CgroupPaths {
			cgPaths[k] = filepath.Join(v, opts.Cgroup)
			if _, err := os.Stat(cgPaths[k]); err != nil {
				return 0, fmt.Errorf("--cgroup %q: %w", opts.Cgroup, err)
			}
		}
	}

	cmd, sync, cfgW, err := spawnInit(spawnOpts{
		preserveFds: opts.PreserveFds, console: opts.ConsoleSocket,
		stdin: opts.Stdin, stdout: opts.Stdout, stderr: opts.Stderr,
	})
	if err != nil {
		return 0, err
	}
	defer sync.Close()
	defer cfgW.Close()
	pp := &parent{c: c, spec: &s, stage: cmd, sync: sync}
	if err := setInitialAffinity(cmd.Process.Pid, p); err != nil {
		pp.abort()
		return 0, err
	}
	if _, err := sync.Write(buildBootstrap(namespaces, nil, cgPaths)); err != nil {
		pp.abort()
		return 0, fmt.Errorf("send bootstrap to exec init: %w", err)
	}
	if err := pp.waitPid(); err != nil {
		pp.abort()
		return 0, err
	}
	cfg := initConfig{
		ID: c.state.ID, Bundle: c.state.Bundle, Rootfs: c.state.Rootfs, Spec: &s,
		PreserveFds: opts.PreserveFds, Console: opts.ConsoleSocket != nil, Exec: true,
	}
	if err := sendInitConfig(cfgW, &cfg); err != nil {
		pp.abort()
		return 0, fmt.Errorf("send config to exec init: %w", err)
	}
	cfgW.Close()
	// The init writes its error, or closes the socket by exec'ing.
	if err := c.awaitExec(int(sync.Fd()), "exec in container"); err != nil {
		pp.abort()
		return 0, err
	}
	if opts.PidFile != "" {
		if err := WritePidFile(opts.PidFile, pp.pid); err != nil {
			return pp.pid, err
		}
	}
	return pp.pid, nil
}

// namespacesToJoin lists the init's namespaces that differ from ours:
// setns into one's own user namespace is refused, the others are no-ops.
func (c *Container) namespacesToJoin() ([]specs.LinuxNamespace, error) {
	var out []specs.LinuxNamespace
	for _, typ := range []specs.LinuxNamespaceType{
		specs.UserNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.NetworkNamespace,
		specs.PIDNamespace, specs.CgroupNamespace, specs.TimeNamespace, specs.MountNamespace,
	} {
		name := procNsName[typ]
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
		return nil, fmt.Errorf("container %s is not running", c.state.ID)
	}
	return out, nil
}

func validateExec(s *specs.Spec) error {
	if len(s.Process.Args) == 0 || s.Process.Args[0] == "" {
		return errors.New("process.args: must name the program to run")
	}
	if s.Process.Cwd == "" {
		s.Process.Cwd = "/"
	}
	if !filepath.IsAbs(s.Process.Cwd) {
		return fmt.Errorf("process.cwd %q: must be an absolute path", s.Process.Cwd)
	}
	if s.Process.ApparmorProfile != "" && !spec.LSMEnabled("apparmor") {
		return errors.New("process.apparmorProfile: AppArmor is not enabled on this host")
	}
	if s.Process.SelinuxLabel != "" && !spec.LSMEnabled("selinux") {
		return errors.New("process.selinuxLabel: SELinux is not enabled on this host")
	}
	if err := validateProcAttrs(s); err != nil {
		return err
	}
	_, warnings, err := capabilities.Parse(s.Process.Capabilities)
	for _, w := range warnings {
		warn("%s", w)
	}
	return err
}

// awaitExec reads what an init about to exec says until the socket closes:
// the socket is close-on-exec, so EOF means the process has been exec'd,
// text is the init's error, and a control message carries the seccomp
// notify fd for the listener.
func (c *Container) awaitExec(fd int, what string) error {
	var msg []byte
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", what, c.state.ID, err)
		}
		if oobn > 0 {
			if err := c.handOverNotifyFd(oob[:oobn]); err != nil {
				return err
			}
			continue
		}
		if n == 0 {
			break
		}
		msg = append(msg, buf[:n]...)
	}
	if len(msg) > 0 {
		return fmt.Errorf("%s %s: %s", what, c.state.ID, msg)
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
