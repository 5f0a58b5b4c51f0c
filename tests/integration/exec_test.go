package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func startSleeper(t *testing.T, r *runtime, id string) (*bundle, int) {
	t.Helper()
	b := newBundle(t, "sleep", "1000")
	b.spec.Hostname = "exec-host"
	b.save(t)
	r.must("run", "-d", "--bundle", b.dir, id)
	t.Cleanup(func() { r.sprout("delete", "--force", id) })
	return b, r.mustState(id).Pid
}

func TestExecJoinsNamespacesAndCgroup(t *testing.T) {
	r := newRuntime(t)
	_, pid := startSleeper(t, r, "ex1")
	out := r.must("exec", "ex1", "sh", "-c", "hostname; for n in pid net mnt ipc uts cgroup; do readlink /proc/self/ns/$n; done; grep CapBnd /proc/self/status")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 8 || lines[0] != "exec-host" {
		t.Fatalf("exec output: %q", out)
	}
	for i, n := range []string{"pid", "net", "mnt", "ipc", "uts", "cgroup"} {
		want, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + n)
		if lines[1+i] != want {
			t.Errorf("%s namespace of exec'd process %s, container's %s", n, lines[1+i], want)
		}
	}
	initStatus, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, l := range strings.Split(string(initStatus), "\n") {
		if strings.HasPrefix(l, "CapBnd") && l != lines[7] {
			t.Errorf("exec'd %q, init %q", lines[7], l)
		}
	}
	// The exec'd process is in the container's cgroup: ps lists it.
	r.must("exec", "-d", "ex1", "sleep", "999")
	ps := r.must("exec", "ex1", "ps", "-o", "args")
	if !strings.Contains(ps, "sleep 999") {
		t.Fatalf("ps in the container: %q", ps)
	}
	cg, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	var execPid string
	for _, e := range mustReadDir(t, "/proc") {
		cmd, _ := os.ReadFile("/proc/" + e + "/cmdline")
		if strings.HasPrefix(string(cmd), "sleep\x00999") {
			execPid = e
		}
	}
	if execPid == "" {
		t.Fatal("exec'd sleep not found on the host")
	}
	cg2, _ := os.ReadFile("/proc/" + execPid + "/cgroup")
	if string(cg) != string(cg2) {
		t.Fatalf("cgroups differ:\ninit %s\nexec %s", cg, cg2)
	}
}

func mustReadDir(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestExecOptionsAndStatus(t *testing.T) {
	r := newRuntime(t)
	startSleeper(t, r, "ex2")
	if res := r.sprout("exec", "ex2", "sh", "-c", "exit 9"); res.code != 9 {
		t.Fatalf("exit status %d, want 9", res.code)
	}
	out := r.must("exec", "--env", "A=b", "--cwd", "/tmp", "--user", "1000:1001", "--additional-gids", "5", "ex2", "sh", "-c", "echo $A; pwd; id -u; id -g; grep Groups /proc/self/status")
	if !strings.HasPrefix(out, "b\n/tmp\n1000\n1001\nGroups:\t5") {
		t.Fatalf("exec options: %q", out)
	}
	p := specs.Process{Args: []string{"sh", "-c", "echo from-json $X"}, Env: []string{"X=y", "PATH=/bin"}, Cwd: "/"}
	data, _ := json.Marshal(p)
	pj := filepath.Join(t.TempDir(), "process.json")
	os.WriteFile(pj, data, 0o644)
	if out := r.must("exec", "--process", pj, "ex2"); out != "from-json y\n" {
		t.Fatalf("--process: %q", out)
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	r.must("exec", "-d", "--pid-file", pidFile, "ex2", "sleep", "500")
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := os.ReadFile("/proc/" + strings.TrimSpace(string(data)) + "/cmdline")
	if !strings.HasPrefix(string(cmd), "sleep") {
		t.Fatalf("pid file names %q (%q)", data, cmd)
	}
	if res := r.sprout("exec", "ex2", "no-such-binary"); res.code == 0 || !strings.Contains(res.stderr, "no-such-binary") {
		t.Fatalf("exec of a missing program: %d %q", res.code, res.stderr)
	}
	if res := r.sprout("exec", "nosuch", "true"); res.code == 0 {
		t.Fatal("exec into a missing container succeeded")
	}
	r.must("kill", "ex2", "KILL")
	r.waitStatus("ex2", specs.StateStopped)
	if res := r.sprout("exec", "ex2", "true"); res.code == 0 || !strings.Contains(res.stderr, "stopped") {
		t.Fatalf("exec into a stopped container: %d %q", res.code, res.stderr)
	}
}

func TestExecDiesWithContainer(t *testing.T) {
	r := newRuntime(t)
	startSleeper(t, r, "ex3")
	pidFile := filepath.Join(t.TempDir(), "pid")
	r.must("exec", "-d", "--pid-file", pidFile, "ex3", "sleep", "700")
	data, _ := os.ReadFile(pidFile)
	r.must("delete", "--force", "ex3")
	if stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(data)) + "/stat"); err == nil && !strings.Contains(string(stat), ") Z") {
		t.Fatalf("exec'd process outlived its container: %s", stat)
	}
}
