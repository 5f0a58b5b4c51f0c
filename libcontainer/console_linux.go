package libcontainer

// Runs inside the container's init: the pty of process.terminal.

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setupConsole makes a pty in the container's devpts, gives its slave to
// the process as stdio and controlling terminal, and sends the master over
// the console socket, as runc does. With console the slave also becomes
// the container's /dev/console (the init's, not an exec'd process's).
func setupConsole(sock *os.File, size *specs.Box, console bool) error {
	if sock == nil {
		return fmt.Errorf("process.terminal: no console socket")
	}
	defer sock.Close()
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("process.terminal: open /dev/ptmx: %w", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("process.terminal: unlock pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(master, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("process.terminal: pty number: %w", err)
	}
	// TIOCGPTPEER opens the slave of this very master: no path to race on
	// (containerd/console's NewPty opens it by its /dev/pts name, so the
	// init keeps its own).
	r1, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY))
	if errno != 0 {
		return fmt.Errorf("process.terminal: open pty slave: %w", errno)
	}
	slave := int(r1)
	defer unix.Close(slave)
	if size != nil {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		if err := unix.IoctlSetWinsize(slave, unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("process.consoleSize: %w", err)
		}
	}
	if console {
		if err := bindConsole(slave); err != nil {
			return err
		}
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("process.terminal: stdio: %w", err)
		}
	}
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("process.terminal: setsid: %w", err)
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("process.terminal: controlling terminal: %w", err)
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	if err := unix.Sendmsg(int(sock.Fd()), []byte(name), unix.UnixRights(master), nil, 0); err != nil {
		return fmt.Errorf("--console-socket: send pty master: %w", err)
	}
	return nil
}

// bindConsole puts the pty slave at /dev/console, where programs look for
// the system console.
func bindConsole(slave int) error {
	target, err := unix.Open("/dev/console", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		fd, cerr := unix.Open("/dev/console", unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if cerr != nil {
			return fmt.Errorf("process.terminal: create /dev/console: %w", cerr)
		}
		unix.Close(fd)
		if target, err = unix.Open("/dev/console", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0); err != nil {
			return fmt.Errorf("process.terminal: /dev/console: %w", err)
		}
	}
	defer unix.Close(target)
	var st unix.Stat_t
	if err := unix.Fstat(target, &st); err != nil {
		return fmt.Errorf("process.terminal: /dev/console: %w", err)
	}
	// A symlink or directory planted by the image must not redirect the bind.
	if st.Mode&unix.S_IFMT != unix.S_IFREG && st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return fmt.Errorf("process.terminal: /dev/console is not a file")
	}
	return bindFd(slave, target, false)
}
