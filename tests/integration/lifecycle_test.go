package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/tests/harness"
)

func TestRunExitStatus(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "echo hello; exit 7")
	res := r.run(b, "exit7")
	if res.code != 7 || strings.TrimSpace(res.stdout) != "hello" {
		t.Fatalf("got exit %d, stdout %q, stderr %q; want 7 and hello", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(r.root, "exit7")); !os.IsNotExist(err) {
		t.Fatalf("run without --keep left the state directory: %v", err)
	}
}

func TestRunKilledBySignal(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	done := make(chan result, 1)
	go func() { done <- r.run(b, "sig") }()
	r.waitStatus("sig", specs.StateRunning)
	r.must("kill", "sig", "KILL")
	if res := <-done; res.code != 128+9 {
		t.Fatalf("exit %d, want 137 (%s)", res.code, res.stderr)
	}
}

func TestLifecycle(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "echo started > /tmp/marker; sleep 1000")
	b.spec.Annotations = map[string]string{"org.example.key": "value"}
	b.save(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	r.must("create", "--bundle", b.dir, "--pid-file", pidFile, "lc")

	st := r.mustState("lc")
	if st.Status != specs.StateCreated || st.Pid <= 0 || st.ID != "lc" || st.Bundle != b.dir {
		t.Fatalf("after create: %+v", st)
	}
	if st.Annotations["org.example.key"] != "value" {
		t.Fatalf("annotations not kept: %+v", st.Annotations)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(st.Pid) {
		t.Fatalf("pid file %q (%v), state pid %d", data, err, st.Pid)
	}
	// The process must not have run yet.
	marker := filepath.Join(b.dir, "rootfs/tmp/marker")
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the process ran before start")
	}

	r.must("start", "lc")
	if st := r.mustState("lc"); st.Status != specs.StateRunning {
		t.Fatalf("after start: %s", st.Status)
	}
	waitFile(t, marker)
	if res := r.sprout("start", "lc"); res.code == 0 || !strings.Contains(res.stderr, "lc") {
		t.Fatalf("second start: exit %d, %q", res.code, res.stderr)
	}
	if res := r.sprout("delete", "lc"); res.code == 0 {
		t.Fatal("delete of a running container succeeded without --force")
	}
	r.must("kill", "lc", "KILL")
	r.waitStatus("lc", specs.StateStopped)
	if res := r.sprout("kill", "lc"); res.code == 0 {
		t.Fatal("kill of a stopped container succeeded")
	}
	// containerd's shim sends kill --all 9 after the init is gone.
	r.must("kill", "--all", "lc", "KILL")
	r.must("delete", "lc")
	if res := r.sprout("state", "lc"); res.code == 0 {
		t.Fatal("state of a deleted container succeeded")
	}
	// Engines delete --force again after delete: that must succeed.
	r.must("delete", "--force", "lc")
}

var waitFile = harness.WaitFile

func TestKillSignals(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "trap 'echo got-usr1 > /tmp/sig' USR1; while true; do sleep 0.05; done")
	b.save(t)
	r.must("run", "-d", "--bundle", b.dir, "ks")
	time.Sleep(200 * time.Millisecond)
	for _, sig := range []string{"SIGUSR1", "usr1", "10"} {
		os.Remove(filepath.Join(b.dir, "rootfs/tmp/sig"))
		r.must("kill", "ks", sig)
		waitFile(t, filepath.Join(b.dir, "rootfs/tmp/sig"))
	}
	if res := r.sprout("kill", "ks", "SIGNOPE"); res.code == 0 {
		t.Fatal("unknown signal accepted")
	}
	r.must("kill", "--all", "ks", "KILL")
	r.waitStatus("ks", specs.StateStopped)
	r.must("delete", "ks")
}

func TestDeleteForceRunning(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 1000")
	b.save(t)
	r.must("run", "-d", "--bundle", b.dir, "df")
	pid := r.mustState("df").Pid
	r.must("delete", "--force", "df")
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		if data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); !strings.Contains(string(data), ") Z") {
			t.Fatalf("init %d still alive after delete --force", pid)
		}
	}
}

func TestListAndState(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 1000")
	b.save(t)
	r.must("create", "--bundle", b.dir, "l1")
	r.must("create", "--bundle", b.dir, "l2")
	out := r.must("list", "--quiet")
	if out != "l1\nl2\n" {
		t.Fatalf("list -q: %q", out)
	}
	out = r.must("list", "--format", "json")
	if !strings.Contains(out, `"id":"l1"`) || !strings.Contains(out, `"status":"created"`) {
		t.Fatalf("list json: %s", out)
	}
	out = r.must("list")
	if !strings.HasPrefix(out, "ID") || !strings.Contains(out, "l2") {
		t.Fatalf("list table: %s", out)
	}
	r.must("delete", "--force", "l1")
	r.must("delete", "--force", "l2")
}

func TestSpecCommand(t *testing.T) {
	r := newRuntime(t)
	dir := t.TempDir()
	r.must("spec", "--bundle", dir)
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil || !strings.Contains(string(data), `"terminal": true`) {
		t.Fatalf("config.json: %v %s", err, data)
	}
	if res := r.sprout("spec", "--bundle", dir); res.code == 0 {
		t.Fatal("spec overwrote an existing config.json")
	}
	rl := t.TempDir()
	r.must("spec", "--rootless", "--bundle", rl)
	data, _ = os.ReadFile(filepath.Join(rl, "config.json"))
	if !strings.Contains(string(data), "uidMappings") {
		t.Fatalf("rootless spec has no uidMappings: %s", data)
	}
}

func TestVersion(t *testing.T) {
	r := newRuntime(t)
	out := r.must("--version")
	if !strings.Contains(out, "sprout version") || !strings.Contains(out, "spec: "+specs.Version) {
		t.Fatalf("--version: %q", out)
	}
}

func TestConcurrentCreateSameID(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 1000")
	b.save(t)
	results := make(chan result, 4)
	for i := 0; i < 4; i++ {
		go func() { results <- r.sprout("create", "--bundle", b.dir, "dup") }()
	}
	ok := 0
	for i := 0; i < 4; i++ {
		if res := <-results; res.code == 0 {
			ok++
		} else if !strings.Contains(res.stderr, "already exists") {
			t.Errorf("losing create: %q", res.stderr)
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates of one ID succeeded", ok)
	}
	r.must("delete", "--force", "dup")
}

func TestLogJSON(t *testing.T) {
	r := newRuntime(t)
	log := filepath.Join(t.TempDir(), "log.json")
	res := r.sprout("--log", log, "--log-format", "json", "start", "nosuch")
	if res.code == 0 {
		t.Fatal("start of a missing container succeeded")
	}
	data, _ := os.ReadFile(log)
	if !strings.Contains(string(data), `"level":"error"`) || !strings.Contains(string(data), "nosuch") || !strings.Contains(string(data), `"time":`) {
		t.Fatalf("log file: %q", data)
	}
}

func TestNoPivot(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "ls /; readlink /proc/1/root")
	b.save(t)
	res := r.sprout("run", "--no-pivot", "--bundle", b.dir, "nopivot")
	if res.code != 0 {
		t.Fatalf("run --no-pivot: %d %s", res.code, res.stderr)
	}
	if !hasLine(res.stdout, "bin") || !hasLine(res.stdout, "/") {
		t.Fatalf("--no-pivot container: %q", res.stdout)
	}
}
