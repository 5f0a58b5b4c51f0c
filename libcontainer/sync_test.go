package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
	"golang.org/x/sys/unix"
)

// These tests run the real C stage (nsexec.c is linked into this test
// binary through the nsexec import) and the parent's real message loops
// against a stand-in for the Go init that uses the init's own sending
// functions: the C and Go halves of the protocol cannot drift apart
// without one of them failing. None needs root.

func TestMain(m *testing.M) {
	if IsInit() {
		fakeInit()
	}
	os.Exit(m.Run())
}

// fakeInit plays the container init's side of the protocol; the scenario
// is in the config's ID.
func fakeInit() {
	ip := &initProcess{sync: envFile("_SPROUT_SYNCFD", "sync")}
	cfg := envFile("_SPROUT_CONFIGFD", "config")
	if err := json.NewDecoder(cfg).Decode(&ip.cfg); err != nil {
		sendSync(ip.sync, syncError, []byte("fake init: "+err.Error()))
		os.Exit(1)
	}
	uidMap, _ := os.ReadFile("/proc/self/uid_map")
	ip.sendLog(fmt.Sprintf("uid_map %s ppid %d", strings.Join(strings.Fields(string(uidMap)), " "), os.Getppid()))
	fail := func(err error) {
		sendSync(ip.waiter(), syncError, []byte(err.Error()))
		os.Exit(1)
	}
	switch ip.cfg.ID {
	case "fail":
		fail(fmt.Errorf("fake init failed on purpose"))
	case "exit3":
		os.Exit(3)
	}
	if len(ip.cfg.BindSources) > 0 {
		files, err := receiveFds(ip.sync, len(ip.cfg.BindSources))
		if err != nil {
			fail(err)
		}
		ip.sendLog(fmt.Sprintf("%d fds", len(files)))
	}
	if ip.cfg.ParentHooks {
		if err := ip.askParent(syncHooks); err != nil {
			fail(err)
		}
	}
	if err := sendSync(ip.sync, syncReady, nil); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// syncRun starts the stage, sends it the bootstrap, and serves it and the
// fake init as create does, up to ready. It returns the init's exit status
// (-1 if it was not reaped here), the debug lines the init sent and the
// error.
func syncRun(t *testing.T, s *specs.Spec, cfg initConfig, bindSources int) (int, []string, error) {
	t.Helper()
	var mu sync.Mutex
	var logs []string
	Debug = func(msg string) {
		mu.Lock()
		logs = append(logs, msg)
		mu.Unlock()
	}
	t.Cleanup(func() { Debug = nil })
	cmd, sock, cfgW, _, err := spawnInit(spawnOpts{})
	if err != nil {
		t.Fatal(err)
	}
	defer cfgW.Close()
	c := &Container{root: t.TempDir(), state: &State{ID: cfg.ID}}
	c.dir = c.root
	p := &parent{c: c, spec: s, stage: cmd, sync: sock}
	t.Cleanup(func() {
		p.abort()
		sock.Close()
	})
	if err := sendSync(sock, syncBootstrap, buildBootstrap(s.Linux.Namespaces, nil, nil, -1)); err != nil {
		t.Fatal(err)
	}
	if err := p.waitPid(); err != nil {
		return -1, logs, err
	}
	cfg.Spec = s
	cfg.Debug = true
	if err := sendInitConfig(cfgW, &cfg); err != nil {
		t.Fatal(err)
	}
	cfgW.Close()
	if bindSources > 0 {
		files := make([]*os.File, bindSources)
		for i := range files {
			if files[i], err = os.Open("/"); err != nil {
				t.Fatal(err)
			}
			defer files[i].Close()
		}
		if err := sendFds(sock, files); err != nil {
			t.Fatal(err)
		}
	}
	err = p.waitReady(cfg.ParentHooks)
	status := -1
	if p.pid > 0 {
		// The fake init exits once its part is done.
		ws, werr := WaitPid(p.pid)
		if werr != nil {
			t.Fatal(werr)
		}
		p.pid, status = 0, ws.ExitStatus()
	}
	mu.Lock()
	defer mu.Unlock()
	return status, append([]string(nil), logs...), err
}

func syncSpec() *specs.Spec {
	return &specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{}}
}

