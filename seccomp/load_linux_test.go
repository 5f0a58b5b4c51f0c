package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// allowList is a Docker-default-like allow list: what a dynamically linked
// program and the Go runtime need, without acct, reboot, personality, fchdir.
var allowList = []string{
	"accept", "accept4", "access", "alarm", "arch_prctl", "bind", "brk",
	"capget", "capset", "chdir", "chmod", "chown", "clock_getres",
	"clock_gettime", "clock_nanosleep", "close", "close_range", "connect",
	"copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
	"epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
	"faccessat2", "fadvise64", "fallocate", "fchmod", "fchmodat", "fchownat",
	"fcntl", "fdatasync", "flock", "fork", "fstat", "fstatfs", "fsync",
	"ftruncate", "futex", "getcwd", "getdents64", "getegid", "geteuid",
	"getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid",
	"getpriority", "getrandom", "getresgid", "getresuid", "getrlimit",
	"getrusage", "getsid", "getsockname", "getsockopt", "gettid",
	"gettimeofday", "getuid", "getxattr", "inotify_add_watch", "inotify_init1",
	"ioctl", "kill", "lseek", "lstat", "madvise", "membarrier", "memfd_create",
	"mincore", "mkdir", "mkdirat", "mmap", "mprotect", "mremap", "munmap",
	"nanosleep", "newfstatat", "open", "openat", "openat2", "pipe", "pipe2",
	"poll", "ppoll", "prctl", "pread64", "preadv", "prlimit64", "pselect6",
	"pwrite64", "read", "readlink", "readlinkat", "readv", "recvfrom",
	"recvmsg", "rename", "renameat", "renameat2", "restart_syscall", "rmdir",
	"rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
	"rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
	"sched_getaffinity", "sched_yield", "select", "sendfile", "sendmsg",
	"sendto", "set_robust_list", "set_tid_address", "setgid", "setgroups",
	"setitimer", "setpgid", "setsid", "setsockopt", "setuid", "shutdown",
	"sigaltstack", "socket", "socketpair", "stat", "statfs", "statx",
	"symlink", "symlinkat", "sysinfo", "tgkill", "time", "timer_create",
	"timer_delete", "timer_settime", "timerfd_create", "timerfd_settime",
	"tkill", "truncate", "umask", "uname", "unlink", "unlinkat", "utimensat",
	"vfork", "wait4", "waitid", "write", "writev",
	// Unknown to libseccomp: must be skipped, not rejected.
	"sprout_no_such_syscall",
}

// extraArches are the non-native ABIs a Docker-like profile adds.
func extraArches() []specs.Arch {
	switch runtime.GOARCH {
	case "amd64":
		return []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	case "arm64":
		return []specs.Arch{specs.ArchAARCH64, specs.ArchARM}
	}
	return nil
}

func TestLoadAllowListRunsProgram(t *testing.T) {
	profile := specs.LinuxSeccomp{
		// No defaultErrnoRet: EPERM, as runc.
		DefaultAction: specs.ActErrno,
		Architectures: extraArches(),
		Syscalls: []specs.LinuxSyscall{
			{Names: allowList, Action: specs.ActAllow},
			{Names: []string{"fchdir"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EUSERS))},
		},
	}
	res := runHelper(t, helperPlan{
		Profile: profile,
		Calls: []probe{
			{Name: "getpid", Nr: unix.SYS_GETPID},
			// Unfiltered, root gets EINVAL (bad magic) and EFAULT (bad path).
			{Name: "reboot", Nr: unix.SYS_REBOOT},
			{Name: "acct", Nr: unix.SYS_ACCT, Args: [3]uintptr{1}},
			// Unfiltered: EBADF.
			{Name: "fchdir", Nr: unix.SYS_FCHDIR, Args: [3]uintptr{0x1234}},
		},
		Exec: []string{"/bin/cat", "/proc/self/status"},
	})
	res.mustSucceed(t)
	res.expect(t, map[string]string{
		"fd":         "-1",
		"getpid":     okResult(uintptr(res.pid)),
		"reboot":     errnoResult(unix.EPERM),
		"acct":       errnoResult(unix.EPERM),
		"fchdir":     errnoResult(unix.EUSERS),
		"goroutines": sameGoroutines(res.vals["goroutines"]),
	})
	// The exec'd cat reports its own status: it ran, under one filter,
	// without no_new_privs.
	for key, want := range map[string]string{"Name": "cat", "Seccomp": "2", "Seccomp_filters": "1", "NoNewPrivs": "0"} {
		if got := statusField(res.stdout, key); got != want {
			t.Errorf("exec'd program's %s = %q, want %q\n%s", key, got, want, res)
		}
	}
}

