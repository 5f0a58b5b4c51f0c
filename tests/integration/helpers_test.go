// Package integration drives the built sprout binary against busybox
// bundles and checks what really happened, from inside the container and
// from the host.
package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/spec"
)

var (
	sproutBin string
	busybox   = "/bin/busybox"
	applets   []string
)

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Println("integration tests need root")
		os.Exit(1)
	}
	if b := os.Getenv("BUSYBOX"); b != "" {
		busybox = b
	}
	sproutBin = os.Getenv("SPROUT_BIN")
	tmp := ""
	if sproutBin == "" {
		var err error
		tmp, err = os.MkdirTemp("", "sprout-bin")
		if err != nil {
			panic(err)
		}
		sproutBin = filepath.Join(tmp, "sprout")
		build := exec.Command("go", "build", "-o", sproutBin, "../..")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Println("build sprout:", err)
			os.Exit(1)
		}
	}
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		fmt.Println("busybox-static is needed at", busybox, err)
		os.Exit(1)
	}
	for _, a := range strings.Fields(string(out)) {
		if a != "busybox" {
			applets = append(applets, a)
		}
	}
	code := m.Run()
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	os.Exit(code)
}

type bundle struct {
	dir  string
	spec *specs.Spec
}

// rootfsDir makes a busybox rootfs under dir.
func makeRootfs(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{"bin", "etc", "tmp", "proc", "sys", "dev"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range applets {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home/nobody:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "etc/group"), []byte("root:x:0:\nnogroup:x:65534:\n"), 0o644)
}

// newBundle makes a bundle whose process runs args (through sh -c when
// given one string).
func newBundle(t *testing.T, args ...string) *bundle {
	t.Helper()
	dir := t.TempDir()
	makeRootfs(t, filepath.Join(dir, "rootfs"))
	s := spec.Default(false)
	s.Process.Terminal = false
	s.Root.Readonly = false
	if len(args) == 1 {
		args = []string{"sh", "-c", args[0]}
	}
	if len(args) > 0 {
		s.Process.Args = args
	}
	return &bundle{dir: dir, spec: s}
}

func (b *bundle) save(t *testing.T) {
	t.Helper()
	data, err := json.MarshalIndent(b.spec, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type runtime struct {
	t    *testing.T
	root string
	// stdio holds the files every command ran with as stdout and stderr:
	// whatever a command leaves running still holds one of them.
	stdio []string
	// user, when set, runs every command as that unprivileged user
	// (rootless_test.go).
	user *rootlessUser
}

// systemdDriver runs every sprout command with --systemd-cgroup: the
// systemd VM tier sets SPROUT_TEST_CGROUP_DRIVER=systemd to run the tests
// that touch cgroups again under that driver.
var systemdDriver = os.Getenv("SPROUT_TEST_CGROUP_DRIVER") == "systemd"

func newRuntime(t *testing.T) *runtime {
	r := &runtime{t: t, root: t.TempDir()}
	t.Cleanup(r.cleanup)
	return r
}

// cleanup kills and deletes whatever a failed test left, by PID.
func (r *runtime) cleanup() {
	entries, _ := os.ReadDir(r.root)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if st, err := r.state(e.Name()); err == nil && st.Pid > 0 {
			syscall.Kill(st.Pid, syscall.SIGKILL)
		}
		r.sprout("delete", "--force", e.Name())
	}
}

// leftProcesses lists the processes that hold the stdout or stderr of one
// of this runtime's commands: what its commands left running. Other sprout
// processes on the machine are not counted.
func (r *runtime) leftProcesses() []string {
	ours := map[string]bool{}
	for _, name := range r.stdio {
		ours[name] = true
		ours[name+" (deleted)"] = true
	}
	var left []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		for _, fd := range []string{"1", "2"} {
			if target, err := os.Readlink("/proc/" + e.Name() + "/fd/" + fd); err == nil && ours[target] {
				left = append(left, e.Name())
				break
			}
		}
	}
	return left
}

type result struct {
	stdout, stderr string
	code           int
}

func (r *runtime) sproutIn(dir string, stdin *os.File, args ...string) result {
	r.t.Helper()
	global := []string{"--root", r.root}
	if systemdDriver {
		global = append(global, "--systemd-cgroup")
	}
	cmd := exec.Command(sproutBin, append(global, args...)...)
	cmd.Dir = dir
	if r.user != nil {
		r.user.apply(cmd)
	}
	// Files, not pipes: a detached container keeps its stdio open, and
	// waiting for a pipe's end would wait for the container.
	outF, err := os.CreateTemp("", "sprout-out")
	if err != nil {
		r.t.Fatal(err)
	}
	errF, err := os.CreateTemp("", "sprout-err")
	if err != nil {
		r.t.Fatal(err)
	}
	r.stdio = append(r.stdio, outF.Name(), errF.Name())
	defer os.Remove(outF.Name())
	defer os.Remove(errF.Name())
	defer outF.Close()
	defer errF.Close()
	cmd.Stdout, cmd.Stderr = outF, errF
	if stdin != nil {
		cmd.Stdin = stdin
	}
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		r.t.Fatalf("sprout %v: timed out", args)
	}
	out, _ := os.ReadFile(outF.Name())
	errb, _ := os.ReadFile(errF.Name())
	return result{string(out), string(errb), cmd.ProcessState.ExitCode()}
}

func (r *runtime) sprout(args ...string) result {
	r.t.Helper()
	return r.sproutIn("", nil, args...)
}

// must runs a command that has to succeed.
func (r *runtime) must(args ...string) string {
	r.t.Helper()
	res := r.sprout(args...)
	if res.code != 0 {
		r.t.Fatalf("sprout %v: exit %d: %s", args, res.code, res.stderr)
	}
	return res.stdout
}

// run runs the bundle in the foreground and returns its output and status.
func (r *runtime) run(b *bundle, id string) result {
	r.t.Helper()
	b.save(r.t)
	return r.sprout("run", "--bundle", b.dir, id)
}

// output runs the bundle and fails the test unless it exits 0.
func (r *runtime) output(b *bundle) string {
	r.t.Helper()
	res := r.run(b, fmt.Sprintf("c%d", time.Now().UnixNano()))
	if res.code != 0 {
		r.t.Fatalf("container exited %d: stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

func (r *runtime) state(id string) (*specs.State, error) {
	res := r.sprout("state", id)
	if res.code != 0 {
		return nil, fmt.Errorf("state %s: %s", id, res.stderr)
	}
	var st specs.State
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func (r *runtime) mustState(id string) *specs.State {
	r.t.Helper()
	st, err := r.state(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// waitStatus polls until the container reaches want.
func (r *runtime) waitStatus(id string, want specs.ContainerState) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := r.state(id); err == nil && st.Status == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	st, _ := r.state(id)
	r.t.Fatalf("container %s never became %s (state %+v)", id, want, st)
}

func hasLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}
