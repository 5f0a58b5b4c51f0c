package cgroups

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the helper processes put in test cgroups:
// they wait for a line on stdin (sent once they are in the cgroup and its
// limits are set) and then do their part.
const helperEnv = "SPROUT_CGROUPS_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func runHelper(mode string, args []string) int {
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadString('\n'); err != nil {
		return 3
	}
	switch mode {
	case "alloc":
		// alloc MiB: touch that much memory, report, and hold it until stdin
		// closes.
		mib, _ := strconv.Atoi(args[0])
		mem := make([][]byte, 0, mib)
		for i := 0; i < mib; i++ {
			b := make([]byte, 1<<20)
			for j := 0; j < len(b); j += 4096 {
				b[j] = 1
			}
			mem = append(mem, b)
		}
		fmt.Println("allocated")
		_, _ = io.Copy(io.Discard, in)
		runtime.KeepAlive(mem)
		return 0
	case "open":
		// open path:mode...: report how each open went.
		for _, a := range args {
			path, how, _ := strings.Cut(a, ":")
			flag := map[string]int{"r": os.O_RDONLY, "w": os.O_WRONLY, "rw": os.O_RDWR}[how]
			f, err := os.OpenFile(path, flag, 0)
			switch {
			case err == nil:
				fmt.Println(a, "ok")
				f.Close()
			case errors.Is(err, syscall.EPERM):
				fmt.Println(a, "EPERM")
			default:
				fmt.Println(a, err)
			}
		}
		return 0
	}
	return 2
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create cgroups")
	}
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// proc is a process started by a test, killed by PID at cleanup.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *syncBuffer
	errOut *syncBuffer
	done   chan struct{}
	err    error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, out: &syncBuffer{}, errOut: &syncBuffer{}, done: make(chan struct{})}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = p.out, p.errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = unix.Kill(cmd.Process.Pid, unix.SIGKILL)
		p.stdin.Close()
		<-p.done
	})
	return p
}

func startHelper(t *testing.T, mode string, args ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	return start(t, cmd)
}

func startShell(t *testing.T, script string) *proc {
	t.Helper()
	return start(t, exec.Command("/bin/sh", "-c", script))
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) release(t *testing.T) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, "go\n"); err != nil {
		t.Fatalf("release pid %d: %v", p.pid(), err)
	}
}

// wait waits for the process to exit and returns its wait status.
func (p *proc) wait(t *testing.T, timeout time.Duration) syscall.WaitStatus {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("pid %d did not exit within %s (stdout %q, stderr %q)", p.pid(), timeout, p.out.String(), p.errOut.String())
	}
	return p.cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// waitOutput waits until the process printed want.
func (p *proc) waitOutput(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d did not print %q within %s (stdout %q, stderr %q)", p.pid(), want, timeout, p.out.String(), p.errOut.String())
		}
		select {
		case <-p.done:
			if !strings.Contains(p.out.String(), want) {
				t.Fatalf("pid %d exited (%v) without printing %q (stdout %q, stderr %q)", p.pid(), p.err, want, p.out.String(), p.errOut.String())
			}
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// newManager makes a manager whose cgroups are removed at cleanup even when
// the test fails half way, after every process left in them was killed.
func newManager(t *testing.T, cgroupsPath, id string) Manager {
	t.Helper()
	m, err := New(cgroupsPath, id)
	if err != nil {
		t.Fatalf("New(%q, %q): %v", cgroupsPath, id, err)
	}
	t.Cleanup(func() {
		_ = m.Thaw()
		for i := 0; i < 200; i++ {
			pids, err := m.Procs()
			if err != nil || len(pids) == 0 {
				break
			}
			for _, pid := range pids {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := m.Destroy(); err != nil {
			t.Errorf("cleanup: Destroy: %v", err)
		}
	})
	return m
}

func readCg(t *testing.T, dir, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	return strings.TrimSpace(string(data))
}

func expectFile(t *testing.T, dir, file, want string) {
	t.Helper()
	if got := readCg(t, dir, file); got != want {
		t.Errorf("%s = %q, want %q", filepath.Join(dir, file), got, want)
	}
}

func keyedValue(t *testing.T, dir, file, key string) uint64 {
	t.Helper()
	m, err := readKeyed(dir, file)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := m[key]
	if !ok {
		t.Fatalf("%s has no %q", filepath.Join(dir, file), key)
	}
	return v
}

func expectFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected an error naming %s, got none", field)
	}
	if !strings.Contains(err.Error(), field) {
		t.Fatalf("error %q does not name %s", err, field)
	}
}

// utime reads the user CPU ticks of pid from /proc/<pid>/stat.
func utime(t *testing.T, pid int) uint64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the parenthesised command start with the state (3rd
	// field); utime is the 14th.
	rest := string(data[bytes.LastIndexByte(data, ')')+2:])
	f := strings.Fields(rest)
	v, err := strconv.ParseUint(f[14-3], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// inCgroup reads pid's cgroup for the v1 controller c ("" for v2) from
// /proc/<pid>/cgroup.
func inCgroup(t *testing.T, pid int, c string) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, name := range strings.Split(parts[1], ",") {
			if name == c {
				return parts[2]
			}
		}
	}
	t.Fatalf("/proc/%d/cgroup has no %q line", pid, c)
	return ""
}

// mknodPair makes character device nodes for /dev/null (1:3), /dev/zero
// (1:5) and /dev/full (1:7) in a temporary directory, so device tests do
// not depend on the host's /dev.
func mknodPair(t *testing.T) (null, zero, full string) {
	t.Helper()
	dir := t.TempDir()
	for _, n := range []struct {
		name  string
		minor uint32
	}{{"null", 3}, {"zero", 5}, {"full", 7}} {
		if err := unix.Mknod(filepath.Join(dir, n.name), unix.S_IFCHR|0o666, int(unix.Mkdev(1, n.minor))); err != nil {
			t.Skipf("cannot create device nodes in %s: %v", dir, err)
		}
	}
	return filepath.Join(dir, "null"), filepath.Join(dir, "zero"), filepath.Join(dir, "full")
}

// expectOpens runs the open helper in the cgroup joined by join and checks
// each "path:mode" against its expected result ("ok" or "EPERM").
func expectOpens(t *testing.T, join func(pid int), want map[string]string) {
	t.Helper()
	var args []string
	for a := range want {
		args = append(args, a)
	}
	p := startHelper(t, "open", args...)
	join(p.pid())
	p.release(t)
	if ws := p.wait(t, 20*time.Second); ws.ExitStatus() != 0 {
		t.Fatalf("open helper failed: %v, stderr %q", ws, p.errOut.String())
	}
	got := make(map[string]string)
	for _, line := range strings.Split(strings.TrimSpace(p.out.String()), "\n") {
		a, r, _ := strings.Cut(line, " ")
		got[a] = r
	}
	for a, w := range want {
		if got[a] != w {
			t.Errorf("open %s: got %q, want %q", a, got[a], w)
		}
	}
}
