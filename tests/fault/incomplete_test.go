package fault

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// A create killed after its init got ready but before it completed (the
// resources applied, the pid file written) leaves a live init: the
// container is creating, not created, and start must refuse it.
func TestCreateKilledBeforeComplete(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		t.Fatal("strace is needed (make deps installs it)")
	}
	r := newRig(t, "sleep", "1000")
	pending := filepath.Join(r.root, r.id, ".start.sock")
	// Killed at the rename that marks the container complete.
	cmd := exec.Command("strace", "-f", "-b", "execve", "-qq", "-o", "/dev/null", "-P", pending,
		"-e", "trace=renameat,renameat2,rename", "-e", "inject=renameat,renameat2,rename:signal=KILL",
		"--", sproutBin, "--root", r.root, "create", "--bundle", r.bundle, r.id)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !harness.WaitTimeout(cmd, 60*time.Second) {
		t.Fatal("create under strace hangs")
	}
	if ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() {
		t.Fatalf("create ran through (%v): it never marked the container complete", cmd.ProcessState)
	}
	if st := r.status(); st != "creating" {
		t.Fatalf("status of an incomplete container: %q", st)
	}
	if len(r.processes()) == 0 {
		t.Fatal("the init is not alive: the test proves nothing")
	}
	res := r.sprout("start", r.id)
	if res.code == 0 || !strings.Contains(res.out, "creating") {
		t.Fatalf("start of an incomplete container: exit %d: %s", res.code, res.out)
	}
	if bad := r.recover(); len(bad) > 0 {
		t.Fatalf("after delete --force:\n  %s", strings.Join(bad, "\n  "))
	}
}
