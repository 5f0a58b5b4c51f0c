package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Runner modes: runnerHost serves from the bench's own mount namespace,
// runnerCgroup2 from a private one (entered through unshare(1)) where cgroup2
// is mounted over /sys/fs/cgroup, which crun needs on this hybrid host.
const (
	runnerHost    = "host"
	runnerCgroup2 = "cgroup2"
)

// The runner reads requests from fd 3 and writes results to fd 4; stdout is
// kept away from the protocol so a dead bench gives EPIPE, not SIGPIPE.
const (
	requestFd = 3
	resultFd  = 4
)

// Process roles a cycle's peak RSS is broken down by.
const (
	roleCreate    = "create"
	roleStart     = "start"
	roleDelete    = "delete"
	roleExec      = "exec"
	roleContainer = "container"
	roleOther     = "other"
)

var roles = []string{roleCreate, roleStart, roleDelete, roleExec, roleContainer, roleOther}

// Timed phases of a cycle, in order.
const (
	phaseCreate = iota
	phaseStart
	phaseWait
	phaseDelete
	numPhases
)

var phaseNames = [numPhases]string{"create", "start", "wait", "delete"}

// Operations a runner serves: opCycle is the lifecycle cycle; the others
// make up the exec and many-containers scenarios (runner_scenarios.go).
const (
	opCycle    = ""
	opUp       = "up"       // create+start of a long-running container
	opExec     = "exec"     // exec /bin/true into it, timed
	opTeardown = "teardown" // delete --force of it
	opMany     = "many"     // Count containers up and down, Parallel at a time
)

// cycleRequest asks a runner for one operation.
type cycleRequest struct {
	Op       string
	Binary   string
	Global   []string // flags placed before every subcommand
	Bundle   string
	ID       string
	PidFile  string
	Pid      int           // opTeardown: the container process opUp reported
	Timeout  time.Duration // per command, and for the container to exit
	Count    int           // opMany: containers, IDs ID-0 .. ID-(Count-1)
	Parallel int           // opMany: commands in flight at once
}

// cycleResult is what a runner measured for one operation.
type cycleResult struct {
	Total  time.Duration
	Phases [numPhases]time.Duration
	MaxRSS map[string]int64 // KiB, by role
	Pid    int              // opUp: the container process
	Err    string
}

// serve is the runner's main loop: it becomes a child subreaper, so that the
// container processes the runtimes orphan are reparented to it and their
// rusage can be read with wait4, then runs cycles until fd 3 reaches EOF.
func serve(mode, hostMntNS string) error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
	}
	switch mode {
	case runnerHost:
	case runnerCgroup2:
		if err := mountCgroup2(hostMntNS); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown -runner mode %q", mode)
	}
	// The pipes arrive without O_CLOEXEC and must not leak into runtimes and
	// containers, which would keep the result pipe open after we exit.
	for _, fd := range []int{requestFd, resultFd} {
		unix.CloseOnExec(fd)
	}
	dec := json.NewDecoder(os.NewFile(requestFd, "requests"))
	enc := json.NewEncoder(os.NewFile(resultFd, "results"))
	d, err := newDriver()
	if err != nil {
		return err
	}
	for {
		var req cycleRequest
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read request: %w", err)
		}
		if err := enc.Encode(d.cycle(req)); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
	}
}

// mountCgroup2 mounts cgroup2 on /sys/fs/cgroup, after making sure that the
// mount cannot reach the host: the runner must be in a mount namespace other
// than the bench's, and /sys/fs/cgroup must not propagate as shared.
func mountCgroup2(hostMntNS string) error {
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return fmt.Errorf("read own mount namespace: %w", err)
	}
	if hostMntNS == "" || self == hostMntNS {
		return errors.New("refusing to mount cgroup2 on /sys/fs/cgroup: runner is not in a private mount namespace")
	}
	mounts, err := mountinfo.GetMounts(func(i *mountinfo.Info) (skip, stop bool) {
		return i.Mountpoint != "/sys/fs/cgroup", false
	})
	if err != nil {
		return fmt.Errorf("read mountinfo: %w", err)
	}
	for _, m := range mounts {
		if strings.Contains(m.Optional, "shared:") {
			return fmt.Errorf("refusing to mount cgroup2 on /sys/fs/cgroup: it has shared propagation (%s)", m.Optional)
		}
	}
	if err := unix.Mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, ""); err != nil {
		return fmt.Errorf("mount cgroup2 on /sys/fs/cgroup: %w", err)
	}
	return nil
}

