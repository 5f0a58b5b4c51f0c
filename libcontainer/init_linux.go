package libcontainer

// This file runs inside the container: in the init that `create` re-execs,
// after nsexec.c has put it into the container's namespaces and before it
// execs the container's process. It runs on one locked OS thread and
// starts no goroutines; the thread's credentials, capabilities and seccomp
// filter, which its process plan sets (plan_linux.go), are what the
// process inherits at execve. An exec'd process never gets here: its C
// stage runs the plan exec's parent built.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/capabilities"
	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
	"github.com/sprout-runtime/sprout/seccomp"
	"github.com/sprout-runtime/sprout/spec"
)

// IsInit tells main that this process is a container init, before it
// parses any flag.
func IsInit() bool {
	return len(os.Args) > 1 && os.Args[1] == "init" && os.Getenv("_SPROUT_SYNCFD") != ""
}

// Init is the container init's entry point. It returns only on failure,
// after telling the parent (or the starter) why.
func Init() {
	runtime.LockOSThread()
	ip := &initProcess{sync: envFile("_SPROUT_SYNCFD", "sync")}
	err := ip.run()
	if w := ip.waiter(); w != nil {
		sendSync(w, syncError, []byte(err.Error()))
	}
	os.Exit(1)
}

func envFile(name, label string) *os.File {
	fd := envFd(name)
	if fd < 0 {
		return nil
	}
	return os.NewFile(uintptr(fd), label)
}

// envFd takes the fd named by an environment variable, close-on-exec, or
// -1.
func envFd(name string) int {
	v := os.Getenv(name)
	os.Unsetenv(name)
	fd, err := strconv.Atoi(v)
	if v == "" || err != nil {
		return -1
	}
	unix.CloseOnExec(fd)
	return fd
}

type initProcess struct {
	cfg    initConfig
	sync   *os.File
	conn   *os.File
	rootfs *rootfs
}

func (ip *initProcess) run() error {
	cfgFile := envFile("_SPROUT_CONFIGFD", "config")
	startFile := envFile("_SPROUT_STARTFD", "start")
	// A plain fd: the plan sends it the pty and closes it.
	consoleFd := envFd("_SPROUT_CONSOLEFD")
	if ip.sync == nil || cfgFile == nil {
		return errors.New("init started without its file descriptors")
	}
	if err := json.NewDecoder(cfgFile).Decode(&ip.cfg); err != nil {
		return fmt.Errorf("read init config: %w", err)
	}
	s, err := spec.ParseForInit(ip.cfg.SpecJSON)
	if err != nil {
		return fmt.Errorf("read init config: %w", err)
	}
	ip.cfg.Spec, ip.cfg.SpecJSON = s, nil
	cfgFile.Close()
	if ip.cfg.Debug {
		Debug = ip.sendLog
	}
	if startFile == nil {
		return errors.New("init started without its start socket")
	}
	caps, _, err := capabilities.Parse(s.Process.Capabilities)
	if err != nil {
		return err
	}

	if !ip.cfg.NoNewKeyring {
		_, userNs := spec.Namespaces(s)[specs.UserNamespace]
		if err := joinSessionKeyring(ip.cfg.ID, userNs); err != nil {
			return err
		}
	}
	ip.rootfs = newRootfs(&ip.cfg, ip.sync)
	if err := ip.rootfs.prepare(); err != nil {
		return err
	}
	debugf("rootfs %s prepared", ip.cfg.Rootfs)
	if ip.cfg.ParentHooks {
		if err := ip.askParent(syncHooks); err != nil {
			return err
		}
	}
	if s.Hooks != nil && len(s.Hooks.CreateContainer) > 0 {
		// From the container's root, as in runc: a relative path in a hook
		// must name a file of the container, never one under the host's /.
		if err := unix.Fchdir(int(ip.rootfs.root.Fd())); err != nil {
			return fmt.Errorf("hooks.createContainer: enter the rootfs: %w", err)
		}
		st := ip.state(specs.StateCreated)
		if err := runHooksStrict(s.Hooks.CreateContainer, "createContainer", st); err != nil {
			return err
		}
	}
	// Through the host's procfs, before pivot_root: the container's /proc
	// is the bundle's to shape, and a write there could be redirected
	// (CVE-2025-52881). /proc/sys answers for the writer's namespaces.
	if err := writeSysctls(s.Linux.Sysctl); err != nil {
		return err
	}
	if err := ip.rootfs.pivot(); err != nil {
		return err
	}
	debugf("entered the rootfs (no pivot: %v)", ip.cfg.NoPivot)
	if err := reopenDevNull(); err != nil {
		return err
	}
	if err := setHostnames(s); err != nil {
		return err
	}
	// The pty first: /dev/console is bound on a /dev that finish may make
	// read-only, as runc orders it.
	if err := setupStdio(s.Process, consoleFd); err != nil {
		return err
	}
	if err := ip.rootfs.finish(); err != nil {
		return err
	}
	debugf("masked and read-only paths applied")
	var prepare, confine nsexec.Plan
	planPrepare(&prepare, s.Process, ip.cfg.PreserveFds)
	if err := prepare.Run(-1); err != nil {
		return err
	}
	filter, err := seccomp.Compile(s.Linux.Seccomp)
	if err != nil {
		return err
	}
	if err := planConfine(&confine, s, caps, filter, false); err != nil {
		return err
	}
	home := homeDir(s.Process.User.UID)

	if err := sendSync(ip.sync, syncReady, nil); err != nil {
		return err
	}
	ip.sync.Close()
	ip.sync = nil
	conn, err := waitStart(startFile)
	if err != nil {
		return err
	}
	ip.conn = conn
	debugf("start received")
	return ip.finalize(&confine, home)
}

