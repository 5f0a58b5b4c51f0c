// Package fault kills sprout at every step of its commands, by injected
// SIGKILLs at chosen syscalls and at random instants, and runs long
// create/start/delete soaks; after each kill, delete --force must leave no
// state directory, cgroup, process or mount of the container, and a new
// create of the same ID must work.
package fault

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sprout-runtime/sprout/spec"
)

var (
	sproutBin string
	busybox   = "/bin/busybox"
)

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Println("fault tests need root")
		os.Exit(1)
	}
	sproutBin = os.Getenv("SPROUT_BIN")
	if sproutBin == "" {
		fmt.Println("set SPROUT_BIN to the sprout binary under test")
		os.Exit(1)
	}
	if b := os.Getenv("BUSYBOX"); b != "" {
		busybox = b
	}
	os.Exit(m.Run())
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
}

func newRig(t *testing.T, args ...string) *rig {
	t.Helper()
	dir := t.TempDir()
	r := &rig{
		t: t, root: filepath.Join(dir, "root"), bundle: filepath.Join(dir, "bundle"),
		id: "c", cgTop: fmt.Sprintf("sprout-fault-%d-%d", os.Getpid(), rand.Int63()),
	}
	r.rootfs = filepath.Join(r.bundle, "rootfs")
	for _, d := range []string{"bin", "proc", "sys", "dev", "tmp"} {
		if err := os.MkdirAll(filepath.Join(r.rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.rootfs, "bin/busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sh", "sleep", "true"} {
		if err := os.Symlink("busybox", filepath.Join(r.rootfs, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	s := spec.Default(false)
	s.Process.Terminal = false
	s.Root.Readonly = false
	s.Process.Args = args
	// Nested, so that create makes a parent level as well.
	s.Linux.CgroupsPath = "/" + r.cgTop + "/" + r.id
	cfg, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.bundle, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
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

// sprout runs a command to its end; a hang is a failure.
func (r *rig) sprout(args ...string) result {
	r.t.Helper()
	cmd := r.cmd(args...)
	out, err := os.CreateTemp("", "sprout-fault-out")
	if err != nil {
		r.t.Fatal(err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	// A file, not a pipe: a detached container keeps its stdio.
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	if !waitTimeout(cmd, 60*time.Second) {
		r.t.Fatalf("sprout %v hangs", args)
	}
	data, _ := os.ReadFile(out.Name())
	return result{string(data), cmd.ProcessState.ExitCode()}
}

func (r *rig) must(args ...string) string {
	r.t.Helper()
	res := r.sprout(args...)
	if res.code != 0 {
		r.t.Fatalf("sprout %v: exit %d: %s", args, res.code, res.out)
	}
	return res.out
}

// waitTimeout waits for a started command, killing it after d.
func waitTimeout(cmd *exec.Cmd, d time.Duration) bool {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return false
	}
}

func (r *rig) status() string {
	res := r.sprout("state", r.id)
	if res.code != 0 {
		return ""
	}
	var st struct {
		Status string `json:"status"`
	}
	if json.Unmarshal([]byte(res.out), &st) != nil {
		return ""
	}
	return st.Status
}

// waitStatus polls until the container reaches want.
func (r *rig) waitStatus(want string) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for r.status() != want {
		if time.Now().After(deadline) {
			r.t.Fatalf("container never became %s (is %q)", want, r.status())
		}
		time.Sleep(5 * time.Millisecond)
	}
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
	for _, m := range cgroupMounts(r.t) {
		filepath.WalkDir(filepath.Join(m, r.cgTop), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				procs, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
				out = append(out, fmt.Sprintf("cgroup %s (processes: %q)", p, strings.Fields(string(procs))))
			}
			return nil
		})
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
func (r *rig) processes() []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if _, after, _ := strings.Cut(string(stat), ") "); strings.HasPrefix(after, "Z") || strings.HasPrefix(after, "X") {
			continue
		}
		cg, _ := os.ReadFile("/proc/" + e.Name() + "/cgroup")
		root, _ := os.Readlink("/proc/" + e.Name() + "/root")
		if strings.Contains(string(cg), "/"+r.cgTop+"/") || strings.Contains(string(cg), "/"+r.cgTop+"\n") || root == r.rootfs {
			out = append(out, strings.TrimSpace(string(stat)))
		}
	}
	return out
}

// cgroupMounts lists the mount point of every cgroup hierarchy under
// /sys/fs/cgroup.
func cgroupMounts(t *testing.T) []string {
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
