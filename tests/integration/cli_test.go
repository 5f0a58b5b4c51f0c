package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/tests/harness"
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

// runc's words and status for an exec into a paused container without
// --ignore-paused.
func TestExecPausedRefused(t *testing.T) {
	r := newRuntime(t)
	startSleeper(t, r, "expaused")
	r.must("pause", "expaused")
	res := r.sprout("exec", "expaused", "echo", "ok")
	if res.code != 255 || !strings.Contains(res.stderr, "cannot exec in a paused container") {
		t.Fatalf("exec into a paused container: exit %d, %q", res.code, res.stderr)
	}
	r.must("resume", "expaused")
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
	memCg := resCgroupOf(t, pid).dir("memory")
	if !strings.HasSuffix(memCg, cg) {
		t.Fatalf("container cgroup %s, want %s", memCg, cg)
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

// state carries runc's rootfs, created and owner besides the OCI state.
func TestStateRuncFields(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	b.save(t)
	begin := time.Now()
	r.must("create", "--bundle", b.dir, "stfields")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.must("state", "stfields")), &st); err != nil {
		t.Fatal(err)
	}
	if st["rootfs"] != filepath.Join(b.dir, "rootfs") || st["owner"] != "root" {
		t.Errorf("state rootfs %v owner %v: want %s and root", st["rootfs"], st["owner"], filepath.Join(b.dir, "rootfs"))
	}
	created, _ := st["created"].(string)
	ts, err := time.Parse(time.RFC3339Nano, created)
	if err != nil || ts.Before(begin.Add(-time.Second)) || ts.After(time.Now()) {
		t.Errorf("state created %q (%v): want the creation time in RFC 3339", created, err)
	}
	r.must("delete", "stfields")
}

// list names the owner of the state directory, as runc does, and prints
// runc's null for no container.
func TestListOwner(t *testing.T) {
	r := newRuntime(t)
	if out := r.must("list", "--format", "json"); out != "null\n" {
		t.Errorf("list --format json with no container: %q, want null", out)
	}
	b := newBundle(t, "sleep", "1000")
	b.save(t)
	r.must("create", "--bundle", b.dir, "owned")
	for _, tc := range []struct {
		uid  int
		want string
	}{{0, "root"}, {65534, "nobody"}, {54321, "#54321"}} {
		if err := os.Chown(filepath.Join(r.root, "owned"), tc.uid, 0); err != nil {
			t.Fatal(err)
		}
		var entries []map[string]any
		if err := json.Unmarshal([]byte(r.must("list", "--format", "json")), &entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0]["owner"] != tc.want {
			t.Errorf("list json with the state owned by %d: %v, want owner %s", tc.uid, entries, tc.want)
		}
		for _, key := range []string{"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"} {
			if _, ok := entries[0][key]; !ok {
				t.Errorf("list json lacks runc's %q: %v", key, entries[0])
			}
		}
		lines := strings.Split(strings.TrimSpace(r.must("list")), "\n")
		if f := strings.Fields(lines[len(lines)-1]); f[len(f)-1] != tc.want {
			t.Errorf("list table %q: want owner %s", lines, tc.want)
		}
	}
	os.Chown(filepath.Join(r.root, "owned"), 0, 0)
	r.must("delete", "owned")
}

func TestRunNoSubreaper(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "exit 3")
	b.save(t)
	if res := r.sprout("run", "--no-subreaper", "--bundle", b.dir, "nosubreaper"); res.code != 3 {
		t.Fatalf("run --no-subreaper: exit %d, %q", res.code, res.stderr)
	}
}

func TestPreserveFdsNotOpen(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "true")
	b.save(t)
	for _, cmd := range []string{"run", "create"} {
		res := r.sprout(cmd, "--preserve-fds", "100000", "--bundle", b.dir, "pfds")
		if res.code == 0 || !strings.Contains(res.stderr, "--preserve-fds") {
			t.Errorf("%s --preserve-fds 100000: exit %d, %q: want an error naming the flag", cmd, res.code, res.stderr)
		}
	}
	if entries, _ := os.ReadDir(r.root); len(entries) != 0 {
		t.Errorf("state left: %v", entries)
	}
	startSleeper(t, r, "pfdsexec")
	res := r.sprout("exec", "--preserve-fds", "100000", "pfdsexec", "true")
	if res.code != 255 || !strings.Contains(res.stderr, "--preserve-fds") {
		t.Errorf("exec --preserve-fds 100000: exit %d, %q: want 255 and an error naming the flag", res.code, res.stderr)
	}
}

