package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// An ID may start with '.', as in runc; the kernel refuses keyrings named
// so, and the session keyring must still be the container's own.
func TestDotIDSessionKeyring(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 1000")
	b.save(t)
	id := fmt.Sprintf(".dot%d", time.Now().UnixNano())
	r.must("run", "-d", "--bundle", b.dir, id)
	defer r.sprout("delete", "--force", id)
	keys, err := os.ReadFile("/proc/keys")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(keys), "_ses."+id) {
		t.Fatalf("no session keyring _ses.%s in /proc/keys:\n%s", id, keys)
	}
	r.must("delete", "--force", id)
	if _, err := r.state(id); err == nil {
		t.Fatalf("container %s still exists after delete", id)
	}
}

// sproutTimeout runs sprout and reports a hang as a failure of its own
// instead of waiting for the helpers' long timeout.
func (r *runtime) sproutTimeout(d time.Duration, args ...string) (result, bool) {
	r.t.Helper()
	cmd := exec.Command(sproutBin, append([]string{"--root", r.root}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}, true
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return result{out.String(), errb.String(), -1}, false
	}
}

// A seccomp profile that kills every syscall kills the init before or at
// execve: start says so, with the signal, instead of waiting forever for
// the threads the kernel left alive (SCMP_ACT_KILL kills one thread).
func TestSeccompKillAtExec(t *testing.T) {
	for _, action := range []specs.LinuxSeccompAction{specs.ActKill, specs.ActKillProcess} {
		t.Run(string(action), func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "true")
			b.spec.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: action}
			b.save(t)
			r.must("create", "--bundle", b.dir, "sk")
			pid := r.mustState("sk").Pid
			res, finished := r.sproutTimeout(10*time.Second, "start", "sk")
			if !finished {
				t.Fatalf("start hangs")
			}
			if res.code == 0 || !strings.Contains(res.stderr, "died before or at exec") || !strings.Contains(res.stderr, "SIGSYS") {
				t.Fatalf("start: exit %d, stderr %q", res.code, res.stderr)
			}
			// Nothing of the init is left: no thread still running, and
			// the container is gone or stopped.
			deadline := time.Now().Add(5 * time.Second)
			for threadsAlive(pid) {
				if time.Now().After(deadline) {
					t.Fatalf("threads of init %d still run after start failed", pid)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if st, err := r.state("sk"); err == nil && st.Status != specs.StateStopped {
				t.Fatalf("state after failed start: %s", st.Status)
			}
			r.must("delete", "--force", "sk")
		})
	}
}

// threadsAlive tells whether any thread of pid is alive and not a zombie.
func threadsAlive(pid int) bool {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, t.Name()))
		if err != nil {
			continue
		}
		s := string(data)
		if i := strings.LastIndexByte(s, ')'); i > 0 && len(s) > i+2 && s[i+2] != 'Z' && s[i+2] != 'X' {
			return true
		}
	}
	return false
}
