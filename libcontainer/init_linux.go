package libcontainer

// This file runs inside the container: in the init that `create` re-execs,
// after nsexec.c has put it into the container's namespaces and before it
// execs the container's process. It runs on one locked OS thread and
// starts no goroutines; the thread's credentials, capabilities and seccomp
// filter are what the process inherits at execve.

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
	v := os.Getenv(name)
	os.Unsetenv(name)
	if v == "" {
		return nil
	}
	fd, err := strconv.Atoi(v)
	if err != nil {
		return nil
	}
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), label)
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
	consoleFile := envFile("_SPROUT_CONSOLEFD", "console")
	if ip.sync == nil || cfgFile == nil {
		return errors.New("init started without its file descriptors")
	}
	if err := json.NewDecoder(cfgFile).Decode(&ip.cfg); err != nil {
		return fmt.Errorf("read init config: %w", err)
	}
	s, err := spec.Parse(ip.cfg.SpecJSON)
	if err != nil {
		return fmt.Errorf("read init config: %w", err)
	}
	ip.cfg.Spec, ip.cfg.SpecJSON = s, nil
	cfgFile.Close()
	if ip.cfg.Debug {
		Debug = ip.sendLog
	}
	if ip.cfg.Exec {
		return ip.runExec(consoleFile)
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
	if err := setupStdio(s.Process, consoleFile, true); err != nil {
		return err
	}
	if err := ip.rootfs.finish(); err != nil {
		return err
	}
	debugf("masked and read-only paths applied")
	argv0, err := ip.prepareProcess(s.Process)
	if err != nil {
		return err
	}

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
	return ip.finalize(caps, argv0)
}

