package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A foreground run or exec passes the signals it gets on to the
// container's process, as runc does: the process traps them and says so.
func TestForegroundForwardsSignals(t *testing.T) {
	const trap = `trap 'echo got $S > /tmp/got-$N; exit 0' $S; echo > /tmp/ready-$N; while :; do sleep 0.05; done`
	script := func(n, sig string) string {
		return strings.NewReplacer("$S", sig, "$N", n).Replace(trap)
	}
	r := newRuntime(t)
	b := newBundle(t, script("run", "USR1"))
	b.save(t)
	rootfs := filepath.Join(b.dir, "rootfs")

	signalWhenReady := func(cmd *exec.Cmd, name string, sig syscall.Signal) {
		t.Helper()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(rootfs, "tmp/ready-"+name)); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("%s: the process did not get ready", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: sprout exited with %v", name, err)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%s: the signal was not forwarded; sprout still waits", name)
		}
		got, err := os.ReadFile(filepath.Join(rootfs, "tmp/got-"+name))
		if err != nil || !strings.Contains(string(got), "got") {
			t.Fatalf("%s: the process did not see the signal: %q %v", name, got, err)
		}
	}

	signalWhenReady(exec.Command(sproutBin, "--root", r.root, "run", "--bundle", b.dir, "fw"), "run", syscall.SIGUSR1)

	b.spec.Process.Args = []string{"sleep", "1000"}
	b.save(t)
	r.must("run", "-d", "--bundle", b.dir, "fwx")
	// A real-time signal too: the whole set is forwarded, not a list.
	ex := exec.Command(sproutBin, "--root", r.root, "exec", "fwx", "sh", "-c", script("exec", "40"))
	signalWhenReady(ex, "exec", syscall.Signal(40))
	r.must("delete", "--force", "fwx")
}
