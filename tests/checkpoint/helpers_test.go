// Package checkpoint drives `sprout checkpoint` and `sprout restore` with a
// real criu against busybox containers, and checks from the host and from
// inside the restored container that they carried on where they were.
// `make checkpoint` runs it with the criu that tests/criu/build.sh builds;
// where criu cannot work on the kernel every test is skipped, saying why.
package checkpoint

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

	"github.com/sprout-runtime/sprout/tests/harness"
)

var (
	sproutBin, criuBin string
	// criuBroken says why criu cannot checkpoint here ("" if it can).
	criuBroken string
	// memTrackBroken says why criu cannot track dirty pages here, which
	// pre-dump needs ("" if it can).
	memTrackBroken string
	// criuMustWork (SPROUT_CRIU_MUST_WORK=1) is set where criu and the
	// kernel are known to do all these tests need, as in the systemd VM
	// tier: there a test that would skip because they cannot fails
	// instead, so that what the tier proves cannot quietly turn into skips.
	criuMustWork = os.Getenv("SPROUT_CRIU_MUST_WORK") == "1"
)

func TestMain(m *testing.M) {
	if v := os.Getenv("FAKE_CRIU_VERSION"); v != "" {
		fakeCriu(v)
		return
	}
	sproutBin = harness.SproutBin("checkpoint")
	criuBin = os.Getenv("SPROUT_CRIU")
	if criuBin == "" {
		criuBin = "criu"
	}
	// A log file named by a criu config of the host lands in the cwd.
	logs, err := os.MkdirTemp("", "criu-check")
	if err != nil {
		panic(err)
	}
	check := exec.Command(criuBin, "check")
	check.Dir = logs
	if out, err := check.CombinedOutput(); err != nil {
		criuBroken = fmt.Sprintf("`%s check` fails on this kernel: %v: %s", criuBin, err, lastLine(string(out)))
	}
	track := exec.Command(criuBin, "check", "--feature", "mem_dirty_track", "-v4", "-o", "track.log")
	track.Dir = logs
	if track.Run() != nil {
		memTrackBroken = dirtyTrackReason(filepath.Join(logs, "track.log"))
	}
	code := harness.InOwnCgroup(m)
	os.RemoveAll(logs)
	os.Exit(code)
}

// dirtyTrackReason quotes criu's log of its mem_dirty_track check, and
// the kernel's config option for soft-dirty bits where the kernel shows it.
func dirtyTrackReason(log string) string {
	why := "`criu check --feature mem_dirty_track` fails"
	data, _ := os.ReadFile(log)
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "Dirty tracking is OFF") {
			why += "; criu logged: " + strings.TrimSpace(l[strings.IndexByte(l, ')')+1:])
		}
	}
	if out, err := exec.Command("sh", "-c", "zcat /proc/config.gz 2>/dev/null || cat /boot/config-$(uname -r)").Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "CONFIG_MEM_SOFT_DIRTY") {
				why += "; kernel config: " + l
			}
		}
	}
	return why
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func needCriu(t *testing.T) {
	t.Helper()
	if criuBroken != "" {
		skipUnlessMustWork(t, "criu cannot checkpoint here: "+criuBroken)
	}
}

// skipUnlessMustWork skips a test that criu or the kernel cannot run here,
// or fails it where they must be able to (criuMustWork).
func skipUnlessMustWork(t *testing.T, why string) {
	t.Helper()
	if criuMustWork {
		t.Fatal(why + " (SPROUT_CRIU_MUST_WORK=1: it must run here)")
	}
	t.Skip(why)
}

type bundle struct {
	dir  string
	spec *specs.Spec
}

func (b *bundle) rootfs(p string) string { return filepath.Join(b.dir, "rootfs", p) }

// newBundle makes a busybox bundle running sh -c script.
func newBundle(t *testing.T, script string) *bundle {
	t.Helper()
	dir, s := harness.NewBundle(t, "sh", "-c", script)
	return &bundle{dir: dir, spec: s}
}

func (b *bundle) save(t *testing.T) { harness.SaveSpec(t, b.dir, b.spec) }

type runtime struct {
	t    *testing.T
	root string
	// pipes are the test's ends of the detached containers' stdio; criu
	// dumps pipes whose other end is outside, and they must stay open.
	pipes []*os.File
	h     *harness.Runtime
}

func newRuntime(t *testing.T) *runtime {
	r := &runtime{t: t, root: t.TempDir()}
	r.h = &harness.Runtime{T: t, Command: r.command, Timeout: 90 * time.Second}
	t.Cleanup(r.cleanup)
	return r
}

func (r *runtime) command(args ...string) *exec.Cmd {
	return exec.Command(sproutBin, append([]string{"--root", r.root, "--criu", criuBin}, args...)...)
}

