package libcontainer

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"

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
func spawnInit(o spawnOpts) (cmd *exec.Cmd, sync, cfgW *os.File, fds childFds, err error) {
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
	cmd = &exec.Cmd{
		Path: exePath, Args: []string{"sprout", "init"}, Env: env, Dir: "/",
		Stdin: orStd(o.stdin, os.Stdin), Stdout: orStd(o.stdout, os.Stdout), Stderr: orStd(o.stderr, os.Stderr),
		ExtraFiles: extra,
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, fds, fmt.Errorf("start container init: %w", err)
	}
	return cmd, sync, cfgW, fds, nil
}
