package libcontainer

import (
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/seccomp"
)

// Start releases a created container's init to exec the process. It
// returns once the process has been exec'd (or failed to be), after the
// poststart hooks.
func (c *Container) Start() error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.unlock()
	if _, err := c.check(OpStart); err != nil {
		return err
	}
	debugf("container %s: releasing init %d", c.state.ID, c.state.Pid)
	if err := c.release(); err != nil {
		// A process that could not be started (a failing startContainer
		// hook, a failed exec) leaves no container behind.
		c.stop()
		return err
	}
	debugf("container %s: process %d exec'd", c.state.ID, c.state.Pid)
	if h := c.state.Hooks; h != nil {
		st := c.OCIState()
		st.Status = specs.StateRunning
		st.Pid = c.state.Pid
		// runtime-spec 1.3 (runtime.md, lifecycle step 9): a failing
		// poststart hook is an error that stops the container and goes on
		// to its destruction and the poststop hooks.
		if err := runHooksStrict(h.Poststart, "poststart", st); err != nil {
			warn("%v: stopping container %s", err, c.state.ID)
			c.stop()
			return err
		}
	}
	return nil
}

// stop kills and destroys a container whose start failed.
func (c *Container) stop() {
	if err := c.kill(); err == nil {
		c.destroy()
	}
}

// release connects to the init's start socket and waits for it to close.
func (c *Container) release() error {
	d, err := os.Open(c.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	conn := os.NewFile(uintptr(fd), "start")
	defer conn.Close()
	addr := &unix.SockaddrUnix{Name: fmt.Sprintf("/proc/self/fd/%d/%s", d.Fd(), startSock)}
	if err := unix.Connect(fd, addr); err != nil {
		return fmt.Errorf("start container %s: reach its init: %w", c.state.ID, err)
	}
	w := watchExec(c.state.Pid)
	// From here on the container counts as started (see Status).
	if err := os.Remove(filepath.Join(c.dir, startSock)); err != nil {
		return fmt.Errorf("start container %s: %w", c.state.ID, err)
	}
	if err := sendSync(conn, syncStart, nil); err != nil {
		return fmt.Errorf("start container %s: %w", c.state.ID, err)
	}
	return c.awaitExec(fd, w, "start container")
}

// handOverNotifyFd passes the seccomp notify fd that the init sent to the
// configured listener. It closes fds.
func (c *Container) handOverNotifyFd(fds []int) error {
	defer closeFds(fds)
	if len(fds) != 1 {
		return fmt.Errorf("start container %s: %d fds with the seccomp notify fd message", c.state.ID, len(fds))
	}
	s, err := c.Spec()
	if err != nil {
		return fmt.Errorf("start container %s: %w", c.state.ID, err)
	}
	st := c.OCIState()
	st.Status = specs.StateRunning
	state := specs.ContainerProcessState{
		Version: specs.Version, Fds: []string{specs.SeccompFdName}, Pid: c.state.Pid, State: st,
	}
	if s.Linux.Seccomp != nil {
		state.Metadata = s.Linux.Seccomp.ListenerMetadata
	}
	// Its errors name linux.seccomp.listenerPath already.
	return seccomp.SendToListener(s.Linux.Seccomp, fds[0], state)
}
