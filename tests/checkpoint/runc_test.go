package checkpoint

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runcBin is the reference runtime images are exchanged with.
const runcBin = "/usr/sbin/runc"

// runc runs runc with its own state root and the criu under test; stdio
// are pipes the test keeps, as for sprout's detached containers.
func (r *runtime) runc(root string, args ...string) {
	r.t.Helper()
	cmd := exec.Command(runcBin, append([]string{"--root", root, "--criu", criuBin}, args...)...)
	// runc leaves criu logs of its feature checks in its cwd.
	cmd.Dir = r.t.TempDir()
	for i := 0; i < 3; i++ {
		pr, pw, err := os.Pipe()
		if err != nil {
			r.t.Fatal(err)
		}
		if i == 0 {
			cmd.Stdin, r.pipes = pr, append(r.pipes, pw)
			defer pr.Close()
		} else {
			r.pipes = append(r.pipes, pr)
			defer pw.Close()
			if i == 1 {
				cmd.Stdout = pw
			} else {
				cmd.Stderr = pw
			}
		}
	}
	if err := cmd.Run(); err != nil {
		errR := r.pipes[len(r.pipes)-1]
		errR.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		buf := make([]byte, 4096)
		n, _ := errR.Read(buf)
		// runc points at criu's log; its errors say what went wrong.
		var logged []string
		for i, a := range args {
			if a == "--image-path" && i+1 < len(args) {
				data, _ := os.ReadFile(filepath.Join(args[i+1], args[0]+".log"))
				lines := strings.Split(string(data), "\n")
				for j, l := range lines {
					if strings.Contains(l, "Error") && !strings.Contains(l, "RLIMIT_NOFILE") {
						// criu names the mount it read just before.
						logged = append(logged, lines[max(j-1, 0)], l)
					}
				}
			}
		}
		r.t.Fatalf("runc %v: %v: %s; criu logged: %q", args, err, buf[:max(n, 0)], logged)
	}
}

// A container runc checkpointed is restored by sprout and counts on, its
// bind mount bound again. runc's images have no record of the external
// mounts; sprout names them from the config as runc does: bind and cgroup
// mounts by destination, every masked file by the null device (sprout's
// own checkpoints name them so too).
//
// The other way is not tested: runc 1.1.5 restores sprout's checkpoint of
// a container that runc made (checked by hand), but not of one sprout
// made on this hybrid host, whose /sys/fs/cgroup/unified (the cgroup2
// hierarchy, bound into the container by sprout and not by runc) runc
// names no source for: criu's "mnt: No mapping for N:(null) mountpoint".
func TestRestoreRuncCheckpoint(t *testing.T) {
	needCriu(t)
	if _, err := os.Stat(runcBin); err != nil {
		t.Skip("no runc to exchange images with: ", err)
	}
	r := newRuntime(t)
	runcRoot := t.TempDir()
	t.Cleanup(func() { exec.Command(runcBin, "--root", runcRoot, "delete", "--force", "x1").Run() })
	b := newBundle(t, counterScript)
	host := t.TempDir()
	b.spec.Mounts = append(b.spec.Mounts, specMount(host, "/mnt/data"))
	b.save(t)
	r.runc(runcRoot, "run", "-d", "--bundle", b.dir, "x1")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "runc-img")
	r.runc(runcRoot, "checkpoint", "--image-path", img, "x1")
	at := count(t, b)
	r.detached("restore", "-d", "--image-path", img, "--bundle", b.dir, "x2")
	if c := waitCount(t, b, at+3); c > at+200 {
		t.Fatalf("counter %d after sprout restored runc's checkpoint at %d", c, at)
	}
	out := r.must("exec", "x2", "sh", "-c", "echo in > /mnt/data/f; stat -c '%t:%T' /proc/keys")
	if out != "1:3\n" {
		t.Fatalf("/proc/keys in the restored container is %q, want the null device 1:3", out)
	}
	if data, _ := os.ReadFile(filepath.Join(host, "f")); string(data) != "in\n" {
		t.Fatalf("bind mount after restore: the host sees %q", data)
	}
}
