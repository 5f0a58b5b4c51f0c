// Package integration drives the built sprout binary against busybox
// bundles and checks what really happened, from inside the container and
// from the host.
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

	"github.com/sprout-runtime/sprout/tests/harness"
)

var sproutBin string

// TestMain builds sprout when SPROUT_BIN does not name it.
func TestMain(m *testing.M) {
	tmp := ""
	if os.Getenv("SPROUT_BIN") == "" {
		var err error
		tmp, err = os.MkdirTemp("", "sprout-bin")
		if err != nil {
			panic(err)
		}
		bin := filepath.Join(tmp, "sprout")
		build := exec.Command("go", "build", "-o", bin, "../..")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Println("build sprout:", err)
			os.Exit(1)
		}
		os.Setenv("SPROUT_BIN", bin)
	}
	sproutBin = harness.SproutBin("integration")
	var code int
	if systemdDriver {
		// systemd names a container's unit from cgroupsPath or the ID,
		// not from where this process's cgroup is.
		code = m.Run()
	} else {
		code = harness.InOwnCgroup(m)
	}
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	os.Exit(code)
}

type bundle struct {
	dir  string
	spec *specs.Spec
}

// makeRootfs makes a busybox rootfs under dir.
func makeRootfs(t *testing.T, dir string) { harness.MakeRootfs(t, dir) }

// newBundle makes a bundle whose process runs args (through sh -c when
// given one string).
func newBundle(t *testing.T, args ...string) *bundle {
	t.Helper()
	dir, s := harness.NewBundle(t, args...)
	return &bundle{dir: dir, spec: s}
}

func (b *bundle) save(t *testing.T) { harness.SaveSpec(t, b.dir, b.spec) }

type runtime struct {
	t    *testing.T
	root string
	// stdio holds the files every command ran with as stdout and stderr:
	// whatever a command leaves running still holds one of them.
	stdio []string
	// user, when set, runs every command as that unprivileged user
	// (rootless_test.go).
	user *rootlessUser
	h    *harness.Runtime
}

// systemdDriver runs every sprout command with --systemd-cgroup: the
// systemd VM tier sets SPROUT_TEST_CGROUP_DRIVER=systemd to run the tests
// that touch cgroups again under that driver.
var systemdDriver = os.Getenv("SPROUT_TEST_CGROUP_DRIVER") == "systemd"

func newRuntime(t *testing.T) *runtime {
	r := &runtime{t: t, root: t.TempDir()}
	r.h = &harness.Runtime{T: t, Command: r.command, Timeout: 60 * time.Second}
	t.Cleanup(r.cleanup)
	return r
}

// cleanup kills and deletes whatever a failed test left, by PID.
func (r *runtime) cleanup() { r.h.RemoveAll(r.root) }

// command is sprout with the runtime's root, driver and user.
func (r *runtime) command(args ...string) *exec.Cmd {
	global := []string{"--root", r.root}
	if systemdDriver {
		global = append(global, "--systemd-cgroup")
	}
	cmd := exec.Command(sproutBin, append(global, args...)...)
	if r.user != nil {
		r.user.apply(cmd)
	}
	return cmd
}

// leftProcesses lists the processes that hold the stdout or stderr of one
// of this runtime's commands: what its commands left running. Other sprout
// processes on the machine are not counted.
func (r *runtime) leftProcesses() []string { return harness.ProcessesHolding(r.stdio) }

type result struct {
	stdout, stderr string
	code           int
}

func (r *runtime) sproutIn(dir string, stdin *os.File, args ...string) result {
	r.t.Helper()
	cmd := r.command(args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = stdin
	}
	out := r.h.Run(cmd)
	r.stdio = append(r.stdio, out.Files...)
	return result{out.Stdout, out.Stderr, out.Code}
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

func (r *runtime) state(id string) (*specs.State, error) { return r.h.State(id) }

func (r *runtime) mustState(id string) *specs.State {
	r.t.Helper()
	return r.h.MustState(id)
}

// waitStatus polls until the container reaches want.
func (r *runtime) waitStatus(id string, want specs.ContainerState) {
	r.t.Helper()
	r.h.WaitStatus(id, want)
}

func hasLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}