// driver runs cycles; it owns the stdio given to every runtime command.
type driver struct {
	null   *os.File
	stderr *os.File // unlinked; holds the current command's stderr
	env    []string
}

func newDriver() (*driver, error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	f, err := os.CreateTemp("", "sprout-bench-stderr-")
	if err != nil {
		null.Close()
		return nil, fmt.Errorf("create stderr capture: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		null.Close()
		f.Close()
		return nil, fmt.Errorf("unlink stderr capture: %w", err)
	}
	return &driver{null: null, stderr: f, env: os.Environ()}, nil
}

// cycle is the state of one request while it runs.
type cycle struct {
	d      *driver
	req    cycleRequest
	res    cycleResult
	roles  map[int]string
	reaped map[int]unix.WaitStatus
	cpid   int       // container process, once the pid file is read
	cwatch *watchdog // kills the container if it outlives the timeout
}

func (d *driver) newCycle(req cycleRequest) *cycle {
	return &cycle{
		d:      d,
		req:    req,
		res:    cycleResult{MaxRSS: map[string]int64{}},
		roles:  map[int]string{},
		reaped: map[int]unix.WaitStatus{},
	}
}

func (d *driver) cycle(req cycleRequest) cycleResult {
	c := d.newCycle(req)
	var err error
	switch req.Op {
	case opCycle:
		err = c.run()
	case opUp:
		err = c.up()
	case opExec:
		err = c.exec()
	case opTeardown:
		err = c.teardown()
	case opMany:
		err = c.many()
	default:
		err = fmt.Errorf("unknown operation %q", req.Op)
	}
	if err != nil {
		c.abort()
	}
	if c.cwatch != nil {
		c.cwatch.stop()
	}
	// Long-running containers of the exec scenario stay between requests,
	// so only the other operations must leave nothing running.
	switch req.Op {
	case opUp, opExec, opTeardown:
		if _, serr := c.reapExited(); serr != nil && err == nil {
			err = serr
		}
	default:
		if serr := c.sweep(); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		c.res.Err = err.Error()
	}
	return c.res
}

func (c *cycle) run() error {
	t0 := time.Now()
	if err := c.command(roleCreate, "create", "--bundle", c.req.Bundle, "--pid-file", c.req.PidFile, c.req.ID); err != nil {
		return err
	}
	t1 := time.Now()
	if err := c.findContainer(); err != nil {
		return err
	}
	if err := c.command(roleStart, "start", c.req.ID); err != nil {
		return err
	}
	t2 := time.Now()
	if err := c.waitContainer(); err != nil {
		return err
	}
	t3 := time.Now()
	if err := c.command(roleDelete, "delete", c.req.ID); err != nil {
		return err
	}
	t4 := time.Now()
	c.res.Phases = [numPhases]time.Duration{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3)}
	c.res.Total = t4.Sub(t0)
	return nil
}

// findContainer reads the container's pid from the pid file that create
// wrote and arms a watchdog on it.
func (c *cycle) findContainer() error {
	if err := c.readPidFile(); err != nil {
		return err
	}
	if ws, gone := c.reaped[c.cpid]; gone {
		return fmt.Errorf("container process %d exited before start: %s", c.cpid, describe(ws))
	}
	w, err := newWatchdog(c.cpid, c.req.Timeout)
	if err != nil {
		return fmt.Errorf("container process %d: %w", c.cpid, err)
	}
	c.cwatch = w
	return nil
}