// sameGoroutines returns the "n->n" form of a before->after report, so a
// report whose counts differ fails the comparison.
func sameGoroutines(report string) string {
	before, _, _ := strings.Cut(report, "->")
	return before + "->" + before
}

func TestLoadActions(t *testing.T) {
	res := runHelper(t, helperPlan{
		Profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"fchdir"}, Action: specs.ActErrno},
				{Names: []string{"acct"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EUSERS))},
				// errnoRet 0 fakes success without running the syscall.
				{Names: []string{"fchmod"}, Action: specs.ActErrno, ErrnoRet: uintp(0)},
				// Without a tracer the kernel fails a traced syscall with ENOSYS.
				{Names: []string{"reboot"}, Action: specs.ActTrace},
				{Names: []string{"getppid"}, Action: specs.ActLog},
				// Same as the default: skipped instead of failing the load.
				{Names: []string{"getpid"}, Action: specs.ActAllow},
			},
		},
		Calls: []probe{
			{Name: "fchdir", Nr: unix.SYS_FCHDIR, Args: [3]uintptr{0x1234}},
			{Name: "acct", Nr: unix.SYS_ACCT, Args: [3]uintptr{1}},
			{Name: "fchmod", Nr: unix.SYS_FCHMOD, Args: [3]uintptr{0x1234, 0o644}},
			{Name: "reboot", Nr: unix.SYS_REBOOT},
			{Name: "getppid", Nr: unix.SYS_GETPPID},
			{Name: "getpid", Nr: unix.SYS_GETPID},
		},
	})
	res.mustSucceed(t)
	res.expect(t, map[string]string{
		"fchdir":  errnoResult(unix.EPERM),
		"acct":    errnoResult(unix.EUSERS),
		"fchmod":  okResult(0),
		"reboot":  errnoResult(unix.ENOSYS),
		"getppid": okResult(uintptr(os.Getpid())),
		"getpid":  okResult(uintptr(res.pid)),
	})
}