// runc prints warnings at its default log level: no --debug needed.
func TestWarningWithoutDebug(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "true")
	b.spec.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/false"}}}
	b.save(t)
	res := r.sprout("run", "--bundle", b.dir, "warnhook")
	if res.code != 0 || !strings.Contains(res.stderr, "level=warning") || !strings.Contains(res.stderr, "poststop hook 0") {
		t.Fatalf("run with a failing poststop hook: exit %d, stderr %q: want a warning", res.code, res.stderr)
	}
}

// exec exits 255 when it cannot run the process at all, as runc does.
func TestExecFailureStatus(t *testing.T) {
	r := newRuntime(t)
	startSleeper(t, r, "exec255")
	if res := r.sprout("exec", "exec255", "/nonexistent"); res.code != 255 {
		t.Errorf("exec of a missing program: exit %d, %q, want 255", res.code, res.stderr)
	}
	if res := r.sprout("exec", "exec255", "sh", "-c", "exit 7"); res.code != 7 {
		t.Errorf("exec of a process exiting 7: exit %d, %q", res.code, res.stderr)
	}
	if res := r.sprout("exec", "nosuch", "true"); res.code != 255 {
		t.Errorf("exec in a missing container: exit %d, %q, want 255", res.code, res.stderr)
	}
}

// runc (urfave/cli v1) takes flags after the container ID for every command
// but exec and ps.
func TestFlagsAfterID(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	b.save(t)
	r.must("run", "flagsafter", "-d", "--bundle", b.dir)
	r.must("kill", "flagsafter", "0")
	r.must("kill", "flagsafter", "0", "-a")
	r.must("update", "flagsafter", "--pids-limit", "50")
	pid := r.mustState("flagsafter").Pid
	if got := resCgroupOf(t, pid).read("pids", "pids.max", "pids.max"); got != "50" {
		t.Errorf("update ID --pids-limit 50: pids.max %q", got)
	}
	r.must("delete", "flagsafter", "--force")
	if _, err := r.state("flagsafter"); err == nil {
		t.Error("delete ID --force left the container")
	}
}

// runc refuses a container's cgroup that is frozen already: the init would
// freeze as it joins (sprout's create used to hang, its init in D state).
func TestCreateInFrozenCgroupRefused(t *testing.T) {
	if resCgroupV2(t) {
		t.Skip("written for cgroup v1 hierarchies")
	}
	r := newRuntime(t)
	cg := fmt.Sprintf("/sprout-parity-cli-frozen-%d", time.Now().UnixNano())
	dir := filepath.Join("/sys/fs/cgroup/freezer", cg)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
		r.cleanup()
		removeCgroups(strings.TrimPrefix(cg, "/"))
	})
	if err := os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("FROZEN"), 0); err != nil {
		t.Fatal(err)
	}
	b := newBundle(t, "sleep", "1000")
	b.spec.Linux.CgroupsPath = cg
	b.save(t)
	for _, args := range [][]string{{"run", "-d"}, {"create"}} {
		res := r.sprout(append(args, "--bundle", b.dir, "frozen")...)
		if res.code == 0 || !strings.Contains(res.stderr, "container's cgroup unexpectedly frozen") {
			t.Errorf("%v into a frozen cgroup: exit %d, %q", args, res.code, res.stderr)
		}
		if _, err := r.state("frozen"); err == nil {
			t.Errorf("%v into a frozen cgroup left the container", args)
		}
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the refused create removed the cgroup it did not make: %v", err)
	}
}

