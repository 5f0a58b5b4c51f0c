package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/tests/harness"
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
			// A hang fails at once, not after the helpers' long timeout.
			wait, err := harness.Start(r.command("start", "sk"), 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			res, err := wait()
			if err != nil {
				t.Fatalf("start hangs: %v", err)
			}
			// KILL_PROCESS ends the whole init at once: where something
			// reaps it before start reads its status (the VM tier's pid 1
			// does), start cannot tell it from a process that exited, as
			// with runc. KILL leaves threads behind, so start always knows.
			racy := action == specs.ActKillProcess && res.Code == 0
			if !racy && (res.Code == 0 || !strings.Contains(res.Stderr, "died before or at exec") || !strings.Contains(res.Stderr, "SIGSYS")) {
				t.Fatalf("start: exit %d, stderr %q", res.Code, res.Stderr)
			}
			// Nothing of the init is left: no thread still running, and
			// the container is gone or stopped.
			if !harness.Poll(5*time.Second, func() bool { return !harness.ThreadsAlive(pid) }) {
				t.Fatalf("threads of init %d still run after start failed", pid)
			}
			if st, err := r.state("sk"); err == nil && st.Status != specs.StateStopped {
				t.Fatalf("state after failed start: %s", st.Status)
			}
			r.must("delete", "--force", "sk")
		})
	}
}

// sharedCgroup makes a cgroup called name in every hierarchy, as an engine
// that gives cgroupsPath would, with a host process in it.
func sharedCgroup(t *testing.T, name string) (dirs []string, hostPid int) {
	t.Helper()
	host := exec.Command("sleep", "1000")
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		host.Process.Kill()
		host.Wait()
		// The killed process leaves its cgroups a moment after it is reaped.
		for _, d := range dirs {
			for j := 0; j < 100; j++ {
				if err := os.Remove(d); err == nil || os.IsNotExist(err) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
	for _, m := range harness.CgroupMounts(t) {
		d := filepath.Join(m, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if v, err := os.ReadFile(filepath.Join(m, f)); err == nil {
				os.WriteFile(filepath.Join(d, f), v, 0o644)
			}
		}
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(host.Process.Pid)), 0o644); err != nil {
			t.Fatalf("join %s: %v", d, err)
		}
	}
	return dirs, host.Process.Pid
}

// runInSharedCgroup runs container "shared" in a cgroup it shares with a
// host process (sharedCgroup), with or without a pid namespace; its init
// has a child, whose host PID it returns when there is no pid namespace.
func runInSharedCgroup(t *testing.T, r *runtime, pidns bool) (dirs []string, hostPid int, child string) {
	t.Helper()
	name := fmt.Sprintf("sprout-shared-%d", time.Now().UnixNano())
	dirs, hostPid = sharedCgroup(t, name)
	b := newBundle(t, "sleep 1001 & echo $! > /tmp/child; exec sleep 1002")
	if !pidns {
		withoutPidNamespace(b)
	}
	b.spec.Linux.CgroupsPath = "/" + name
	b.save(t)
	r.must("run", "-d", "--bundle", b.dir, "shared")
	data, ok := harness.PollFile(b.dir+"/rootfs/tmp/child", 10*time.Second)
	if !ok {
		t.Fatal("the container never wrote its child's PID")
	}
	if !pidns {
		child = strings.TrimSpace(string(data))
		t.Cleanup(func() { killPid(child) })
	}
	return dirs, hostPid, child
}

// delete --force of a container in a cgroup it shares with a host process
// kills only the container's processes and leaves the cgroup, which it did
// not make.
func TestDeleteForceSharedCgroup(t *testing.T) {
	for _, pidns := range []bool{true, false} {
		t.Run(fmt.Sprintf("pidns=%v", pidns), func(t *testing.T) {
			r := newRuntime(t)
			dirs, hostPid, child := runInSharedCgroup(t, r, pidns)
			init := r.mustState("shared").Pid
			if !alive(strconv.Itoa(hostPid)) {
				t.Fatalf("host process %d died before delete", hostPid)
			}
			res := r.sprout("delete", "--force", "shared")
			if res.code != 0 {
				t.Fatalf("delete --force: exit %d: %s", res.code, res.stderr)
			}
			if !alive(strconv.Itoa(hostPid)) {
				t.Fatalf("delete --force killed host process %d that shares the cgroup", hostPid)
			}
			if alive(strconv.Itoa(init)) {
				t.Fatalf("container init %d survived delete --force", init)
			}
			if _, err := r.state("shared"); err == nil {
				t.Fatal("container still exists after delete --force")
			}
			for _, d := range dirs {
				if _, err := os.Stat(d); err != nil {
					t.Errorf("delete removed cgroup %s, which it did not make: %v", d, err)
				}
			}
			if !pidns && outlives(child) {
				t.Fatalf("delete --force left the container's process %s alive", child)
			}
		})
	}
}

// A state directory that a killed create or delete left without state.json
// is shown as creating, and delete --force removes it.
func TestHalfMadeStateDir(t *testing.T) {
	r := newRuntime(t)
	if err := os.MkdirAll(filepath.Join(r.root, "half"), 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := r.state("half")
	if err != nil || st.Status != "creating" {
		t.Fatalf("state of a half-made container: %+v, %v", st, err)
	}
	if out := r.must("list", "-q"); !hasLine(out, "half") {
		t.Fatalf("list does not show the half-made container: %q", out)
	}
	if res := r.sprout("kill", "half", "KILL"); res.code == 0 || !strings.Contains(res.stderr, "not running") {
		t.Fatalf("kill of a container without an init: exit %d: %s", res.code, res.stderr)
	}
	if res := r.sprout("delete", "half"); res.code == 0 {
		t.Fatal("delete without --force removed a container that is creating")
	}
	r.must("delete", "--force", "half")
	if _, err := os.Stat(filepath.Join(r.root, "half")); !os.IsNotExist(err) {
		t.Fatalf("delete --force left %s: %v", filepath.Join(r.root, "half"), err)
	}
	b := newBundle(t, "true")
	b.save(t)
	r.must("create", "--bundle", b.dir, "half")
	if st := r.mustState("half"); st.Status != specs.StateCreated {
		t.Fatalf("new create: status %s", st.Status)
	}
	r.must("delete", "--force", "half")
}

// kill --all signals the container's processes only, not a host process
// that shares the cgroup given by cgroupsPath.
func TestKillAllSharedCgroup(t *testing.T) {
	for _, pidns := range []bool{true, false} {
		t.Run(fmt.Sprintf("pidns=%v", pidns), func(t *testing.T) {
			r := newRuntime(t)
			_, hostPid, child := runInSharedCgroup(t, r, pidns)
			r.must("kill", "--all", "shared", "KILL")
			r.waitStatus("shared", specs.StateStopped)
			if !alive(strconv.Itoa(hostPid)) {
				t.Fatalf("kill --all killed host process %d that shares the cgroup", hostPid)
			}
			if !pidns && outlives(child) {
				t.Fatalf("kill --all left the container's process %s alive", child)
			}
			r.must("delete", "shared")
		})
	}
}
