package libcontainer

// Runs inside the container's init: the pty of process.terminal.

import (
	"fmt"

	"golang.org/x/sys/unix"
)

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
