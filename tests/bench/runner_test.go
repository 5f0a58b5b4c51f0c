package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv selects what the test binary does when re-executed as a fake
// runtime command by TestMain.
const helperEnv = "SPROUT_BENCH_HELPER"

const (
	hogMiB  = 64
	napTime = 300 * time.Millisecond
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "orphan":
		// Leave a memory hog behind, unwaited, as a runtime leaves its
		// container init.
		hog := exec.Command(os.Args[0])
		hog.Env = append(os.Environ(), helperEnv+"=hog")
		if err := hog.Start(); err != nil {
			os.Exit(2)
		}
		os.Exit(0)
	case "hog":
		buf := make([]byte, hogMiB<<20)
		for i := 0; i < len(buf); i += os.Getpagesize() {
			buf[i] = 1
		}
		time.Sleep(100 * time.Millisecond)
		os.Exit(int(buf[0]) - 1)
	case "keeper":
		// Keep the "container" as our own child, as a runtime with a
		// long-lived parent process would.
		nap := exec.Command(os.Args[0])
		nap.Env = append(os.Environ(), helperEnv+"=nap")
		// Renamed into place so that the test never reads a partial pid.
		tmp := os.Getenv("PIDFILE") + ".tmp"
		if nap.Start() != nil || os.WriteFile(tmp, []byte(strconv.Itoa(nap.Process.Pid)), 0o600) != nil ||
			os.Rename(tmp, os.Getenv("PIDFILE")) != nil {
			os.Exit(2)
		}
		if nap.Wait() != nil {
			os.Exit(4)
		}
		os.Exit(0)
	case "nap":
		time.Sleep(napTime)
		os.Exit(0)
	case "quick":
		os.Exit(0)
	case "hang":
		time.Sleep(time.Hour)
	case "fail":
		os.Stderr.WriteString("helper failing on purpose\n")
		os.Exit(7)
	}
	os.Exit(3)
}

// helperCycle is a cycle whose "runtime" is this test binary in the given
// helper role; the process is a subreaper, as the runner is.
func helperCycle(t *testing.T, role string, timeout time.Duration) *cycle {
	t.Helper()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatalf("prctl(PR_SET_CHILD_SUBREAPER): %v", err)
	}
	d, err := newDriver()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.null.Close()
		d.stderr.Close()
	})
	d.env = append(os.Environ(), helperEnv+"="+role)
	return d.newCycle(cycleRequest{Binary: os.Args[0], Timeout: timeout})
}

func TestOrphanRSSIsCounted(t *testing.T) {
	c := helperCycle(t, "orphan", 30*time.Second)
	if err := c.command(roleCreate); err != nil {
		t.Fatal(err)
	}
	if err := c.sweep(); err != nil {
		t.Fatal(err)
	}
	hogKiB := int64(hogMiB << 10)
	if got := c.res.MaxRSS[roleOther]; got < hogKiB {
		t.Errorf("orphan's peak RSS = %d KiB, want at least the %d KiB it touched", got, hogKiB)
	}
	// The command never waited for the orphan, so must not carry its RSS.
	if got := c.res.MaxRSS[roleCreate]; got == 0 || got >= hogKiB {
		t.Errorf("command's peak RSS = %d KiB, want nonzero and below %d KiB", got, hogKiB)
	}
	if len(c.reaped) != 2 {
		t.Errorf("reaped %d processes, want the command and its orphan", len(c.reaped))
	}
}

func TestHungCommandIsKilled(t *testing.T) {
	c := helperCycle(t, "hang", 200*time.Millisecond)
	start := time.Now()
	err := c.command(roleStart, "start", "x")
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("command = %v, want a timeout kill", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("timeout of 200ms took %v", took)
	}
	for pid, ws := range c.reaped {
		if !ws.Signaled() || ws.Signal() != unix.SIGKILL {
			t.Errorf("pid %d: %s, want killed by SIGKILL", pid, describe(ws))
		}
	}
	if alive, err := c.reapExited(); err != nil || alive {
		t.Errorf("after the kill: children alive = %v (%v), want none", alive, err)
	}
}

func TestFailingCommandReportsStderr(t *testing.T) {
	c := helperCycle(t, "fail", 30*time.Second)
	err := c.command(roleDelete, "delete", "x")
	if err == nil {
		t.Fatal("command succeeded, want exit status 7")
	}
	for _, want := range []string{"exit status 7", "helper failing on purpose", "delete x"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestContainerOfAnotherParentIsAwaited(t *testing.T) {
	c := helperCycle(t, "", 30*time.Second)
	c.req.PidFile = filepath.Join(t.TempDir(), "pid")
	keeper := exec.Command(os.Args[0])
	keeper.Env = append(os.Environ(), helperEnv+"=keeper", "PIDFILE="+c.req.PidFile)
	start := time.Now()
	if err := keeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = keeper.Process.Kill() // already gone unless the test failed early
		_ = keeper.Wait()
	}()
	for {
		if _, err := os.Stat(c.req.PidFile); err == nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("keeper wrote no pid file")
		}
		time.Sleep(time.Millisecond)
	}
	if err := c.findContainer(); err != nil {
		t.Fatal(err)
	}
	if err := c.waitContainer(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < napTime {
		t.Errorf("waitContainer returned after %v, before the %v nap could end", took, napTime)
	}
	// Exited means a zombie at most, whose state the keeper is about to reap.
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cpid)); err == nil && !strings.Contains(string(data), ") Z ") {
		t.Errorf("container process %d still running: %s", c.cpid, data)
	}
}

func TestManyStopsAtFirstFailureAndStillDeletes(t *testing.T) {
	c := helperCycle(t, "fail", 30*time.Second)
	c.req.Count, c.req.Parallel, c.req.ID = 3, 2, "x"
	err := c.many()
	if err == nil || !strings.Contains(err.Error(), "helper failing on purpose") || !strings.Contains(err.Error(), "create") {
		t.Fatalf("many = %v, want the first create's failure with its stderr", err)
	}
	if alive, err := c.reapExited(); err != nil || alive {
		t.Errorf("after many: children alive = %v (%v), want none", alive, err)
	}
}

func TestTeardownWaitsForTheContainer(t *testing.T) {
	c := helperCycle(t, "", 30*time.Second)
	nap := exec.Command(os.Args[0])
	nap.Env = append(os.Environ(), helperEnv+"=nap")
	if err := nap.Start(); err != nil {
		t.Fatal(err)
	}
	// The "delete" exits at once, before the container's nap ends.
	c.req.Pid = nap.Process.Pid
	c.d.env = append(os.Environ(), helperEnv+"=quick")
	if err := c.teardown(); err != nil {
		t.Fatal(err)
	}
	if ws, ok := c.reaped[nap.Process.Pid]; !ok || !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("container process %d: reaped %v (%s), want reaped after its nap", nap.Process.Pid, ok, describe(ws))
	}
}
