// Package fault kills sprout at every step of its commands, by injected
// SIGKILLs at chosen syscalls and at random instants, and runs long
// create/start/delete soaks; after each kill, delete --force must leave no
// state directory, cgroup, process or mount of the container, and a new
// create of the same ID must work.
package fault

import (
	"fmt"
	"math/rand"
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

func TestMain(m *testing.M) {
	sproutBin = harness.SproutBin("fault")
	os.Exit(harness.InOwnCgroup(m))
}

// rig is one container ID with its bundle, state root and cgroup, and what
// the host looked like before.
type rig struct {
	t      *testing.T
	root   string
	bundle string
	rootfs string
	id     string
	// cgTop is the first level of the container's cgroupsPath, which
	// create makes in every hierarchy.
	cgTop string
	h     *harness.Runtime
}

func newRig(t *testing.T, args ...string) *rig {
	t.Helper()
	dir := t.TempDir()
	r := &rig{
		t: t, root: filepath.Join(dir, "root"), bundle: filepath.Join(dir, "bundle"),
		id: "c", cgTop: fmt.Sprintf("sprout-fault-%d-%d", os.Getpid(), rand.Int63()),
	}
	r.rootfs = filepath.Join(r.bundle, "rootfs")
	r.h = &harness.Runtime{T: t, Command: r.cmd, Timeout: 60 * time.Second}
	harness.MakeRootfs(t, r.rootfs)
	s := harness.NewSpec(args...)
	// Nested, so that create makes a parent level as well.
	s.Linux.CgroupsPath = "/" + r.cgTop + "/" + r.id
	harness.SaveSpec(t, r.bundle, s)
	t.Cleanup(func() { r.sprout("delete", "--force", r.id) })
	return r
}

func (r *rig) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(sproutBin, append([]string{"--root", r.root}, args...)...)
	cmd.Dir = r.bundle
	return cmd
}

type result struct {
	out  string
	code int
}

// sprout runs a command to its end; a hang is a failure. Its output is
// stdout and stderr in one.
func (r *rig) sprout(args ...string) result {
	r.t.Helper()
	out := r.h.Sprout(args...)
	return result{out.Stdout + out.Stderr, out.Code}
}

func (r *rig) must(args ...string) string {
	r.t.Helper()
	res := r.sprout(args...)
	if res.code != 0 {
		r.t.Fatalf("sprout %v: exit %d: %s", args, res.code, res.out)
	}
	return res.out
}

// status is the container's status, "" when state fails.
func (r *rig) status() string {
	st, err := r.h.State(r.id)
	if err != nil {
		return ""
	}
	return string(st.Status)
}

// waitStatus polls until the container reaches want.
func (r *rig) waitStatus(want string) {
	r.t.Helper()
	r.h.WaitStatus(r.id, specs.ContainerState(want))
}

// seen checks that state and list recognise whatever a killed command
// left of the container.
func (r *rig) seen() error {
	if _, err := os.Stat(filepath.Join(r.root, r.id)); err != nil {
		return nil
	}
	if res := r.sprout("state", r.id); res.code != 0 {
		return fmt.Errorf("state of the left container: exit %d: %s", res.code, res.out)
	}
	if res := r.sprout("list", "-q"); res.code != 0 || !strings.Contains("\n"+res.out, "\n"+r.id+"\n") {
		return fmt.Errorf("list does not show the left container: exit %d: %q", res.code, res.out)
	}
	return nil
}

// leaks lists what is left of the container on the host.
func (r *rig) leaks() []string {
	var out []string
	if _, err := os.Stat(filepath.Join(r.root, r.id)); err == nil {
		out = append(out, "state directory "+filepath.Join(r.root, r.id))
	}
	for _, p := range harness.CgroupTrees(r.t, r.cgTop) {
		procs, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		out = append(out, fmt.Sprintf("cgroup %s (processes: %q)", p, strings.Fields(string(procs))))
	}
	for _, p := range r.processes() {
		out = append(out, "process "+p)
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, l := range strings.Split(string(mi), "\n") {
		if strings.Contains(l, r.bundle) || strings.Contains(l, r.root) {
			out = append(out, "mount "+l)
		}
	}
	return out
}

// processes lists the live processes in the container's cgroup or rooted
// in its rootfs.
func (r *rig) processes() []string { return harness.ContainerProcesses(r.cgTop, r.rootfs) }

// recover runs delete --force after a kill and checks that nothing is
// left and that the ID can be created again. It returns what went wrong.
func (r *rig) recover() []string {
	r.t.Helper()
	var bad []string
	if err := r.seen(); err != nil {
		bad = append(bad, err.Error())
	}
	res := r.sprout("--debug", "delete", "--force", r.id)
	if res.code != 0 {
		bad = append(bad, fmt.Sprintf("delete --force: exit %d: %s", res.code, res.out))
	}
	if leaks := r.leaks(); len(leaks) > 0 {
		bad = append(bad, leaks...)
		if res.code == 0 && res.out != "" {
			bad = append(bad, "delete --force said: "+res.out)
		}
	}
	if len(bad) > 0 {
		return bad
	}
	if res := r.sprout("create", "--bundle", r.bundle, r.id); res.code != 0 {
		bad = append(bad, fmt.Sprintf("create after delete --force: exit %d: %s", res.code, res.out))
	}
	if res := r.sprout("delete", "--force", r.id); res.code != 0 {
		bad = append(bad, fmt.Sprintf("delete --force of the new container: exit %d: %s", res.code, res.out))
	}
	return append(bad, r.leaks()...)
}

// scenario is one command to kill, with what it needs made first.
type scenario struct {
	name  string
	setup func(r *rig)
	args  func(r *rig) []string
}

var scenarios = []scenario{
	{"create", func(r *rig) {}, func(r *rig) []string { return []string{"create", "--bundle", r.bundle, r.id} }},
	{"run-d", func(r *rig) {}, func(r *rig) []string { return []string{"run", "-d", "--bundle", r.bundle, r.id} }},
	{"start", func(r *rig) { r.must("create", "--bundle", r.bundle, r.id) }, func(r *rig) []string { return []string{"start", r.id} }},
	{"exec", func(r *rig) { r.must("run", "-d", "--bundle", r.bundle, r.id) }, func(r *rig) []string { return []string{"exec", "-d", r.id, "sleep", "1001"} }},
	{"delete", func(r *rig) { r.must("run", "-d", "--bundle", r.bundle, r.id) }, func(r *rig) []string { return []string{"delete", "--force", r.id} }},
}