// readPidFile reads the container's pid from the pid file create wrote.
func (c *cycle) readPidFile() error {
	data, err := os.ReadFile(c.req.PidFile)
	if err != nil {
		return fmt.Errorf("create --pid-file: %w", err)
	}
	if err := os.Remove(c.req.PidFile); err != nil {
		return fmt.Errorf("remove pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return fmt.Errorf("create --pid-file %s: bad pid %q", c.req.PidFile, data)
	}
	c.cpid = pid
	return nil
}

// waitContainer waits for /bin/true to exit. The container is normally
// reparented to us once create exits, so wait4 reaps it and gives its rusage;
// if a runtime keeps another parent for it, the pidfd tells when it is gone.
func (c *cycle) waitContainer() error {
	if _, done := c.reaped[c.cpid]; !done {
		var ws unix.WaitStatus
		var ru unix.Rusage
		_, err := retryEINTR(func() (int, error) { return unix.Wait4(c.cpid, &ws, unix.WALL, &ru) })
		switch {
		case err == nil:
			c.record(c.cpid, ws, &ru)
		case errors.Is(err, unix.ECHILD):
			fds := []unix.PollFd{{Fd: int32(c.cwatch.fd), Events: unix.POLLIN}}
			if _, err := retryEINTR(func() (int, error) { return unix.Poll(fds, -1) }); err != nil {
				return fmt.Errorf("poll pidfd of container process %d: %w", c.cpid, err)
			}
		default:
			return fmt.Errorf("wait for container process %d: %w", c.cpid, err)
		}
	}
	if c.cwatch.stop() {
		return fmt.Errorf("container process %d still running after %s: killed", c.cpid, c.req.Timeout)
	}
	if ws, ok := c.reaped[c.cpid]; ok && (!ws.Exited() || ws.ExitStatus() != 0) {
		return fmt.Errorf("container process %d (/bin/true): %s", c.cpid, describe(ws))
	}
	return nil
}

// command runs one runtime subcommand to completion, reaping every child
// that exits meanwhile, and fails unless it exits 0.
func (c *cycle) command(role string, args ...string) error {
	ws, err := c.spawnWait(role, args...)
	if err != nil {
		return err
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return fmt.Errorf("%s %s: %s: %s", c.req.Binary, strings.Join(args, " "), describe(ws), c.d.capturedStderr())
	}
	return nil
}

func (c *cycle) spawnWait(role string, args ...string) (unix.WaitStatus, error) {
	if err := c.d.stderr.Truncate(0); err != nil {
		return 0, fmt.Errorf("reset stderr capture: %w", err)
	}
	if _, err := c.d.stderr.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("reset stderr capture: %w", err)
	}
	argv := append(append([]string{c.req.Binary}, c.req.Global...), args...)
	pid, err := syscall.ForkExec(c.req.Binary, argv, &syscall.ProcAttr{
		Env:   c.d.env,
		Files: []uintptr{c.d.null.Fd(), c.d.null.Fd(), c.d.stderr.Fd()},
	})
	if err != nil {
		return 0, fmt.Errorf("exec %s: %w", c.req.Binary, err)
	}
	c.roles[pid] = role
	w, err := newWatchdog(pid, c.req.Timeout)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", c.req.Binary, role, err)
	}
	ws, err := c.reapUntil(pid)
	if w.stop() {
		return ws, fmt.Errorf("%s %s: still running after %s: killed", c.req.Binary, strings.Join(args, " "), c.req.Timeout)
	}
	return ws, err
}

// reapUntil reaps any child until pid has exited: the runtimes' helper
// processes are reparented to us as they orphan, and their RSS counts too.
func (c *cycle) reapUntil(pid int) (unix.WaitStatus, error) {
	for {
		if ws, ok := c.reaped[pid]; ok {
			return ws, nil
		}
		var ws unix.WaitStatus
		var ru unix.Rusage
		got, err := retryEINTR(func() (int, error) { return unix.Wait4(-1, &ws, unix.WALL, &ru) })
		if err != nil {
			return 0, fmt.Errorf("wait4 for pid %d: %w", pid, err)
		}
		c.record(got, ws, &ru)
	}
}

// record keeps the peak RSS of a reaped child under its role. wait4's
// rusage also covers the descendants that child reaped itself.
func (c *cycle) record(pid int, ws unix.WaitStatus, ru *unix.Rusage) {
	role, ok := c.roles[pid]
	switch {
	case ok:
	case pid == c.cpid:
		role = roleContainer
	default:
		role = roleOther
	}
	c.res.MaxRSS[role] = max(c.res.MaxRSS[role], ru.Maxrss)
	c.reaped[pid] = ws
}

