package main

import (
	"os"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/libcontainer"
	"github.com/sprout-runtime/sprout/spec"
)

var restoreCommand = &cli.Command{
	Name:      "restore",
	Usage:     "restore a container from a criu checkpoint",
	ArgsUsage: "<container-id>",
	Flags: append(criuFlags(),
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the OCI bundle"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master of a terminal container"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container runs"},
		&cli.StringFlag{Name: "pid-file", Usage: "file to write the container's PID to"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "do not reap reparented processes"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "use a move mount and chroot instead of pivot_root"},
	),
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, 1); err != nil {
			return err
		}
		create, err := createOptions(c)
		if err != nil {
			return err
		}
		if create.ConsoleSocket != nil {
			defer create.ConsoleSocket.Close()
		}
		o, err := criuOptions(c)
		if err != nil {
			return err
		}
		detach := c.Bool("detach")
		var console *os.File
		if s, err := spec.Load(create.Bundle); err == nil {
			create.Spec = s
			if create.ConsoleSocket == nil && s.Process != nil && s.Process.Terminal && !o.ShellJob {
				local, remote, err := foregroundConsole(detach, "process.terminal")
				if err != nil {
					return err
				}
				defer local.Close()
				create.ConsoleSocket, console = remote, local
			} else if o.ShellJob && s.Process != nil {
				// The restored tree keeps the terminal of the shell that
				// restores it.
				s.Process.Terminal = false
			}
		}
		var sigs *signalCatcher
		if !detach {
			if !c.Bool("no-subreaper") {
				// What the restored init leaves behind is reparented here.
				unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
			}
			// Before criu: the restored process runs at once.
			sigs = catchSignals()
			sigs.wait()
		}
		ct, err := libcontainer.Restore(c.String("root"), libcontainer.RestoreOptions{CreateOptions: *create, CriuOptions: o})
		if console != nil {
			create.ConsoleSocket.Close()
		}
		if err != nil {
			return err
		}
		if detach {
			return nil
		}
		var tty *ttyProxy
		if console != nil {
			if tty, err = newTTYProxy(console); err != nil {
				ct.Delete(true)
				return err
			}
			defer tty.restore()
		}
		return finishForeground(ct, sigs, tty, false)
	},
}