// runExec turns the init into a process of a running container: the
// namespaces, cgroup and rootfs are the container's already.
func (ip *initProcess) runExec(consoleFile *os.File) error {
	// The parent reads errors as text until the socket closes at execve.
	ip.conn, ip.sync = ip.sync, nil
	p := ip.cfg.Spec.Process
	caps, _, err := capabilities.Parse(p.Capabilities)
	if err != nil {
		return err
	}
	if err := setupStdio(p, consoleFile, false); err != nil {
		return err
	}
	argv0, err := ip.prepareProcess(p)
	if err != nil {
		return err
	}
	return ip.finalize(caps, argv0)
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

// setupStdio gives the process its pty (and, for the container's own init,
// /dev/console), or a session of its own without one.
func setupStdio(p *specs.Process, consoleFile *os.File, devConsole bool) error {
	if p.Terminal {
		return setupConsole(consoleFile, p.ConsoleSize, devConsole)
	}
	if consoleFile != nil {
		consoleFile.Close()
	}
	// A session of its own, as runc gives every container process: criu
	// refuses a tree whose session leader is outside it.
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	return nil
}

// prepareProcess finds the process's program and checks its cwd. It
// returns the program's path; every fd the process must not inherit is
// close-on-exec from then on.
func (ip *initProcess) prepareProcess(p *specs.Process) (string, error) {
	argv0, err := lookPath(p.Args[0], p.Env)
	if err != nil {
		return "", fmt.Errorf("process.args[0] %q: %w", p.Args[0], err)
	}
	if err := checkCwd(p.Cwd); err != nil {
		return "", err
	}
	if err := closeExecFrom(3 + ip.cfg.PreserveFds); err != nil {
		return "", err
	}
	return argv0, nil
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

// finalize turns the init into the container's process: startContainer
// hooks, credentials, capabilities, seccomp, execve. It returns only on
// failure.
func (ip *initProcess) finalize(caps *capabilities.Set, argv0 string) error {
	s := ip.cfg.Spec
	p := s.Process
	var filter *seccomp.Filter
	if s.Linux.Seccomp != nil {
		f, err := seccomp.Compile(s.Linux.Seccomp)
		if err != nil {
			return err
		}
		filter = f
	}
	// After the filter is compiled: a low RLIMIT_AS or RLIMIT_DATA would
	// leave libseccomp no memory to build it.
	if err := setRlimits(p.Rlimits); err != nil {
		return err
	}
	loadSeccomp := func() error {
		fd, err := filter.Install()
		if err != nil {
			return fmt.Errorf("linux.seccomp: %w", err)
		}
		if fd < 0 {
			return nil
		}
		// Handed over at once: a profile may notify on a syscall the init
		// makes before execve, and only the listener can answer it.
		defer unix.Close(fd)
		if err := sendSync(ip.conn, syncSeccompFd, nil, fd); err != nil {
			return fmt.Errorf("linux.seccomp.listenerPath: hand over notify fd: %w", err)
		}
		return nil
	}
	// Before any filter, so that a profile need not allow these. The cwd
	// as root first, as runc does: the runtime may reach a cwd that the
	// process's user cannot, and the user one that root cannot (a
	// root-squashed volume), so a refusal is retried once the user is set.
	cwdLater := false
	if err := unix.Chdir(p.Cwd); err != nil {
		if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("process.cwd %q: %w", p.Cwd, err)
		}
		cwdLater = true
	}
	if err := chownStdio(p.User.UID); err != nil {
		return err
	}
	if err := setSchedAndPolicies(s); err != nil {
		return err
	}
	// Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
	// process may be about to lose.
	if !p.NoNewPrivileges {
		if err := loadSeccomp(); err != nil {
			return err
		}
	}
	if err := caps.DropBounding(); err != nil {
		return fmt.Errorf("process.capabilities.bounding: %w", err)
	}
	if err := setUser(p.User); err != nil {
		return err
	}
	if err := caps.Apply(); err != nil {
		return fmt.Errorf("process.capabilities: %w", err)
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("process.noNewPrivileges: %w", err)
		}
	}
	if p.User.Umask != nil {
		unix.Umask(int(*p.User.Umask))
	}
	if cwdLater {
		if err := unix.Chdir(p.Cwd); err != nil {
			return fmt.Errorf("process.cwd %q: %w", p.Cwd, err)
		}
	}
	if err := applyLSM(p, spec.LSMEnabled("apparmor"), spec.LSMEnabled("selinux")); err != nil {
		return err
	}
	if p.NoNewPrivileges {
		// As late as possible, so a profile that blocks what the init
		// needs cannot break it: only the fd hand-over and execve follow.
		if err := loadSeccomp(); err != nil {
			return err
		}
	}
	if err := setPersonality(s.Linux); err != nil {
		return err
	}
	// Last, as in runc: the hooks run as the process will, with its user,
	// capabilities and seccomp filter.
	if !ip.cfg.Exec && s.Hooks != nil && len(s.Hooks.StartContainer) > 0 {
		if err := runHooksStrict(s.Hooks.StartContainer, "startContainer", ip.state(specs.StateCreated)); err != nil {
			return err
		}
	}
	env := p.Env
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+homeDir(p.User.UID))
	}
	// The spec leaves the container's own init out of execCPUAffinity.
	if ip.cfg.Exec {
		if err := setFinalAffinity(p); err != nil {
			return err
		}
	}
	debugf("credentials %d:%d, capabilities and seccomp set; exec %s %q", p.User.UID, p.User.GID, argv0, p.Args)
	err := unix.Exec(argv0, p.Args, env)
	return fmt.Errorf("exec %s: %w", argv0, err)
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

// checkCwd resolves process.cwd inside the container's root without magic
// links, so a cwd like /proc/self/fd/N can never name a directory outside
// it (CVE-2024-21626).
func checkCwd(cwd string) error {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := unix.Openat2(unix.AT_FDCWD, cwd, how)
	if err != nil {
		return fmt.Errorf("process.cwd %q: not a directory in the container: %w", cwd, err)
	}
	unix.Close(fd)
	return nil
}

func setRlimits(limits []specs.POSIXRlimit) error {
	for _, l := range limits {
		res := spec.Rlimits[l.Type]
		if err := unix.Prlimit(0, res, &unix.Rlimit{Cur: l.Soft, Max: l.Hard}, nil); err != nil {
			return fmt.Errorf("process.rlimits %s (soft %d, hard %d): %w", l.Type, l.Soft, l.Hard, err)
		}
	}
	return nil
}

// closeExecFrom marks every fd from first up close-on-exec, so that no fd
// of the runtime reaches the container's process.
func closeExecFrom(first int) error {
	if err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return nil
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("list fds: %w", err)
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= first {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}