func (r *runtime) cleanup() {
	r.h.RemoveAll(r.root)
	for _, p := range r.pipes {
		p.Close()
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// sprout runs a command; stdio, when given, are the command's fds 0-2.
func (r *runtime) sprout(stdio []*os.File, args ...string) result {
	r.t.Helper()
	return r.sproutEnv(nil, stdio, args...)
}

// sproutEnv runs a command with env added to the environment.
func (r *runtime) sproutEnv(env []string, stdio []*os.File, args ...string) result {
	r.t.Helper()
	res, err := r.exec(env, stdio, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	return res
}

// background starts a command and waits for it in a goroutine; failing
// to run it is a result there too, since only the test's goroutine may end
// the test.
func (r *runtime) background(stdio []*os.File, args ...string) <-chan result {
	done := make(chan result, 1)
	wait, err := r.start(nil, stdio, args...)
	if err != nil {
		done <- result{stderr: err.Error(), code: -1}
		return done
	}
	go func() {
		res, err := wait()
		if err != nil {
			res = result{stderr: err.Error(), code: -1}
		}
		done <- res
	}()
	return done
}

func (r *runtime) exec(env []string, stdio []*os.File, args ...string) (result, error) {
	wait, err := r.start(env, stdio, args...)
	if err != nil {
		return result{}, err
	}
	return wait()
}

// start starts a command; the function it returns waits for it, for 90 s
// at most. Its stdio are pipes, not the harness's files: restore hands its
// own stdio to criu as the restored container's, which were pipes.
func (r *runtime) start(env []string, stdio []*os.File, args ...string) (func() (result, error), error) {
	cmd := r.command(args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdio != nil {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio[0], stdio[1], stdio[2]
	}
	wait, err := harness.Start(cmd, r.h.Timeout)
	if err != nil {
		return nil, err
	}
	return func() (result, error) {
		res, err := wait()
		return result{out.String(), errb.String(), res.Code}, err
	}, nil
}

func (r *runtime) must(args ...string) string {
	r.t.Helper()
	res := r.sprout(nil, args...)
	if res.code != 0 {
		r.t.Fatalf("sprout %v: exit %d: %s", args, res.code, res.stderr)
	}
	return res.stdout
}

// detached runs a detached command (run -d, restore -d) whose container
// keeps pipes for stdio, as an engine's shim gives it; it returns the
// stderr sprout itself wrote, which the container shares.
func (r *runtime) detached(args ...string) {
	r.t.Helper()
	var child []*os.File
	errR := (*os.File)(nil)
	for i := 0; i < 3; i++ {
		pr, pw, err := os.Pipe()
		if err != nil {
			r.t.Fatal(err)
		}
		if i == 0 {
			child = append(child, pr)
			r.pipes = append(r.pipes, pw)
		} else {
			child = append(child, pw)
			r.pipes = append(r.pipes, pr)
			errR = pr
		}
	}
	res := r.sprout(child, args...)
	for _, f := range child {
		f.Close()
	}
	if res.code != 0 {
		errR.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		buf := make([]byte, 4096)
		n, _ := errR.Read(buf)
		r.t.Fatalf("sprout %v: exit %d: %s", args, res.code, buf[:max(n, 0)])
	}
}

// runDetached saves b's config, runs it detached as id (detached) and
// returns its init's PID.
func (r *runtime) runDetached(b *bundle, id string) int {
	r.t.Helper()
	b.save(r.t)
	r.detached("run", "-d", "--bundle", b.dir, id)
	return r.mustState(id).Pid
}

func (r *runtime) mustState(id string) *specs.State {
	r.t.Helper()
	return r.h.MustState(id)
}

// counterScript counts in memory and writes each value to /tmp/count.
const counterScript = `i=0; while true; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done`

// count reads the counter a container wrote into its rootfs.
func count(t *testing.T, b *bundle) int {
	t.Helper()
	data, err := os.ReadFile(b.rootfs("tmp/count"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("counter %q: %v", data, err)
	}
	return n
}

// waitCount waits until the counter has reached at least n.
func waitCount(t *testing.T, b *bundle, n int) int {
	t.Helper()
	v := 0
	if !harness.Poll(20*time.Second, func() bool {
		data, err := os.ReadFile(b.rootfs("tmp/count"))
		if err == nil {
			v, err = strconv.Atoi(strings.TrimSpace(string(data)))
		}
		return err == nil && v >= n
	}) {
		t.Fatalf("counter never reached %d", n)
	}
	return v
}

var (
	alive    = harness.Alive
	cgroupOf = harness.CgroupOf
	// cgroupDirs lists the cgroups of a container ID that sets no
	// cgroupsPath, in this run's cgroup.
	cgroupDirs = harness.CgroupsNamed
)

func specMount(src, dst string) specs.Mount {
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: []string{"rbind", "rw"}}
}