// runc warns when the container's cgroup already holds processes.
func TestCreateInNonEmptyCgroupWarns(t *testing.T) {
	if resCgroupV2(t) {
		t.Skip("written for cgroup v1 hierarchies")
	}
	r := newRuntime(t)
	name := fmt.Sprintf("sprout-parity-cli-busy-%d", time.Now().UnixNano())
	dir := filepath.Join("/sys/fs/cgroup/devices", name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "1000")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sleeper.Process.Kill()
		sleeper.Wait()
		r.cleanup()
		removeCgroups(name)
	})
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(sleeper.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	b := newBundle(t, "sleep", "1000")
	b.spec.Linux.CgroupsPath = "/" + name
	b.save(t)
	res := r.sprout("create", "--bundle", b.dir, "busycg")
	if res.code != 0 {
		t.Fatalf("create: exit %d, %q", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "level=warning") || !strings.Contains(res.stderr, "container's cgroup is not empty: 1 process(es) found") {
		t.Errorf("create into a cgroup holding a process: stderr %q, want runc's warning", res.stderr)
	}
	sleeper.Process.Kill()
	sleeper.Wait()
	r.must("delete", "busycg")
}

// runc's update --memory -1 lifts the memory+swap limit too, unless one
// is given; the stored one would be below an unlimited memory limit.
func TestUpdateMemoryUnlimitedLiftsSwap(t *testing.T) {
	if resCgroupV2(t) {
		t.Skip("written for cgroup v1 hierarchies")
	}
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: ptrTo(int64(100 << 20)), Swap: ptrTo(int64(200 << 20))}
	b.save(t)
	r.must("run", "-d", "--bundle", b.dir, "memunl")
	t.Cleanup(func() { r.sprout("delete", "--force", "memunl") })
	r.must("update", "--memory", "-1", "memunl")
	dir := filepath.Join("/sys/fs/cgroup/memory", harness.CgroupOf(t, r.mustState("memunl").Pid, "memory"))
	for _, f := range []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		// The kernel shows "unlimited" as the page-aligned maximum.
		if v := strings.TrimSpace(string(data)); v != "9223372036854771712" {
			t.Errorf("%s after update --memory -1: %s, want unlimited", f, v)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

// removeCgroups removes the test's cgroups of that name, waiting a little
// for processes that are still dying in them.
func removeCgroups(name string) {
	for i := 0; i < 100; i++ {
		left := 0
		for _, d := range cgroupsNamed(name) {
			if os.Remove(d) != nil {
				left++
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runc 1.1 never puts a cgroup namespace in `spec`, newer runc only on a
// cgroup2-only host; this host is hybrid.
func TestSpecNoCgroupNamespaceOnHybridHost(t *testing.T) {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil || st.Type == unix.CGROUP2_SUPER_MAGIC {
		t.Skip("a cgroup2-only host: spec adds a cgroup namespace there")
	}
	r := newRuntime(t)
	dir := t.TempDir()
	r.must("spec", "--bundle", dir)
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	for _, n := range s.Linux.Namespaces {
		if n.Type == specs.CgroupNamespace {
			t.Fatalf("spec on a hybrid host has a cgroup namespace: %v", s.Linux.Namespaces)
		}
	}
	if len(s.Linux.Namespaces) != 5 {
		t.Errorf("namespaces %v: want runc's pid, network, ipc, uts, mount", s.Linux.Namespaces)
	}
}

// --debug logs each step, the init's included, in runc's formats: here one
// JSON object a line in the --log file.
func TestDebugLogJSON(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	b.spec.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true"}}}
	b.save(t)
	log := filepath.Join(t.TempDir(), "log.json")
	r.must("--debug", "--log", log, "--log-format", "json", "run", "-d", "--bundle", b.dir, "dbg")
	r.must("--debug", "--log", log, "--log-format", "json", "exec", "dbg", "true")
	r.must("--debug", "--log", log, "--log-format", "json", "delete", "--force", "dbg")
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e struct{ Level, Msg, Time string }
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, e.Time); err != nil || e.Level == "" || e.Msg == "" {
			t.Errorf("log line %q: want level, msg and an RFC 3339 time", l)
		}
		if e.Level == "debug" {
			msgs = append(msgs, e.Msg)
		}
	}
	all := strings.Join(msgs, "\n")
	for _, step := range []string{
		"config of bundle " + b.dir + " loaded", "cgroups map[", "namespaces [pid (new)",
		"init is pid", "init: mounts[0]: proc proc on /proc", "createRuntime hook 0: running /bin/true",
		"init: rootfs", "init: entered the rootfs", "init set up", "releasing init",
		"init: start received", "init: credentials 0:0", "exec /bin/sleep", "exec'd",
		"exec [\"true\"]: joining namespaces", "exec: process", "killing every process", "removing cgroups",
	} {
		if !strings.Contains(all, step) {
			t.Errorf("no debug line with %q in:\n%s", step, all)
		}
	}
	// Without --debug there are none.
	quiet := filepath.Join(t.TempDir(), "quiet.json")
	r.must("--log", quiet, "--log-format", "json", "run", "-d", "--bundle", b.dir, "nodbg")
	r.must("--log", quiet, "delete", "--force", "nodbg")
	if data, _ := os.ReadFile(quiet); strings.Contains(string(data), `"debug"`) {
		t.Errorf("debug lines without --debug: %s", data)
	}
}