func hasLog(logs []string, part string) bool {
	for _, l := range logs {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}

func TestSyncCreateUpToReady(t *testing.T) {
	s := syncSpec()
	// More than one message's worth of fds.
	const n = maxFdsPerMsg + 3
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 3*n {
		t.Skipf("RLIMIT_NOFILE %d is too low for %d fds", lim.Cur, n)
	}
	idx := make([]int, n)
	status, logs, err := syncRun(t, s, initConfig{ID: "ok", BindSources: idx}, n)
	if err != nil {
		t.Fatalf("create protocol: %v (logs %q)", err, logs)
	}
	// CLONE_PARENT: the init is this process's child, not the stage's.
	if !hasLog(logs, fmt.Sprintf("ppid %d", os.Getpid())) {
		t.Errorf("init's log lines %q do not show it as our child (pid %d)", logs, os.Getpid())
	}
	if !hasLog(logs, fmt.Sprintf("%d fds", n)) {
		t.Errorf("init did not get the %d fds: %q", n, logs)
	}
	if status != 0 {
		t.Errorf("fake init exited with %d", status)
	}
}

func TestSyncParentHooks(t *testing.T) {
	s := syncSpec()
	s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "exit 0"}}}}
	if _, logs, err := syncRun(t, s, initConfig{ID: "hooks", ParentHooks: true}, 0); err != nil {
		t.Fatalf("hooks that pass: %v (logs %q)", err, logs)
	}
	s.Hooks.CreateRuntime[0].Args = []string{"sh", "-c", "exit 7"}
	_, _, err := syncRun(t, s, initConfig{ID: "hooks", ParentHooks: true}, 0)
	if err == nil || !strings.Contains(err.Error(), "createRuntime") {
		t.Fatalf("a failing createRuntime hook gave %v", err)
	}
}

func TestSyncStageError(t *testing.T) {
	s := syncSpec()
	s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/nonexistent/net"}}
	_, _, err := syncRun(t, s, initConfig{ID: "x"}, 0)
	if err == nil || !strings.Contains(err.Error(), "open namespace /nonexistent/net: No such file or directory") {
		t.Fatalf("the C stage's error came through as %v", err)
	}
}

func TestSyncInitErrorAndExit(t *testing.T) {
	_, _, err := syncRun(t, syncSpec(), initConfig{ID: "fail"}, 0)
	if err == nil || err.Error() != "fake init failed on purpose" {
		t.Errorf("init error came through as %v", err)
	}
	_, _, err = syncRun(t, syncSpec(), initConfig{ID: "exit3"}, 0)
	if err == nil || err.Error() != "container init exited during set-up: exit status 3" {
		t.Errorf("init exit came through as %v", err)
	}
}

// syncExec runs an exec as Exec does: the real C stage gets the plan fd in
// its bootstrap, its child reads the plan and runs it without Go. It
// returns the process's exit status, the debug lines and the error.
func syncExec(t *testing.T, pl *nsexec.Plan) (int, []string, error) {
	t.Helper()
	var logs []string
	Debug = func(msg string) { logs = append(logs, msg) }
	t.Cleanup(func() { Debug = nil })
	cmd, sock, cfgW, fds, err := spawnInit(spawnOpts{})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	defer cfgW.Close()
	c := &Container{root: t.TempDir(), state: &State{ID: "exec"}}
	p := &parent{c: c, spec: syncSpec(), stage: cmd, sync: sock}
	t.Cleanup(p.abort)
	if err := sendSync(sock, syncBootstrap, buildBootstrap(nil, nil, nil, fds.config)); err != nil {
		t.Fatal(err)
	}
	if err := p.waitPid(); err != nil {
		return -1, logs, err
	}
	if _, err := cfgW.Write(pl.Bytes()); err != nil {
		t.Fatal(err)
	}
	cfgW.Close()
	err = c.awaitExec(int(sock.Fd()), nil, "exec in container")
	ws, werr := WaitPid(p.pid)
	if werr != nil {
		t.Fatal(werr)
	}
	p.pid = 0
	return ws.ExitStatus(), logs, err
}

func TestSyncExec(t *testing.T) {
	var ok nsexec.Plan
	ok.Log("planned")
	planLookPath(&ok, "sh", []string{"PATH=/nonexistent:/bin"})
	// Larger than a pipe's buffer: the plan is read while it is written.
	env := []string{"X=1"}
	for i := range 4 {
		env = append(env, fmt.Sprintf("BIG%d=%s", i, strings.Repeat("b", 60000)))
	}
	ok.Exec([]string{"sh", "-c", `test "$X" = 1 && test ${#BIG3} = 60000`}, env)
	status, logs, err := syncExec(t, &ok)
	if err != nil || status != 0 {
		t.Fatalf("exec through the plan: status %d, %v", status, err)
	}
	if !hasLog(logs, "init: planned") {
		t.Errorf("the plan's log line is missing: %q", logs)
	}
	var missing nsexec.Plan
	missing.LookPath("/nonexistent/prog", false, "")
	_, _, err = syncExec(t, &missing)
	want := `exec in container exec: process.args[0] "/nonexistent/prog": stat /nonexistent/prog: no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("a failed plan came through as %v, want %s", err, want)
	}
}

func TestSyncUsermap(t *testing.T) {
	uid, gid := os.Geteuid(), os.Getegid()
	s := syncSpec()
	s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.UserNamespace}}
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(uid), Size: 1}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(gid), Size: 1}}
	_, logs, err := syncRun(t, s, initConfig{ID: "ok"}, 0)
	if err != nil && strings.Contains(err.Error(), "unshare user namespace") {
		t.Skipf("no user namespaces here: %v", err)
	}
	if err != nil {
		t.Fatalf("usermap protocol: %v", err)
	}
	want := "uid_map 0 " + strconv.Itoa(uid) + " 1"
	if !hasLog(logs, want) {
		t.Errorf("init's log lines %q lack %q", logs, want)
	}
}
