package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// spawnOpts are what a new init stage inherits besides its sync socket
// and config pipe.
type spawnOpts struct {
	preserveFds           int
	start, console        *os.File // optional
	stdin, stdout, stderr *os.File // nil: the caller's own
}

// childFds are the numbers of sprout's fds in the init stage; -1: none.
type childFds struct {
	config, console int
}

// spawnInit starts the binary's init stage, for create and for exec alike:
// the caller's preserved fds stay at 3.., sprout's own fds follow and are
// named in the environment. It returns the parent's ends of the sync socket
// and of the config pipe, and the child's fd numbers. Only the init keeps
// the child's ends, so a read sees EOF when it dies.
func spawnInit(o spawnOpts) (st *stage, sync, cfgW *os.File, fds childFds, err error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, nil, fds, fmt.Errorf("sync socket: %w", err)
	}
	sync = os.NewFile(uintptr(pair[0]), "sync")
	childSync := os.NewFile(uintptr(pair[1]), "sync-child")
	defer childSync.Close()
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		sync.Close()
		return nil, nil, nil, fds, err
	}
	defer cfgR.Close()
	defer func() {
		if err != nil {
			sync.Close()
			cfgW.Close()
		}
	}()
	extra := make([]*os.File, 0, o.preserveFds+4)
	for i := 0; i < o.preserveFds; i++ {
		extra = append(extra, os.NewFile(uintptr(3+i), "preserved"))
	}
	// The init runs on one locked thread with no goroutines of its own: a
	// second P would only cost it memory. Nothing it starts inherits this.
	env := []string{"GOMAXPROCS=1"}
	pass := func(name string, f *os.File) int {
		fd := 3 + len(extra)
		env = append(env, name+"="+strconv.Itoa(fd))
		extra = append(extra, f)
		return fd
	}
	fds = childFds{config: -1, console: -1}
	pass("_SPROUT_SYNCFD", childSync)
	fds.config = pass("_SPROUT_CONFIGFD", cfgR)
	if o.start != nil {
		pass("_SPROUT_STARTFD", o.start)
	}
	if o.console != nil {
		fds.console = pass("_SPROUT_CONSOLEFD", o.console)
	}
	exe, exePath, err := selfExe()
	if err != nil {
		return nil, nil, nil, fds, err
	}
	defer exe.Close()
	files := []*os.File{orStd(o.stdin, os.Stdin), orStd(o.stdout, os.Stdout), orStd(o.stderr, os.Stderr)}
	files = append(files, extra...)
	fdList := make([]uintptr, len(files))
	for i, f := range files {
		fdList[i] = f.Fd()
	}
	pid, err := syscall.ForkExec(exePath, []string{"sprout", "init"}, &syscall.ProcAttr{Dir: "/", Env: env, Files: fdList})
	runtime.KeepAlive(files)
	if err != nil {
		return nil, nil, nil, fds, fmt.Errorf("start container init: %w", err)
	}
	return &stage{pid: pid}, sync, cfgW, fds, nil
}

// stage is the init stage's process. It is started with syscall.ForkExec,
// not os/exec: os.StartProcess first probes for pidfd support with a vfork
// of its own, 0.1-0.15 ms of every create and exec.
type stage struct {
	pid    int
	reaped bool
}

// Wait reaps the stage; an exit other than 0 is an error that says how it
// ended.
func (s *stage) Wait() error {
	if s.reaped {
		return nil
	}
	ws, err := WaitPid(s.pid)
	if err != nil {
		return err
	}
	s.reaped = true
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return errors.New(exitText(ws))
	}
	return nil
}

// kill ends a stage that was not reaped yet, and reaps it.
func (s *stage) kill() {
	if s.reaped {
		return
	}
	unix.Kill(s.pid, unix.SIGKILL)
	s.Wait()
}
