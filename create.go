package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/libcontainer"
)

func createFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the OCI bundle"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master of a terminal container"},
		&cli.StringFlag{Name: "pid-file", Usage: "file to write the container's PID to"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "use a move mount and chroot instead of pivot_root"},
		&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many fds from 3 on to the container"},
	}
}

var createCommand = &cli.Command{
	Name:      "create",
	Usage:     "create a container, ready for start",
	ArgsUsage: "<container-id>",
	Flags:     createFlags(),
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, 1); err != nil {
			return err
		}
		opts, err := createOptions(c)
		if err != nil {
			return err
		}
		if opts.ConsoleSocket != nil {
			defer opts.ConsoleSocket.Close()
		}
		_, err = libcontainer.Create(c.String("root"), *opts)
		return err
	},
}

func createOptions(c *cli.Context) (*libcontainer.CreateOptions, error) {
	id, err := containerID(c)
	if err != nil {
		return nil, err
	}
	if err := checkPreserveFds(c.Int("preserve-fds")); err != nil {
		return nil, err
	}
	opts := &libcontainer.CreateOptions{
		ID: id, Bundle: c.String("bundle"), PidFile: c.String("pid-file"),
		NoPivot: c.Bool("no-pivot"), NoNewKeyring: c.Bool("no-new-keyring"),
		PreserveFds: c.Int("preserve-fds"), Rootless: rootless(c), SystemdCgroup: c.Bool("systemd-cgroup"),
	}
	if p := c.String("console-socket"); p != "" {
		f, err := dialConsole(p)
		if err != nil {
			return nil, err
		}
		opts.ConsoleSocket = f
	}
	return opts, nil
}

// dialConsole connects to the console socket with plain syscalls, kept so
// rather than net.DialUnix and File(): those start the runtime's poller
// (epoll, eventfd) and dup the socket, 14 syscalls and about 80 us more a
// create or exec with a terminal on this host.
func dialConsole(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("--console-socket %s: %w", path, err)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("--console-socket %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// checkPreserveFds makes sure that every fd to pass on is open: starting
// the init would otherwise fail with a bare EBADF naming none of them.
func checkPreserveFds(n int) error {
	if n < 0 {
		return fmt.Errorf("--preserve-fds: must not be negative")
	}
	for fd := 3; fd < 3+n; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return fmt.Errorf("--preserve-fds %d: fd %d is not open: %w", n, fd, err)
		}
	}
	return nil
}
