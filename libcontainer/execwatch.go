package libcontainer

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// execWatch tells an init that died on its way to execve from one that
// exec'd. Both close the close-on-exec socket the parent waits on, and an
// init whose exec'ing thread alone was killed (a seccomp filter with
// SCMP_ACT_KILL, which kills the thread) keeps it open forever through its
// other threads.
type execWatch struct {
	pid   int
	start uint64
	// comm is the init's name before execve, which changes it.
	comm string
}

// pfExiting is the kernel's PF_EXITING task flag (/proc/<pid>/stat field 9).
const pfExiting = 0x4

type procStat struct {
	comm     string
	state    byte
	flags    uint64
	start    uint64
	exitCode int
}

// readProcStat reads the fields of /proc/<pid>/stat that execWatch needs;
// exit_code (field 52) is the wait status of a task that has exited.
func readProcStat(pid int) (*procStat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	s := string(data)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return nil, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[end+1:])
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 50 {
		return nil, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f)+2)
	}
	st := &procStat{comm: s[open+1 : end], state: f[0][0]}
	if st.flags, err = strconv.ParseUint(f[6], 10, 64); err != nil {
		return nil, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	if st.start, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return nil, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	if st.exitCode, err = strconv.Atoi(f[49]); err != nil {
		return nil, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return st, nil
}

// watchExec records the init before it is let go to execve.
func watchExec(pid int) *execWatch {
	st, err := readProcStat(pid)
	if err != nil {
		return nil
	}
	return &execWatch{pid: pid, start: st.start, comm: st.comm}
}

// diedBeforeExec reports how the init died when it is dead or dying (its
// main thread exited) without having exec'd. An init already reaped cannot
// be told from a process that exec'd and exited: that counts as exec'd.
func (w *execWatch) diedBeforeExec() (string, bool) {
	if w == nil {
		return "", false
	}
	st, err := readProcStat(w.pid)
	if err != nil || st.start != w.start || st.comm != w.comm {
		return "", false
	}
	if st.state != 'Z' && st.state != 'X' && st.flags&pfExiting == 0 {
		return "", false
	}
	if how := exitText(unix.WaitStatus(st.exitCode)); how != "" {
		return how, true
	}
	return "exited", true
}

// exitText says how a process ended by its wait status: "exit status 1",
// "killed by signal 9 (SIGKILL)", or "" when the status tells neither.
func exitText(ws unix.WaitStatus) string {
	switch {
	case ws.Signaled():
		return fmt.Sprintf("killed by signal %d (%s)", ws.Signal(), unix.SignalName(ws.Signal()))
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	}
	return ""
}

// kill ends what is left of a dead init's thread group, whose other
// threads would otherwise wait forever.
func (w *execWatch) kill() {
	fd, err := unix.PidfdOpen(w.pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if st, err := readProcStat(w.pid); err == nil && st.start == w.start {
		_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
}