// abort cleans up after a failed cycle: force-delete the container, kill its
// process if it is still there, and let sweep reap the rest.
func (c *cycle) abort() {
	// The error that brought us here is what gets reported; a failing
	// forced delete of a half-created container is expected.
	_, _ = c.spawnWait(roleDelete, "delete", "-f", c.req.ID)
	if c.cwatch != nil {
		c.cwatch.kill()
	}
}

// sweep reaps the children the cycle left behind. A runtime must not leave
// processes running after delete: any found get a second to exit, are then
// killed through a pidfd, and are reported.
func (c *cycle) sweep() error {
	var leaked []int
	for try := 0; ; try++ {
		alive, err := c.reapExited()
		if err != nil {
			return err
		}
		if !alive {
			if len(leaked) > 0 {
				return fmt.Errorf("processes still running after delete, killed: %v", leaked)
			}
			return nil
		}
		switch {
		case try == 300:
			return fmt.Errorf("processes %v still running 2s after SIGKILL", leaked)
		case try >= 100:
			pids, err := childPids()
			if err != nil {
				return err
			}
			for _, pid := range pids {
				if killPid(pid) == nil && !slices.Contains(leaked, pid) {
					leaked = append(leaked, pid)
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// reapExited reaps the children that have already exited and reports
// whether any are still running.
func (c *cycle) reapExited() (alive bool, err error) {
	for {
		var ws unix.WaitStatus
		var ru unix.Rusage
		got, err := retryEINTR(func() (int, error) { return unix.Wait4(-1, &ws, unix.WALL|unix.WNOHANG, &ru) })
		switch {
		case errors.Is(err, unix.ECHILD):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("wait4: %w", err)
		case got == 0:
			return true, nil
		}
		c.record(got, ws, &ru)
	}
}

// childPids lists our live children by scanning /proc, since the kernel may
// lack /proc/<pid>/task/<tid>/children.
func childPids() ([]int, error) {
	self := os.Getpid()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, fmt.Errorf("list /proc: %w", err)
	}
	var pids []int
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // exited while we looked
		}
		// Fields after the parenthesised comm, which may hold spaces: state, ppid.
		rest := string(data[strings.LastIndexByte(string(data), ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) < 2 || fields[1] != strconv.Itoa(self) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// killPid sends SIGKILL through a pidfd; a pid is only ever killed while it
// is our unreaped child, so it cannot have been recycled.
func killPid(pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	return nil
}

// watchdog SIGKILLs a process that outlives its deadline. It signals through
// a pidfd so that a pid reaped and recycled meanwhile is never hit.
type watchdog struct {
	fd    int
	timer *time.Timer
	mu    sync.Mutex
	fired bool
	done  bool
}

func newWatchdog(pid int, timeout time.Duration) (*watchdog, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	w := &watchdog{fd: fd}
	w.timer = time.AfterFunc(timeout, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.done {
			w.fired = unix.PidfdSendSignal(w.fd, unix.SIGKILL, nil, 0) == nil
		}
	})
	return w, nil
}

// kill sends SIGKILL now, unless the watchdog is already stopped.
func (w *watchdog) kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		_ = unix.PidfdSendSignal(w.fd, unix.SIGKILL, nil, 0) // ESRCH: already gone
	}
}

// stop disarms the watchdog, closes its pidfd and reports whether it fired.
func (w *watchdog) stop() bool {
	w.timer.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.done = true
		unix.Close(w.fd)
	}
	return w.fired
}

func (d *driver) capturedStderr() string {
	buf := make([]byte, 4096)
	n, err := d.stderr.ReadAt(buf, 0)
	if n == 0 && err != nil && !errors.Is(err, io.EOF) {
		return fmt.Sprintf("(stderr unreadable: %v)", err)
	}
	if s := strings.TrimSpace(string(buf[:n])); s != "" {
		return s
	}
	return "(no stderr)"
}

func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by %s", ws.Signal())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}