func TestLoadArgs(t *testing.T) {
	deny := uintp(uint(unix.EUSERS))
	res := runHelper(t, helperPlan{
		Profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{
				// Only the persona query is allowed.
				{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: deny,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0xffffffff, Op: specs.OpNotEqual}}},
				// value is the mask, valueTwo what the masked argument must be.
				{Names: []string{"fchdir"}, Action: specs.ActErrno, ErrnoRet: deny,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0xf0f0, ValueTwo: 0x1010, Op: specs.OpMaskedEqual}}},
				{Names: []string{"fsync"}, Action: specs.ActErrno, ErrnoRet: deny,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0x100, Op: specs.OpLessThan}}},
				{Names: []string{"fdatasync"}, Action: specs.ActErrno, ErrnoRet: deny,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0x100, Op: specs.OpLessEqual}}},
				{Names: []string{"syncfs"}, Action: specs.ActErrno, ErrnoRet: deny,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0x100, Op: specs.OpGreaterEqual}}},
				// Different indexes: ANDed.
				{Names: []string{"dup3"}, Action: specs.ActErrno, ErrnoRet: deny,
					Args: []specs.LinuxSeccompArg{
						{Index: 0, Value: 0x1000, Op: specs.OpEqualTo},
						{Index: 1, Value: 5, Op: specs.OpGreaterThan},
					}},
				// A repeated index splits the rule: every condition ORed.
				{Names: []string{"fchown"}, Action: specs.ActErrno, ErrnoRet: deny,
					Args: []specs.LinuxSeccompArg{
						{Index: 0, Value: 0x2000, Op: specs.OpEqualTo},
						{Index: 0, Value: 0x3000, Op: specs.OpEqualTo},
						{Index: 1, Value: 7, Op: specs.OpEqualTo},
					}},
			},
		},
		// Every probe fails harmlessly (EBADF) when it is let through.
		Calls: []probe{
			{Name: "personality.query", Nr: unix.SYS_PERSONALITY, Args: [3]uintptr{0xffffffff}},
			{Name: "personality.set", Nr: unix.SYS_PERSONALITY, Args: [3]uintptr{0}},
			{Name: "fchdir.masked-match", Nr: unix.SYS_FCHDIR, Args: [3]uintptr{0x1f1f}},
			{Name: "fchdir.masked-exact", Nr: unix.SYS_FCHDIR, Args: [3]uintptr{0x1010}},
			{Name: "fchdir.masked-miss", Nr: unix.SYS_FCHDIR, Args: [3]uintptr{0x1f2f}},
			{Name: "fsync.lt", Nr: unix.SYS_FSYNC, Args: [3]uintptr{0xff}},
			{Name: "fsync.eq", Nr: unix.SYS_FSYNC, Args: [3]uintptr{0x100}},
			{Name: "fdatasync.eq", Nr: unix.SYS_FDATASYNC, Args: [3]uintptr{0x100}},
			{Name: "fdatasync.gt", Nr: unix.SYS_FDATASYNC, Args: [3]uintptr{0x101}},
			{Name: "syncfs.eq", Nr: unix.SYS_SYNCFS, Args: [3]uintptr{0x100}},
			{Name: "syncfs.lt", Nr: unix.SYS_SYNCFS, Args: [3]uintptr{0xff}},
			{Name: "dup3.both", Nr: unix.SYS_DUP3, Args: [3]uintptr{0x1000, 10}},
			{Name: "dup3.first-only", Nr: unix.SYS_DUP3, Args: [3]uintptr{0x1000, 2}},
			{Name: "dup3.second-only", Nr: unix.SYS_DUP3, Args: [3]uintptr{0x1001, 10}},
			{Name: "fchown.first", Nr: unix.SYS_FCHOWN, Args: [3]uintptr{0x2000}},
			{Name: "fchown.second", Nr: unix.SYS_FCHOWN, Args: [3]uintptr{0x3000}},
			{Name: "fchown.other-index", Nr: unix.SYS_FCHOWN, Args: [3]uintptr{0x4000, 7}},
			{Name: "fchown.none", Nr: unix.SYS_FCHOWN, Args: [3]uintptr{0x4000}},
		},
	})
	res.mustSucceed(t)
	denied, passed := errnoResult(unix.EUSERS), errnoResult(unix.EBADF)
	res.expect(t, map[string]string{
		"personality.set":     denied,
		"fchdir.masked-match": denied,
		"fchdir.masked-exact": denied,
		"fchdir.masked-miss":  passed,
		"fsync.lt":            denied,
		"fsync.eq":            passed,
		"fdatasync.eq":        denied,
		"fdatasync.gt":        passed,
		"syncfs.eq":           denied,
		"syncfs.lt":           passed,
		"dup3.both":           denied,
		"dup3.first-only":     passed,
		"dup3.second-only":    passed,
		"fchown.first":        denied,
		"fchown.second":       denied,
		"fchown.other-index":  denied,
		"fchown.none":         passed,
	})
	if got := res.vals["personality.query"]; !strings.HasPrefix(got, "ok:") {
		t.Errorf("personality(0xffffffff) = %s, want success", got)
	}
}

