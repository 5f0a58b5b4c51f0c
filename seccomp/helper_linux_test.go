package seccomp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
)

// Filters cannot be removed, so every test that loads one does it in a child:
// the test binary re-executed into TestHelperProcess, which follows a
// helperPlan and reports on stdout as key=value lines.

const helperEnv = "SPROUT_SECCOMP_HELPER_PLAN"

type helperPlan struct {
	Profile specs.LinuxSeccomp
	// Threads reports the Seccomp mode of every thread after Load.
	Threads bool
	// SendState hands the notify fd to Profile.ListenerPath after Load.
	SendState bool
	// Calls are made after Load, on the thread that loaded the filter.
	Calls []probe
	// Exec, if set, is execve'd last, still under the filter.
	Exec []string
}

type probe struct {
	Name string
	Nr   uintptr
	Args [3]uintptr
}

// Result strings a probe reports.
func okResult(v uintptr) string       { return fmt.Sprintf("ok:%d", v) }
func errnoResult(e unix.Errno) string { return "errno:" + unix.ErrnoName(e) }

func emit(key string, value any) {
	// Straight to fd 1: after Load only syscalls the profile allows are safe,
	// and this is the one every test profile allows.
	_, _ = unix.Write(1, fmt.Appendf(nil, "%s=%v\n", key, value))
}

func TestHelperProcess(t *testing.T) {
	raw := os.Getenv(helperEnv)
	if raw == "" {
		return
	}
	var plan helperPlan
	if err := json.Unmarshal([]byte(raw), &plan); err != nil {
		emit("plan-error", err)
		unix.Exit(3)
	}
	runtime.LockOSThread()
	// A SIGSYS death must not drop a core file wherever core_pattern points.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		emit("prctl-error", err)
		unix.Exit(3)
	}
	before := runtime.NumGoroutine()
	fd, err := Load(&plan.Profile)
	after := runtime.NumGoroutine()
	if err != nil {
		emit("load-error", err)
		unix.Exit(3)
	}
	emit("fd", fd)
	emit("goroutines", fmt.Sprintf("%d->%d", before, after))
	emit("tid", unix.Gettid())
	if plan.Threads {
		reportThreads()
	}
	if plan.SendState {
		pid := os.Getpid()
		err := SendToListener(&plan.Profile, fd, specs.ContainerProcessState{
			Pid: pid,
			State: specs.State{
				Version: specs.Version,
				ID:      "sprout-seccomp-test",
				Status:  specs.StateCreating,
				Pid:     pid,
				Bundle:  "/bundle",
			},
		})
		if err != nil {
			emit("send-error", err)
			unix.Exit(3)
		}
		emit("sent", "ok")
		unix.Close(fd)
	}
	for _, p := range plan.Calls {
		r1, _, errno := unix.Syscall(p.Nr, p.Args[0], p.Args[1], p.Args[2])
		if errno != 0 {
			emit(p.Name, errnoResult(errno))
		} else {
			emit(p.Name, okResult(r1))
		}
	}
	if len(plan.Exec) > 0 {
		err := unix.Exec(plan.Exec[0], plan.Exec, []string{"PATH=/usr/bin:/bin"})
		emit("exec-error", err)
		unix.Exit(3)
	}
	unix.Exit(0)
}

func reportThreads() {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		emit("threads-error", err)
		return
	}
	for _, task := range tasks {
		status, err := os.ReadFile(filepath.Join("/proc/self/task", task.Name(), "status"))
		if err != nil {
			// The thread may have exited since the directory was read.
			continue
		}
		emit("thread."+task.Name(), statusField(string(status), "Seccomp"))
	}
}

// statusField returns the value of key in a /proc/<pid>/status text.
func statusField(status, key string) string {
	for line := range strings.SplitSeq(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

type helperResult struct {
	pid    int
	vals   map[string]string
	stdout string
	stderr string
	ws     syscall.WaitStatus
}

func (r *helperResult) String() string {
	return fmt.Sprintf("wait status %#x\nstdout:\n%s\nstderr:\n%s", uint32(r.ws), r.stdout, r.stderr)
}

// runHelper runs plan in a child and returns what it reported.
func runHelper(t *testing.T, plan helperPlan) *helperResult {
	t.Helper()
	requireSeccomp(t)
	enc, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(enc))
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The exit status is judged by each test; Wait's error only repeats it.
	_ = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("helper timed out\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	res := &helperResult{
		pid:    cmd.Process.Pid,
		vals:   map[string]string{},
		stdout: stdout.String(),
		stderr: stderr.String(),
		ws:     cmd.ProcessState.Sys().(syscall.WaitStatus),
	}
	for line := range strings.SplitSeq(res.stdout, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k != "" {
			res.vals[k] = v
		}
	}
	return res
}

// mustSucceed fails the test unless the helper loaded its filter and exited 0.
func (r *helperResult) mustSucceed(t *testing.T) {
	t.Helper()
	if _, ok := r.vals["fd"]; !ok || !r.ws.Exited() || r.ws.ExitStatus() != 0 {
		t.Fatalf("helper failed\n%s", r)
	}
}

// expect checks that each probe reported the wanted result.
func (r *helperResult) expect(t *testing.T, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if got, ok := r.vals[name]; !ok {
			t.Errorf("%s: no result reported", name)
		} else if got != w {
			t.Errorf("%s = %s, want %s", name, got, w)
		}
	}
}

func requireSeccomp(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("Load does not set no_new_privs, so installing a filter needs CAP_SYS_ADMIN: run as root")
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	if statusField(string(status), "Seccomp") == "" {
		t.Skip("kernel built without CONFIG_SECCOMP")
	}
}

func requireNotify(t *testing.T) {
	t.Helper()
	if api, _ := libseccomp.GetAPI(); api < 6 {
		t.Skipf("seccomp user notification unavailable (libseccomp API level %d, need 6)", api)
	}
}

func uintp(v uint) *uint { return &v }

// Load compiles cfg and installs it at once through a process plan, as
// the init does in two steps; the plan sends a notify fd to a socket, from
// which Load takes it.
func Load(cfg *specs.LinuxSeccomp) (notifyFd int, err error) {
	f, err := Compile(cfg)
	if err != nil {
		return -1, err
	}
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(sp[0])
	defer unix.Close(sp[1])
	var p nsexec.Plan
	f.Plan(&p)
	if err := p.Run(sp[1]); err != nil {
		return -1, err
	}
	if f == nil || f.flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 {
		return -1, nil
	}
	buf, oob := make([]byte, 4), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(sp[0], buf, oob, 0)
	if err != nil {
		return -1, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return -1, fmt.Errorf("no notify fd from the plan: %v", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return -1, fmt.Errorf("no notify fd from the plan: %v", err)
	}
	return fds[0], nil
}
