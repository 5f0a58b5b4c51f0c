// Command sprout is an OCI container runtime with runc's command line.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/libcontainer"
	_ "github.com/sprout-runtime/sprout/libcontainer/nsexec"
	_ "github.com/sprout-runtime/sprout/libcontainer/startup"
)

// Set by the Makefile.
var (
	version = "0.1.0-dev"
	commit  = "unknown"
)

func init() {
	if libcontainer.IsInit() {
		// The init's credentials and capabilities live on one thread (its
		// GOMAXPROCS=1 comes with its environment, see spawnInit).
		runtime.LockOSThread()
	}
}

func main() {
	if libcontainer.IsInit() {
		libcontainer.Init()
	}
	app := newApp()
	if err := app.Run(reorderArgs(app, os.Args)); err != nil {
		code := 1
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			code = ec.ExitCode()
			if ec.Error() == "" {
				os.Exit(code)
			}
		}
		logError(err)
		os.Exit(code)
	}
}

func newApp() *cli.App {
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Printf("sprout version %s\ncommit: %s\nspec: %s\n", version, commit, specs.Version)
	}
	return &cli.App{
		Name:                 "sprout",
		Usage:                "run OCI containers",
		Version:              version,
		EnableBashCompletion: false,
		HideHelpCommand:      true,
		// As runc's: a repeated flag gives one value per use, and a comma
		// belongs to the value (exec --cgroup cpu,cpuacct:path, -e A=1,2).
		DisableSliceFlagSeparator: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: defaultRoot(), Usage: "directory for container state"},
			&cli.StringFlag{Name: "log", Usage: "log file (default: stderr only)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.BoolFlag{Name: "debug", Usage: "log debug messages"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "manage cgroups through systemd"},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "rootless mode: true, false or auto"},
			&cli.StringFlag{Name: "criu", Value: "criu", Usage: "path to the criu binary used for checkpoint and restore"},
		},
		Before: setup,
		Commands: []*cli.Command{
			createCommand, startCommand, runCommand, stateCommand, killCommand,
			deleteCommand, listCommand, specCommand, execCommand, featuresCommand,
			pauseCommand, resumeCommand, psCommand, eventsCommand, updateCommand,
			checkpointCommand, restoreCommand,
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
}

// logSink receives warnings and debug lines: the --log file, else stderr.
var logSink io.Writer = os.Stderr

func setup(c *cli.Context) error {
	switch c.String("log-format") {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format: unknown format %q (want text or json)", c.String("log-format"))
	}
	logFormat = c.String("log-format")
	if p := c.String("log"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("--log %s: %w", p, err)
		}
		logSink = f
	}
	switch c.String("rootless") {
	case "auto", "false", "true":
	default:
		return fmt.Errorf("--rootless: want true, false or auto, got %q", c.String("rootless"))
	}
	libcontainer.Warn = func(msg string) { logLine("warning", msg) }
	if c.Bool("debug") {
		libcontainer.Debug = func(msg string) { logLine("debug", msg) }
		logLine("debug", "sprout "+version+" "+strings.Join(os.Args[1:], " "))
	}
	return nil
}

// defaultRoot is runc's choice: a user that is not root keeps its state
// in its own runtime directory, and so does one that is root only in a
// user namespace (rootless Podman runs the runtime so), unless $USER
// says it is the host's root.
func defaultRoot() string {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir != "" && (os.Geteuid() != 0 || (libcontainer.InUserNamespace() && os.Getenv("USER") != "root")) {
		return filepath.Join(dir, "sprout")
	}
	return "/run/sprout"
}

// rootless resolves --rootless: auto is rootless when not root or inside
// a user namespace, as in runc.
func rootless(c *cli.Context) bool {
	switch c.String("rootless") {
	case "true":
		return true
	case "false":
		return false
	}
	return os.Geteuid() != 0 || libcontainer.InUserNamespace()
}

var logFormat = "text"

// logLine writes one line in runc's formats: logfmt for text, one JSON
// object for json. Warnings are always written (runc prints them at its
// default level); debug lines only reach here with --debug.
func logLine(level, msg string) {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if logFormat == "json" {
		b, _ := json.Marshal(map[string]string{"level": level, "msg": msg, "time": now})
		fmt.Fprintf(logSink, "%s\n", b)
		return
	}
	fmt.Fprintf(logSink, "time=%q level=%s msg=%q\n", now, level, msg)
}

// logError reports a failed command: one line on stderr, and the log file
// for engines that only read that.
func logError(err error) {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if logSink != os.Stderr {
		logLine("error", msg)
	}
	fmt.Fprintf(os.Stderr, "sprout: %s\n", msg)
}

// containerID takes the single ID argument every container command has.
func containerID(c *cli.Context) (string, error) {
	if c.NArg() < 1 {
		return "", fmt.Errorf("%s: missing container ID", c.Command.Name)
	}
	return c.Args().First(), nil
}

// loadOnly loads the container named by the single argument of a
// command that takes nothing else.
func loadOnly(c *cli.Context) (*libcontainer.Container, error) {
	if err := checkArgs(c, 1, 1); err != nil {
		return nil, err
	}
	return libcontainer.Load(c.String("root"), c.Args().First())
}

func checkArgs(c *cli.Context, min, max int) error {
	if c.NArg() < min || (max >= 0 && c.NArg() > max) {
		return fmt.Errorf("%s: wrong number of arguments (usage: sprout %s %s)", c.Command.Name, c.Command.Name, c.Command.ArgsUsage)
	}
	return nil
}