func TestLoadKillProcess(t *testing.T) {
	res := runHelper(t, helperPlan{
		Profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActKillProcess}},
		},
		Calls: []probe{
			{Name: "getpid", Nr: unix.SYS_GETPID},
			{Name: "getppid", Nr: unix.SYS_GETPPID},
		},
	})
	if !res.ws.Signaled() || res.ws.Signal() != unix.SIGSYS {
		t.Fatalf("helper not killed by SIGSYS\n%s", res)
	}
	if _, ok := res.vals["getpid"]; !ok {
		t.Errorf("helper died before the killing syscall\n%s", res)
	}
	if got, ok := res.vals["getppid"]; ok {
		t.Errorf("getppid returned %s instead of killing the process", got)
	}
}

func TestLoadTrap(t *testing.T) {
	res := runHelper(t, helperPlan{
		Profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActTrap}},
		},
		Calls: []probe{{Name: "getppid", Nr: unix.SYS_GETPPID}},
	})
	// The Go runtime does not handle a seccomp SIGSYS: it reports the signal
	// with its si_code (SYS_SECCOMP is 1) and exits 2.
	if !res.ws.Exited() || res.ws.ExitStatus() != 2 ||
		!strings.Contains(res.stderr, "SIGSYS: bad system call") || !strings.Contains(res.stderr, "sigcode=1") {
		t.Fatalf("helper did not die of a seccomp SIGSYS\n%s", res)
	}
	if got, ok := res.vals["getppid"]; ok {
		t.Errorf("getppid returned %s instead of trapping", got)
	}
}

func TestLoadThreadScope(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []specs.LinuxSeccompFlag
		all   bool
	}{
		{name: "calling thread only"},
		{name: "TSYNC", flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"}, all: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runHelper(t, helperPlan{
				Profile: specs.LinuxSeccomp{
					DefaultAction: specs.ActAllow,
					Flags:         tc.flags,
					Syscalls:      []specs.LinuxSyscall{{Names: []string{"fchdir"}, Action: specs.ActErrno}},
				},
				Threads: true,
			})
			res.mustSucceed(t)
			self := res.vals["tid"]
			others := 0
			for key, mode := range res.vals {
				tid, ok := strings.CutPrefix(key, "thread.")
				if !ok {
					continue
				}
				want := "0"
				if tid == self || tc.all {
					want = "2"
				}
				if tid != self {
					others++
				}
				if mode != want {
					t.Errorf("thread %s (loader %s) has Seccomp %s, want %s", tid, self, mode, want)
				}
			}
			if res.vals["thread."+self] != "2" {
				t.Errorf("loading thread %s not reported in filter mode\n%s", self, res)
			}
			if others == 0 {
				t.Fatalf("helper reported no other thread to compare with\n%s", res)
			}
		})
	}
}

func TestLoadFlags(t *testing.T) {
	res := runHelper(t, helperPlan{
		Profile: specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow},
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"fchdir"}, Action: specs.ActErrno}},
		},
		Threads: true,
		Calls:   []probe{{Name: "fchdir", Nr: unix.SYS_FCHDIR, Args: [3]uintptr{0x1234}}},
	})
	res.mustSucceed(t)
	res.expect(t, map[string]string{
		"thread." + res.vals["tid"]: "2",
		"fchdir":                    errnoResult(unix.EPERM),
	})
}

// agentReport is what the test's seccomp agent saw and did.
type agentReport struct {
	state   specs.ContainerProcessState
	nfds    int
	syscall string
	arg0    uint64
	tgid    string
	err     error
}

// runAgent accepts one connection on ln, as a seccomp agent would, and
// answers the first notification with reply.
func runAgent(ln *net.UnixListener, reply uint64) <-chan agentReport {
	ch := make(chan agentReport, 1)
	go func() {
		var rep agentReport
		rep.err = serveAgent(ln, reply, &rep)
		ch <- rep
	}()
	return ch
}

