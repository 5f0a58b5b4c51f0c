package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// containerd's shim takes a kill error containing runc's "container not
// running" as "the task has already exited"; any other text fails the pod
// stop.
func TestKillExitedContainerWording(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "true")
	b.save(t)
	r.must("run", "-d", "--bundle", b.dir, "killexited")
	r.waitStatus("killexited", specs.StateStopped)
	for _, args := range [][]string{{"kill", "killexited", "KILL"}, {"kill", "killexited", "0"}} {
		res := r.sprout(args...)
		if res.code == 0 || !strings.Contains(res.stderr, "container not running") {
			t.Errorf("%v of an exited container: exit %d, %q", args, res.code, res.stderr)
		}
	}
	r.must("delete", "killexited")
}

// backgroundSprout starts sprout without waiting for it. The returned
// channel is closed when it exits; the test's cleanup kills it by PID if it
// is still there.
func backgroundSprout(t *testing.T, r *runtime, args ...string) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(sproutBin, append([]string{"--root", r.root}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	return cmd, done
}

// timed runs sprout and fails the test unless it succeeds within limit.
func (r *runtime) timed(limit time.Duration, args ...string) {
	r.t.Helper()
	begin := time.Now()
	res := r.sprout(args...)
	if res.code != 0 {
		r.t.Fatalf("sprout %v: exit %d: %s", args, res.code, res.stderr)
	}
	if d := time.Since(begin); d > limit {
		r.t.Fatalf("sprout %v took %v (limit %v)", args, d, limit)
	}
}

// An exec --ignore-paused waits on the freezer; resume, kill and
// delete --force must still get through (runc's bats suite hung here).
func TestExecIgnorePausedDoesNotBlock(t *testing.T) {
	for _, then := range [][]string{{"resume"}, {"kill", "KILL"}, {"delete", "--force"}} {
		t.Run(then[0], func(t *testing.T) {
			r := newRuntime(t)
			id := "exigp-" + then[0]
			startSleeper(t, r, id)
			r.must("pause", id)
			cmd, done := backgroundSprout(t, r, "exec", "--ignore-paused", id, "true")
			// Give the exec time to reach the frozen cgroup.
			select {
			case <-done:
				t.Fatalf("exec into a paused container returned before resume: %v", cmd.ProcessState)
			case <-time.After(time.Second):
			}
			args := append([]string{then[0], id}, then[1:]...)
			if then[0] == "delete" {
				args = []string{"delete", "--force", id}
			}
			r.timed(15*time.Second, args...)
			select {
			case <-done:
				if then[0] == "resume" && !cmd.ProcessState.Success() {
					t.Fatalf("exec after resume: %v", cmd.ProcessState)
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("exec still blocked after %v", args)
			}
		})
	}
}

// runc deletes a created, never started container without --force, and
// containerd's shim relies on it for a task that never started.
func TestDeleteCreatedContainer(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "touch /tmp/ran; sleep 1000")
	cg := fmt.Sprintf("/sprout-parity-cli-del-%d", time.Now().UnixNano())
	b.spec.Linux.CgroupsPath = cg
	b.save(t)
	r.must("create", "--bundle", b.dir, "delcreated")
	pid := r.mustState("delcreated").Pid
	memCg := filepath.Join("/sys/fs/cgroup/memory", cg)
	if _, err := os.Stat(memCg); err != nil {
		t.Fatalf("container cgroup: %v", err)
	}
	r.must("delete", "delcreated")
	if !processGone(pid) {
		t.Fatalf("init %d still alive after delete", pid)
	}
	if _, err := os.Stat(memCg); err == nil {
		os.Remove(memCg)
		t.Fatalf("cgroup %s left after delete", memCg)
	}
	if _, err := os.Stat(filepath.Join(b.dir, "rootfs/tmp/ran")); err == nil {
		t.Fatal("the workload ran")
	}
	if res := r.sprout("state", "delcreated"); res.code == 0 {
		t.Fatal("state of the deleted container succeeded")
	}
	// A running one still needs --force.
	startSleeper(t, r, "delrunning")
	if res := r.sprout("delete", "delrunning"); res.code == 0 || !strings.Contains(res.stderr, "running") {
		t.Fatalf("delete of a running container: exit %d, %q", res.code, res.stderr)
	}
}
