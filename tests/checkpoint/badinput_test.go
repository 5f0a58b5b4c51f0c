package checkpoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Checkpoint refuses a container that is not running, with runc's words,
// and leaves it as it was.
func TestCheckpointNotRunning(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, "exit 0")
	b.save(t)
	r.detached("create", "--bundle", b.dir, "nr1")
	img := filepath.Join(t.TempDir(), "img")
	res := r.sprout(nil, "checkpoint", "--image-path", img, "nr1")
	if res.code == 0 || !strings.Contains(res.stderr, "cannot be checkpointed in created state") {
		t.Fatalf("checkpoint of a created container: exit %d, %q", res.code, res.stderr)
	}
	if st := r.mustState("nr1"); st.Status != "created" {
		t.Fatalf("after the refused checkpoint: %+v", st)
	}
	r.must("start", "nr1")
	waitStopped(t, r, "nr1")
	res = r.sprout(nil, "checkpoint", "--image-path", img, "nr1")
	if res.code == 0 || !strings.Contains(res.stderr, "cannot be checkpointed in stopped state") {
		t.Fatalf("checkpoint of a stopped container: exit %d, %q", res.code, res.stderr)
	}
	r.must("delete", "nr1")
	res = r.sprout(nil, "checkpoint", "--image-path", img, "nr1")
	if res.code == 0 || !strings.Contains(res.stderr, "does not exist") {
		t.Fatalf("checkpoint of no container: exit %d, %q", res.code, res.stderr)
	}
}

// Restore into an ID in use, from a missing image, or with no criu fails
// with a clear error and leaves nothing behind (and the container in use
// untouched).
func TestRestoreBadInput(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	r.runDetached(b, "bi1")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--leave-running", "--image-path", img, "bi1")
	pid := r.mustState("bi1").Pid

	res := r.sprout(nil, "restore", "-d", "--image-path", img, "--bundle", b.dir, "bi1")
	if res.code == 0 || !strings.Contains(res.stderr, "container bi1 already exists") {
		t.Fatalf("restore into an existing ID: exit %d, %q", res.code, res.stderr)
	}
	if st := r.mustState("bi1"); st.Status != "running" || st.Pid != pid || !alive(pid) {
		t.Fatalf("the existing container after the refused restore: %+v", st)
	}

	missing := filepath.Join(t.TempDir(), "none")
	res = r.sprout(nil, "restore", "-d", "--image-path", missing, "--bundle", b.dir, "bi2")
	if res.code == 0 || !strings.Contains(res.stderr, "--image-path "+missing) {
		t.Fatalf("restore from a missing image: exit %d, %q", res.code, res.stderr)
	}
	res = r.sprout(nil, "--criu", "/nonexistent/criu", "restore", "-d", "--image-path", img, "--bundle", b.dir, "bi3")
	if res.code == 0 || !strings.Contains(res.stderr, `criu "/nonexistent/criu" not found`) || !strings.Contains(res.stderr, "3.0.0 or newer") {
		t.Fatalf("restore without criu: exit %d, %q", res.code, res.stderr)
	}
	res = r.sprout(nil, "--criu", "/nonexistent/criu", "checkpoint", "--image-path", img, "bi1")
	if res.code == 0 || !strings.Contains(res.stderr, `criu "/nonexistent/criu" not found`) {
		t.Fatalf("checkpoint without criu: exit %d, %q", res.code, res.stderr)
	}
	if st := r.mustState("bi1"); st.Status != "running" || st.Pid != pid {
		t.Fatalf("the container after a checkpoint without criu: %+v", st)
	}
	for _, id := range []string{"bi2", "bi3"} {
		if _, err := os.Stat(filepath.Join(r.root, id)); !os.IsNotExist(err) {
			t.Errorf("state of %s left behind: %v", id, err)
		}
		if dirs := cgroupDirs(t, id); len(dirs) > 0 {
			t.Errorf("cgroups of %s left behind: %v", id, dirs)
		}
	}
	if _, err := os.Stat(filepath.Join(r.root, "bi1", "criu-root")); !os.IsNotExist(err) {
		t.Errorf("restore root left in bi1's state: %v", err)
	}
}

// A restore that criu itself fails (the image of another rootfs) leaves no
// state, cgroup or mount behind.
func TestRestoreCriuFailureLeavesNothing(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	r.runDetached(b, "cf1")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--image-path", img, "cf1")
	// The pages of the dump gone, criu cannot restore.
	pages, _ := filepath.Glob(filepath.Join(img, "pages-*.img"))
	for _, p := range pages {
		os.Remove(p)
	}
	res := r.sprout(nil, "restore", "-d", "--image-path", img, "--bundle", b.dir, "cf1")
	if res.code == 0 || !strings.Contains(res.stderr, "restore container cf1") {
		t.Fatalf("restore from a broken image: exit %d, %q", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(r.root, "cf1")); !os.IsNotExist(err) {
		t.Errorf("state left behind: %v", err)
	}
	if dirs := cgroupDirs(t, "cf1"); len(dirs) > 0 {
		t.Errorf("cgroups left behind: %v", dirs)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mi), filepath.Join(r.root, "cf1")) {
		t.Errorf("restore root still mounted")
	}
}

func waitStopped(t *testing.T, r *runtime, id string) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if r.mustState(id).Status == "stopped" {
			return
		}
	}
	t.Fatalf("%s never stopped", id)
}
