package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"

	"github.com/containerd/console"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/libcontainer"
	"github.com/sprout-runtime/sprout/spec"
)

var runCommand = &cli.Command{
	Name:      "run",
	Usage:     "create and start a container; in the foreground, wait for it",
	ArgsUsage: "<container-id>",
	Flags: append(createFlags(),
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container has started"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
		// runc's foreground run becomes a child subreaper unless told not
		// to; sprout's never does, so the flag is accepted and changes
		// nothing.
		&cli.BoolFlag{Name: "no-subreaper", Usage: "do not reap reparented processes (sprout never does)"},
	),
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
		detach := c.Bool("detach")
		var console *os.File
		// Read once, here, to know whether to make a console; Create
		// reports a config that cannot be read, after checking the ID.
		if s, err := spec.Load(opts.Bundle); err == nil {
			opts.Spec = s
			if opts.ConsoleSocket == nil && s.Process != nil && s.Process.Terminal {
				local, remote, err := foregroundConsole(detach, "process.terminal")
				if err != nil {
					return err
				}
				defer local.Close()
				opts.ConsoleSocket = remote
				console = local
			}
		}
		root := c.String("root")
		// Signals that arrive while the container is being set up are
		// held, then forwarded once it runs.
		var sigs *signalCatcher
		if !detach {
			sigs = catchSignals()
		}
		ct, err := libcontainer.Create(root, *opts)
		if opts.ConsoleSocket != nil && console != nil {
			opts.ConsoleSocket.Close()
		}
		if err != nil {
			return err
		}
		var tty *ttyProxy
		if console != nil {
			if tty, err = newTTYProxy(console); err != nil {
				ct.Delete(true)
				return err
			}
			defer tty.restore()
		}
		sigs.wait()
		if err := ct.Start(); err != nil {
			ct.Delete(true)
			return err
		}
		if detach {
			return nil
		}
		return finishForeground(ct, sigs, tty, c.Bool("keep"))
	},
}

// foregroundConsole makes the pair a foreground container's terminal goes
// through when no --console-socket is given: the local end for the tty
// proxy, the remote one for the container. what names the setting that
// asked for the terminal, for the refusal of --detach.
func foregroundConsole(detach bool, what string) (local, remote *os.File, err error) {
	if detach {
		return nil, nil, fmt.Errorf("--detach with %s needs --console-socket", what)
	}
	return socketPair()
}

// finishForeground waits for the container's init, forwarding signals,
// removes the container unless keep, and passes its exit status on.
func finishForeground(ct *libcontainer.Container, sigs *signalCatcher, tty *ttyProxy, keep bool) error {
	status := waitForeground(ct.State().Pid, sigs, tty)
	if tty != nil {
		tty.wait()
		tty.restore()
	}
	if !keep {
		if err := ct.Delete(false); err != nil {
			return err
		}
	}
	if status != 0 {
		return cli.Exit("", status)
	}
	return nil
}

// signalCatcher catches every signal for waitForeground to forward.
type signalCatcher struct {
	sigs  chan os.Signal
	ready chan struct{}
}

// catchSignals starts catching every signal. Enabling each is a round
// trip to the Go runtime's signal-mask thread, 1.3 ms of CPU for all of
// them here, so it runs beside the container's set-up, and run and exec
// wait for it only before their process may start: a signal that comes
// after is forwarded. It is never undone, which would cost as much again:
// the command exits once the process has.
func catchSignals() *signalCatcher {
	sc := &signalCatcher{sigs: make(chan os.Signal, 32), ready: make(chan struct{})}
	go func() {
		signal.Notify(sc.sigs)
		close(sc.ready)
	}()
	return sc
}

// wait returns once every signal is caught; a nil catcher catches none.
func (sc *signalCatcher) wait() {
	if sc != nil {
		<-sc.ready
	}
}

// waitForeground forwards signals to pid, a child of ours, until it exits
// and returns the exit status a shell would report.
func waitForeground(pid int, sc *signalCatcher, tty *ttyProxy) int {
	var sigs chan os.Signal
	if sc != nil {
		sigs = sc.sigs
	}
	done := make(chan unix.WaitStatus, 1)
	go func() {
		ws, err := libcontainer.WaitPid(pid)
		if err != nil {
			ws = unix.WaitStatus(255 << 8)
		}
		done <- ws
	}()
	for {
		select {
		case ws := <-done:
			if ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ws.ExitStatus()
		case s := <-sigs:
			sig := s.(unix.Signal)
			switch sig {
			case unix.SIGCHLD, unix.SIGURG, unix.SIGPIPE:
				continue
			case unix.SIGWINCH:
				if tty != nil {
					tty.resize()
				}
				continue
			}
			unix.Kill(pid, sig)
		}
	}
}

func socketPair() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("console socket pair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "console"), os.NewFile(uintptr(fds[1]), "console-remote"), nil
}

// ttyProxy copies between the caller's terminal and the container's pty,
// with containerd/console for the terminal modes and sizes, as runc does.
type ttyProxy struct {
	master console.Console
	// caller is the caller's terminal, nil when stdin is none.
	caller  console.Console
	out     sync.WaitGroup
	restore func()
}

func newTTYProxy(sock *os.File) (*ttyProxy, error) {
	f, err := receiveMaster(sock)
	if err != nil {
		return nil, err
	}
	master, err := console.ConsoleFromFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("receive pty master: %w", err)
	}
	// The caller's terminal stays a terminal (raw, but still turning \n
	// into \r\n), so the pty must not do it a second time; runc clears it
	// too, and output sent to a file carries no \r.
	if err := console.ClearONLCR(master.Fd()); err != nil {
		master.Close()
		return nil, fmt.Errorf("pty master: %w", err)
	}
	p := &ttyProxy{master: master, restore: func() {}}
	if caller, err := console.ConsoleFromFile(os.Stdin); err == nil {
		p.caller = caller
		caller.SetRaw()
		p.restore = sync.OnceFunc(func() { caller.Reset() })
		p.resize()
	}
	go io.Copy(master, os.Stdin)
	p.out.Add(1)
	go func() {
		defer p.out.Done()
		io.Copy(os.Stdout, master)
	}()
	return p, nil
}

// receiveMaster reads the pty master the init sends over the console
// socket pair.
func receiveMaster(sock *os.File) (*os.File, error) {
	buf := make([]byte, 256)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, 0)
	if err != nil {
		return nil, fmt.Errorf("receive pty master: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) == 0 {
		return nil, errors.New("receive pty master: no fd sent")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) == 0 {
		return nil, errors.New("receive pty master: no fd sent")
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), nil
}

func (p *ttyProxy) resize() {
	if p.caller != nil {
		p.master.ResizeFrom(p.caller)
	}
}

// wait lets the container's last output through: the master reads EIO
// once the last holder of the slave is gone.
func (p *ttyProxy) wait() {
	p.out.Wait()
}
