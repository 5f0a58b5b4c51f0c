package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/libcontainer"
	"github.com/sprout-runtime/sprout/spec"
)

var execCommand = &cli.Command{
	Name:      "exec",
	Usage:     "run a new process in a running container",
	ArgsUsage: "<container-id> [command [args...]]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "OCI process JSON file (replaces the command line)"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pty"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the process"},
		&cli.StringFlag{Name: "pid-file", Usage: "file to write the process's PID to"},
		&cli.StringFlag{Name: "cwd", Usage: "working directory in the container"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "environment variable KEY=VALUE"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "uid[:gid]"},
		&cli.Int64SliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "additional group IDs"},
		&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability"},
		&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs"},
		&cli.StringFlag{Name: "apparmor", Usage: "AppArmor profile"},
		&cli.StringFlag{Name: "process-label", Usage: "SELinux label"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many fds from 3 on to the process"},
		&cli.BoolFlag{Name: "ignore-paused", Usage: "exec even into a paused container"},
		&cli.StringSliceFlag{Name: "cgroup", Usage: "sub-cgroup of the container to run the process in: [controller[,controller...]:]path, repeatable"},
	},
	Action: withExecStatus(func(c *cli.Context) error {
		id, err := containerID(c)
		if err != nil {
			return err
		}
		ct, err := libcontainer.Load(c.String("root"), id)
		if err != nil {
			return err
		}
		s, err := ct.ExecSpec()
		if err != nil {
			return err
		}
		p, err := execProcess(c, s.Process)
		if err != nil {
			return err
		}
		sub, err := subCgroups(c.StringSlice("cgroup"))
		if err != nil {
			return err
		}
		if err := checkPreserveFds(c.Int("preserve-fds")); err != nil {
			return err
		}
		detach := c.Bool("detach")
		opts := libcontainer.ExecOptions{
			Process: p, PidFile: c.String("pid-file"), PreserveFds: c.Int("preserve-fds"),
			IgnorePaused: c.Bool("ignore-paused"), SubCgroups: sub,
		}
		var console *os.File
		if path := c.String("console-socket"); path != "" {
			f, err := dialConsole(path)
			if err != nil {
				return err
			}
			defer f.Close()
			opts.ConsoleSocket = f
		} else if p.Terminal {
			local, remote, err := foregroundConsole(detach, "a terminal")
			if err != nil {
				return err
			}
			defer local.Close()
			opts.ConsoleSocket, console = remote, local
		}
		var sigs *signalCatcher
		if !detach {
			sigs = catchSignals()
			opts.BeforeStart = sigs.wait
		}
		pid, err := ct.Exec(opts)
		if console != nil {
			opts.ConsoleSocket.Close()
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
				return err
			}
			defer tty.restore()
		}
		status := waitForeground(pid, sigs, tty)
		if tty != nil {
			tty.wait()
			tty.restore()
		}
		if status != 0 {
			return cli.Exit("", status)
		}
		return nil
	}),
}

// withExecStatus makes a failure of exec itself exit with 255, runc's
// status, which callers tell from the process's own; a missing container
// ID stays a usage error (1).
func withExecStatus(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		err := action(c)
		var ec cli.ExitCoder
		if err == nil || errors.As(err, &ec) || c.NArg() < 1 {
			return err
		}
		return cli.Exit(err, 255)
	}
}

// execProcess builds the process from --process or from the command line
// on top of the container's own process.
func execProcess(c *cli.Context, base *specs.Process) (*specs.Process, error) {
	if path := c.String("process"); path != "" {
		data, err := spec.ReadProcessFile(path)
		if err != nil {
			return nil, fmt.Errorf("--process: %w", err)
		}
		if len(data) == 0 {
			return nil, fmt.Errorf("--process %s: empty", path)
		}
		var p specs.Process
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("--process %s: %w", path, err)
		}
		return &p, nil
	}
	if c.NArg() < 2 {
		return nil, errors.New("exec: missing command (or --process)")
	}
	p := *base
	p.Args = c.Args().Tail()
	p.Terminal = c.Bool("tty")
	p.ConsoleSize = nil
	p.Env = append(append([]string(nil), base.Env...), c.StringSlice("env")...)
	if cwd := c.String("cwd"); cwd != "" {
		p.Cwd = cwd
	}
	if u := c.String("user"); u != "" {
		uid, gid, found := strings.Cut(u, ":")
		n, err := strconv.ParseUint(uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--user %q: want uid[:gid]", u)
		}
		p.User.UID = uint32(n)
		if found {
			g, err := strconv.ParseUint(gid, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("--user %q: want uid[:gid]", u)
			}
			p.User.GID = uint32(g)
		}
	}
	for _, g := range c.Int64Slice("additional-gids") {
		// uint32 would wrap 4294967296 to gid 0.
		if g < 0 || g > spec.MaxUserID {
			return nil, fmt.Errorf("--additional-gids %d: uids and gids must be in range 0-%d", g, spec.MaxUserID)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	if caps := c.StringSlice("cap"); len(caps) > 0 {
		var pc specs.LinuxCapabilities
		if base.Capabilities != nil {
			pc = *base.Capabilities
		}
		pc.Bounding = append(append([]string(nil), pc.Bounding...), caps...)
		pc.Effective = append(append([]string(nil), pc.Effective...), caps...)
		pc.Permitted = append(append([]string(nil), pc.Permitted...), caps...)
		pc.Inheritable = append(append([]string(nil), pc.Inheritable...), caps...)
		pc.Ambient = append(append([]string(nil), pc.Ambient...), caps...)
		p.Capabilities = &pc
	}
	if c.Bool("no-new-privs") {
		p.NoNewPrivileges = true
	}
	if v := c.String("apparmor"); v != "" {
		p.ApparmorProfile = v
	}
	if v := c.String("process-label"); v != "" {
		p.SelinuxLabel = v
	}
	return &p, nil
}

// subCgroups reads runc's --cgroup values: "path" for every hierarchy
// (alone only), or "controller[,controller...]:path" for those controllers.
func subCgroups(args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	sub := make(map[string]string, len(args))
	for _, a := range args {
		ctrls, path, found := strings.Cut(a, ":")
		if !found {
			if len(args) > 1 {
				return nil, fmt.Errorf("--cgroup %q: a path without controller: prefix must be the only --cgroup", a)
			}
			sub[""] = a
			continue
		}
		if strings.Contains(path, ":") {
			return nil, fmt.Errorf("--cgroup %q: want [controller[,controller...]:]path", a)
		}
		for _, ctrl := range strings.Split(ctrls, ",") {
			if ctrl == "" {
				return nil, fmt.Errorf("--cgroup %q: empty controller name", a)
			}
			if _, dup := sub[ctrl]; dup {
				return nil, fmt.Errorf("--cgroup: controller %s given more than once", ctrl)
			}
			sub[ctrl] = path
		}
	}
	return sub, nil
}