// reopenDevNull points the init's stdio that is the host's null device
// (what engines give a detached container) at the container's /dev/null,
// as runc does: criu cannot dump a file on a mount outside the
// container's mount namespace. Runs in the init, after pivot_root.
func reopenDevNull() error {
	var null unix.Stat_t
	f, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
	if err != nil {
		// A rootfs without /dev/null keeps the stdio it was given.
		return nil
	}
	defer f.Close()
	if err := unix.Fstat(int(f.Fd()), &null); err != nil || null.Mode&unix.S_IFMT != unix.S_IFCHR {
		return nil
	}
	for fd := 0; fd < 3; fd++ {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != null.Rdev {
			continue
		}
		if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
			return fmt.Errorf("stdio: reopen fd %d on the container's /dev/null: %w", fd, err)
		}
	}
	return nil
}

// setupStdio gives the init's process its pty, bound at /dev/console
// too, or a session of its own without one.
func setupStdio(p *specs.Process, consoleFd int) error {
	var pl nsexec.Plan
	if err := planStdio(&pl, p, consoleFd); err != nil {
		return err
	}
	if !p.Terminal && consoleFd >= 0 {
		unix.Close(consoleFd)
	}
	if err := pl.Run(-1); err != nil {
		return err
	}
	if p.Terminal {
		return bindConsole(0)
	}
	return nil
}

func (ip *initProcess) state(status specs.ContainerState) specs.State {
	return specs.State{
		Version: specs.Version, ID: ip.cfg.ID, Status: status, Pid: os.Getpid(),
		Bundle: ip.cfg.Bundle, Annotations: ip.cfg.Spec.Annotations,
	}
}

// waiter is the socket of whoever waits on the init: the parent during
// set-up (sync), afterwards the starter or exec (conn); the init holds
// one of them at a time.
func (ip *initProcess) waiter() *os.File {
	if ip.conn != nil {
		return ip.conn
	}
	return ip.sync
}

// sendLog passes a debug line of the init to whoever waits on it.
func (ip *initProcess) sendLog(msg string) {
	if w := ip.waiter(); w != nil {
		sendSync(w, syncLog, []byte(msg))
	}
}

// askParent stops the init until the parent has done its part of a step.
func (ip *initProcess) askParent(what syncType) error {
	if err := sendSync(ip.sync, what, nil); err != nil {
		return err
	}
	if _, err := expectSync(int(ip.sync.Fd()), syncAck); err != nil {
		return fmt.Errorf("wait for parent (%s): %w", what, err)
	}
	return nil
}

// waitStart blocks until `sprout start` connects to the start socket.
func waitStart(listener *os.File) (*os.File, error) {
	for {
		nfd, _, err := unix.Accept4(int(listener.Fd()), unix.SOCK_CLOEXEC)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("wait for start: %w", err)
		}
		listener.Close()
		conn := os.NewFile(uintptr(nfd), "start-conn")
		if _, err := expectSync(nfd, syncStart); err != nil {
			conn.Close()
			return nil, fmt.Errorf("start socket: %w", err)
		}
		return conn, nil
	}
}

// finalize turns the init into the container's process: its confinement
// plan, startContainer hooks, execve. It returns only on failure.
func (ip *initProcess) finalize(confine *nsexec.Plan, home string) error {
	s := ip.cfg.Spec
	p := s.Process
	if err := confine.Run(int(ip.conn.Fd())); err != nil {
		return err
	}
	// Last, as in runc: the hooks run as the process will, with its user,
	// capabilities and seccomp filter.
	if s.Hooks != nil && len(s.Hooks.StartContainer) > 0 {
		if err := runHooksStrict(s.Hooks.StartContainer, "startContainer", ip.state(specs.StateCreated)); err != nil {
			return err
		}
	}
	debugf("credentials %d:%d, capabilities and seccomp set; exec %s %q", p.User.UID, p.User.GID, nsexec.Program(), p.Args)
	var exec nsexec.Plan
	planExecve(&exec, p, home)
	return exec.Run(int(ip.conn.Fd()))
}

func hasEnv(env []string, key string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, key+"=") {
			return true
		}
	}
	return false
}

func setHostnames(s *specs.Spec) error {
	if s.Hostname != "" {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return fmt.Errorf("hostname: %w", err)
		}
	}
	if s.Domainname != "" {
		if err := unix.Setdomainname([]byte(s.Domainname)); err != nil {
			return fmt.Errorf("domainname: %w", err)
		}
	}
	return nil
}

func writeSysctls(sysctl map[string]string) error {
	for k, v := range sysctl {
		path := "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
		if err := writeProc(path, v); err != nil {
			return fmt.Errorf("linux.sysctl %q: %w", k, err)
		}
	}
	return nil
}
