package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
			// KILL_PROCESS ends the whole init at once: where something
			// reaps it before start reads its status (the VM tier's pid 1
			// does), start cannot tell it from a process that exited, as
			// with runc. KILL leaves threads behind, so start always knows.
			racy := action == specs.ActKillProcess && res.code == 0
			if !racy && (res.code == 0 || !strings.Contains(res.stderr, "died before or at exec") || !strings.Contains(res.stderr, "SIGSYS")) {
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

// cgroupMounts lists the mount point of every cgroup hierarchy, v1 or v2,
// under /sys/fs/cgroup.
func cgroupMounts(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		for i, x := range f {
			// Other mounts of a hierarchy (a checkpoint tool's, say) are
			// the same cgroups seen twice.
			if x == "-" && i+1 < len(f) && (f[i+1] == "cgroup" || f[i+1] == "cgroup2") &&
				(f[4] == "/sys/fs/cgroup" || strings.HasPrefix(f[4], "/sys/fs/cgroup/")) {
				out = append(out, f[4])
			}
		}
	}
	return out
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
	for _, m := range cgroupMounts(t) {
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

// delete --force of a container in a cgroup it shares with a host process
// kills only the container's processes and leaves the cgroup, which it did
// not make.
func TestDeleteForceSharedCgroup(t *testing.T) {
	for _, pidns := range []bool{true, false} {
		t.Run(fmt.Sprintf("pidns=%v", pidns), func(t *testing.T) {
			r := newRuntime(t)
			name := fmt.Sprintf("sprout-shared-%d", time.Now().UnixNano())
			dirs, hostPid := sharedCgroup(t, name)
			b := newBundle(t, "sleep 1001 & echo $! > /tmp/child; exec sleep 1002")
			if !pidns {
				withoutPidNamespace(b)
			}
			b.spec.Linux.CgroupsPath = "/" + name
			b.save(t)
			r.must("run", "-d", "--bundle", b.dir, "shared")
			waitFile(t, b.dir+"/rootfs/tmp/child")
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
			if pidns {
				return
			}
			data, _ := os.ReadFile(b.dir + "/rootfs/tmp/child")
			child := strings.TrimSpace(string(data))
			t.Cleanup(func() { killPid(child) })
			if alive(child) {
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
			name := fmt.Sprintf("sprout-shared-%d", time.Now().UnixNano())
			_, hostPid := sharedCgroup(t, name)
			b := newBundle(t, "sleep 1001 & echo $! > /tmp/child; exec sleep 1002")
			if !pidns {
				withoutPidNamespace(b)
			}
			b.spec.Linux.CgroupsPath = "/" + name
			b.save(t)
			r.must("run", "-d", "--bundle", b.dir, "shared")
			waitFile(t, b.dir+"/rootfs/tmp/child")
			data, _ := os.ReadFile(b.dir + "/rootfs/tmp/child")
			child := strings.TrimSpace(string(data))
			if !pidns {
				t.Cleanup(func() { killPid(child) })
			}
			r.must("kill", "--all", "shared", "KILL")
			r.waitStatus("shared", specs.StateStopped)
			if !alive(strconv.Itoa(hostPid)) {
				t.Fatalf("kill --all killed host process %d that shares the cgroup", hostPid)
			}
			if !pidns && alive(child) {
				t.Fatalf("kill --all left the container's process %s alive", child)
			}
			r.must("delete", "shared")
		})
	}
}
