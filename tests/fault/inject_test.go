package fault

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// injected are the syscalls at which sprout makes or removes state,
// cgroups, sockets, processes and mounts, or waits for them.
var injected = []string{
	"mkdirat", "openat", "write", "renameat", "unlinkat", "flock", "bind", "listen",
	"connect", "socketpair", "pipe2", "clone", "clone3", "execve", "dup3", "waitid",
	"wait4", "recvmsg", "ppoll", "pidfd_open", "pidfd_send_signal", "kill",
	"open_tree", "mount_setattr", "getdents64",
}

// maxInjections bounds N per syscall: past it a command only repeats what
// it did (delete polls the cgroup hundreds of times).
func maxInjections() int {
	if n, err := strconv.Atoi(os.Getenv("SPROUT_FAULT_MAX")); err == nil && n > 0 {
		return n
	}
	return 40
}

// TestFaultInjection SIGKILLs sprout at the Nth call of each syscall of
// each command, N = 1, 2, ... until the command runs through, then checks
// that delete --force leaves nothing and the ID can be created again.
// strace detaches at execve, so the kills hit the command itself, and the
// stage of the init before it execs, not the container.
func TestFaultInjection(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		t.Fatal("strace is needed (make deps installs it)")
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := newRig(t, "sleep", "1000")
			kills, runs := 0, 0
			start := time.Now()
			for _, sys := range injected {
				for n := 1; n <= maxInjections(); n++ {
					sc.setup(r)
					killed := r.injectKill(sc.args(r), sys, n)
					runs++
					if bad := r.recover(); len(bad) > 0 {
						t.Errorf("%s killed at %s #%d:\n  %s", sc.name, sys, n, strings.Join(bad, "\n  "))
						// Start the next point from a clean host.
						r.cleanHost()
					}
					if !killed {
						break
					}
					kills++
				}
			}
			t.Logf("%s: %d runs, %d killed, %s", sc.name, runs, kills, time.Since(start).Round(time.Millisecond))
			if kills == 0 {
				t.Fatalf("no injected kill hit %s: the test proves nothing", sc.name)
			}
		})
	}
}

// injectKill runs sprout under strace, which SIGKILLs it at its nth call
// of sys; it reports whether that happened.
func (r *rig) injectKill(args []string, sys string, n int) bool {
	r.t.Helper()
	sa := []string{
		"-f", "-b", "execve", "-qq", "-o", "/dev/null",
		"-e", "trace=" + sys, "-e", "inject=" + sys + ":signal=KILL:when=" + strconv.Itoa(n),
		"--", sproutBin, "--root", r.root,
	}
	cmd := exec.Command("strace", append(sa, args...)...)
	cmd.Dir = r.bundle
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	if !harness.WaitTimeout(cmd, 60*time.Second) {
		r.t.Fatalf("sprout %v under strace (%s #%d) hangs", args, sys, n)
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	// strace ends itself with the signal that ended the command.
	return ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// cleanHost removes what a failed recovery left, so that one failure is
// reported once and not at every later point.
func (r *rig) cleanHost() {
	for _, p := range r.processes() {
		if pid, err := strconv.Atoi(strings.Fields(p)[0]); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	time.Sleep(50 * time.Millisecond)
	os.RemoveAll(r.root)
	for _, m := range harness.CgroupMounts(r.t) {
		removeCgroupTree(m + "/" + r.cgTop)
	}
}

func removeCgroupTree(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeCgroupTree(dir + "/" + e.Name())
		}
	}
	syscall.Rmdir(dir)
}