func serveAgent(ln *net.UnixListener, reply uint64, rep *agentReport) error {
	deadline := time.Now().Add(30 * time.Second)
	if err := ln.SetDeadline(deadline); err != nil {
		return err
	}
	conn, err := ln.AcceptUnix()
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	fds, payload, err := receiveState(conn)
	if err != nil {
		return err
	}
	for _, fd := range fds {
		defer unix.Close(fd)
	}
	rep.nfds = len(fds)
	if err := json.Unmarshal(payload, &rep.state); err != nil {
		return fmt.Errorf("decoding state %q: %w", payload, err)
	}
	if len(fds) != 1 {
		return fmt.Errorf("got %d fds, want 1", len(fds))
	}
	fd := fds[0]
	// Poll first so a helper that dies before its notified syscall fails
	// the test instead of hanging it in NotifReceive.
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(pfd, int(time.Until(deadline).Milliseconds()))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll notify fd: %w", err)
		}
		if n == 0 || pfd[0].Revents&unix.POLLIN == 0 {
			return fmt.Errorf("no notification arrived (revents %#x)", pfd[0].Revents)
		}
		break
	}
	req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(fd))
	if err != nil {
		return fmt.Errorf("NotifReceive: %w", err)
	}
	if rep.syscall, err = req.Data.Syscall.GetName(); err != nil {
		return fmt.Errorf("naming syscall %d: %w", req.Data.Syscall, err)
	}
	rep.arg0 = req.Data.Args[0]
	// The thread waits for the answer, so its status is still there.
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", req.Pid))
	if err != nil {
		return err
	}
	rep.tgid = statusField(string(status), "Tgid")
	if err := libseccomp.NotifIDValid(libseccomp.ScmpFd(fd), req.ID); err != nil {
		return fmt.Errorf("NotifIDValid: %w", err)
	}
	return libseccomp.NotifRespond(libseccomp.ScmpFd(fd), &libseccomp.ScmpNotifResp{ID: req.ID, Val: reply})
}

// receiveState reads one container process state message: the fds of the
// first chunk and the JSON up to the sender's close.
func receiveState(conn *net.UnixConn) (fds []int, payload []byte, err error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, fmt.Errorf("recvmsg: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, nil, err
	}
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			return nil, nil, err
		}
		fds = append(fds, got...)
	}
	rest, err := io.ReadAll(conn)
	if err != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, nil, fmt.Errorf("reading state: %w", err)
	}
	return fds, append(buf[:n], rest...), nil
}

func TestLoadNotify(t *testing.T) {
	requireNotify(t)
	for _, tc := range []struct {
		name  string
		flags []specs.LinuxSeccompFlag
		probe uintptr
	}{
		{name: "plain"},
		{name: "WAIT_KILLABLE_RECV", flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv},
			probe: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER},
		{name: "TSYNC", flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"},
			probe: unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.probe != 0 {
				if err := probeFlags(tc.probe); err != nil {
					t.Skipf("kernel lacks the flags: %v", err)
				}
			}
			sock := filepath.Join(t.TempDir(), "agent.sock")
			ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			const reply, magic = 4242, 0x5ecc
			agent := runAgent(ln, reply)
			res := runHelper(t, helperPlan{
				Profile: specs.LinuxSeccomp{
					DefaultAction:    specs.ActAllow,
					Flags:            tc.flags,
					ListenerPath:     sock,
					ListenerMetadata: "agent-metadata",
					Syscalls:         []specs.LinuxSyscall{{Names: []string{"fchdir"}, Action: specs.ActNotify}},
				},
				SendState: true,
				Calls:     []probe{{Name: "fchdir", Nr: unix.SYS_FCHDIR, Args: [3]uintptr{magic}}},
			})
			// Unblock the agent if the helper never connected.
			ln.Close()
			rep := <-agent
			if rep.err != nil {
				t.Fatalf("agent: %v\n%s", rep.err, res)
			}
			res.mustSucceed(t)
			if fd, err := strconv.Atoi(res.vals["fd"]); err != nil || fd < 0 {
				t.Errorf("Load returned notify fd %q, want >= 0", res.vals["fd"])
			}
			res.expect(t, map[string]string{"sent": "ok", "fchdir": okResult(reply)})
			st := rep.state
			if st.Version != specs.Version || !slices.Equal(st.Fds, []string{specs.SeccompFdName}) ||
				st.Pid != res.pid || st.Metadata != "agent-metadata" ||
				st.State.ID != "sprout-seccomp-test" || st.State.Status != specs.StateCreating || st.State.Pid != res.pid {
				t.Errorf("agent got state %+v", st)
			}
			if rep.syscall != "fchdir" || rep.arg0 != magic || rep.tgid != strconv.Itoa(res.pid) {
				t.Errorf("agent got syscall %s(%#x) from tgid %s, want fchdir(%#x) from %d", rep.syscall, rep.arg0, rep.tgid, magic, res.pid)
			}
		})
	}
}

func TestSendToListener(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type received struct {
		fds     []int
		payload []byte
		err     error
	}
	ch := make(chan received, 1)
	go func() {
		conn, err := ln.AcceptUnix()
		if err != nil {
			ch <- received{err: err}
			return
		}
		defer conn.Close()
		fds, payload, err := receiveState(conn)
		ch <- received{fds, payload, err}
	}()
	f, err := os.CreateTemp(t.TempDir(), "fd")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Larger than a socket buffer, so the state needs several writes.
	big := strings.Repeat("x", 1<<20)
	state := specs.ContainerProcessState{
		Fds:      []string{"ignored"},
		Metadata: "ignored",
		Pid:      1234,
		State:    specs.State{ID: "c1", Annotations: map[string]string{"big": big}},
	}
	cfg := &specs.LinuxSeccomp{ListenerPath: sock, ListenerMetadata: "meta"}
	if err := SendToListener(cfg, int(f.Fd()), state); err != nil {
		t.Fatal(err)
	}
	got := <-ch
	if got.err != nil {
		t.Fatal(got.err)
	}
	for _, fd := range got.fds {
		defer unix.Close(fd)
	}
	if len(got.fds) != 1 {
		t.Fatalf("received %d fds, want 1", len(got.fds))
	}
	var sent, recv unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &sent); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fstat(got.fds[0], &recv); err != nil {
		t.Fatal(err)
	}
	if sent.Dev != recv.Dev || sent.Ino != recv.Ino {
		t.Errorf("received fd is another file (dev/ino %d/%d, want %d/%d)", recv.Dev, recv.Ino, sent.Dev, sent.Ino)
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(got.payload, &st); err != nil {
		t.Fatalf("decoding %d bytes: %v", len(got.payload), err)
	}
	if st.Version != specs.Version || !slices.Equal(st.Fds, []string{specs.SeccompFdName}) ||
		st.Metadata != "meta" || st.Pid != 1234 || st.State.ID != "c1" || st.State.Annotations["big"] != big {
		t.Errorf("agent got ociVersion %q fds %v metadata %q pid %d id %q, big annotation intact: %v",
			st.Version, st.Fds, st.Metadata, st.Pid, st.State.ID, st.State.Annotations["big"] == big)
	}
}

func TestSendToListenerErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.sock")
	for _, tc := range []struct {
		name string
		cfg  *specs.LinuxSeccomp
		fd   int
	}{
		{"nil config", nil, 0},
		{"no listenerPath", &specs.LinuxSeccomp{}, 0},
		{"bad fd", &specs.LinuxSeccomp{ListenerPath: missing}, -1},
		{"no agent", &specs.LinuxSeccomp{ListenerPath: missing}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := SendToListener(tc.cfg, tc.fd, specs.ContainerProcessState{})
			if err == nil || !strings.HasPrefix(err.Error(), "linux.seccomp.listenerPath: ") {
				t.Fatalf("SendToListener = %v, want an error naming linux.seccomp.listenerPath", err)
			}
		})
	}
}
