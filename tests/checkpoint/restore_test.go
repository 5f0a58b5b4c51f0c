package checkpoint

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Restored under another ID, the container gets that ID's cgroup, with the
// config's limits, and none of the old one's; criu's logs go to --work-path.
func TestRestoreNewIDNewCgroup(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	limit := int64(64 << 20)
	b.spec.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	r.runDetached(b, "old1")
	at := waitCount(t, b, 3)
	img, work := filepath.Join(t.TempDir(), "img"), filepath.Join(t.TempDir(), "work")
	r.must("checkpoint", "--image-path", img, "--work-path", work, "old1")
	if _, err := os.Stat(filepath.Join(work, "dump.log")); err != nil {
		t.Fatalf("criu's dump log is not in --work-path: %v", err)
	}
	if _, err := os.Stat(filepath.Join(img, "dump.log")); err == nil {
		t.Fatal("criu's dump log is in the image directory despite --work-path")
	}
	r.detached("restore", "-d", "--image-path", img, "--work-path", work, "--bundle", b.dir, "new1")
	if _, err := os.Stat(filepath.Join(work, "restore.log")); err != nil {
		t.Fatalf("criu's restore log is not in --work-path: %v", err)
	}
	pid := r.mustState("new1").Pid
	waitCount(t, b, at+3)
	cg := cgroupOf(t, pid, "memory")
	if filepath.Base(cg) != "new1" {
		t.Fatalf("restored init in memory cgroup %s, want new1's", cg)
	}
	dirs := cgroupDirs(t, "new1")
	found := false
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "memory.limit_in_bytes"))
		if err == nil {
			found = true
			if strings.TrimSpace(string(data)) != strconv.FormatInt(limit, 10) {
				t.Fatalf("%s/memory.limit_in_bytes = %s, want %d", d, data, limit)
			}
		}
		if data, err := os.ReadFile(filepath.Join(d, "memory.max")); err == nil {
			found = true
			if strings.TrimSpace(string(data)) != strconv.FormatInt(limit, 10) {
				t.Fatalf("%s/memory.max = %s, want %d", d, data, limit)
			}
		}
	}
	if !found {
		t.Fatalf("no memory cgroup of new1 among %v", dirs)
	}
	if old := cgroupDirs(t, "old1"); len(old) > 0 {
		t.Fatalf("cgroups of the checkpointed ID came back: %v", old)
	}
}

// The prestart and createRuntime hooks run when criu has set the
// namespaces up, with the restored init's PID, as runc runs them; poststop
// runs when the checkpoint removes the container and when it is deleted.
func TestRestoreHooks(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	out := t.TempDir()
	hook := func(name string) specs.Hook {
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "cat >> " + filepath.Join(out, name)}}
	}
	b.spec.Hooks = &specs.Hooks{
		//lint:ignore SA1019 prestart is deprecated but still in the spec, and runc runs it on restore
		Prestart:      []specs.Hook{hook("prestart")},
		CreateRuntime: []specs.Hook{hook("createRuntime")},
		Poststop:      []specs.Hook{hook("poststop")},
	}
	r.runDetached(b, "hk1")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--image-path", img, "hk1")
	if n := states(t, filepath.Join(out, "poststop")); len(n) != 1 {
		t.Fatalf("poststop ran %d times at checkpoint, want 1", len(n))
	}
	for _, name := range []string{"prestart", "createRuntime"} {
		os.Remove(filepath.Join(out, name))
	}
	r.detached("restore", "-d", "--image-path", img, "--bundle", b.dir, "hk1")
	pid := r.mustState("hk1").Pid
	for _, name := range []string{"prestart", "createRuntime"} {
		st := states(t, filepath.Join(out, name))
		if len(st) != 1 || st[0].ID != "hk1" || st[0].Pid != pid {
			t.Fatalf("%s hook on restore got %+v, want one state of hk1 with pid %d", name, st, pid)
		}
	}
	r.must("delete", "--force", "hk1")
	if n := states(t, filepath.Join(out, "poststop")); len(n) != 2 {
		t.Fatalf("poststop ran %d times in all, want 2", len(n))
	}
}

// states reads the OCI states a hook appended to path.
func states(t *testing.T, path string) []specs.State {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []specs.State
	dec := json.NewDecoder(strings.NewReader(string(data)))
	for dec.More() {
		var s specs.State
		if err := dec.Decode(&s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, s)
	}
	return out
}

// A network namespace joined by path is external to the checkpoint: the
// restored container is back in that same namespace, not in a copy.
func TestRestoreJoinedNetns(t *testing.T) {
	needCriu(t)
	holder := exec.Command("unshare", "--net", "sleep", "1000")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	nsPath := "/proc/" + strconv.Itoa(holder.Process.Pid) + "/ns/net"
	var want string
	for i := 0; i < 200; i++ {
		want, _ = os.Readlink(nsPath)
		self, _ := os.Readlink("/proc/self/ns/net")
		if want != "" && want != self {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	for i, ns := range b.spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			b.spec.Linux.Namespaces[i].Path = nsPath
		}
	}
	r.runDetached(b, "ns1")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--image-path", img, "ns1")
	r.detached("restore", "-d", "--image-path", img, "--bundle", b.dir, "ns1")
	pid := r.mustState("ns1").Pid
	if got, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net"); got != want {
		t.Fatalf("restored init in network namespace %s, want the joined %s", got, want)
	}
}

// With --empty-ns network the restored container gets a new network
// namespace with nothing of the old one's set-up (lo is down again).
func TestEmptyNetns(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, "ip link set lo up; "+counterScript)
	caps := b.spec.Process.Capabilities
	caps.Bounding = append(caps.Bounding, "CAP_NET_ADMIN")
	caps.Effective = append(caps.Effective, "CAP_NET_ADMIN")
	caps.Permitted = append(caps.Permitted, "CAP_NET_ADMIN")
	r.runDetached(b, "en1")
	waitCount(t, b, 3)
	if out := r.must("exec", "en1", "cat", "/sys/class/net/lo/flags"); strings.TrimSpace(out) != "0x9" {
		t.Fatalf("lo flags before checkpoint %q, want up (0x9)", out)
	}
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--empty-ns", "network", "--image-path", img, "en1")
	r.detached("restore", "-d", "--empty-ns", "network", "--image-path", img, "--bundle", b.dir, "en1")
	if out := r.must("exec", "en1", "cat", "/sys/class/net/lo/flags"); strings.TrimSpace(out) != "0x8" {
		t.Fatalf("lo flags after restore into an empty namespace %q, want down (0x8)", out)
	}
	if res := r.sprout(nil, "checkpoint", "--empty-ns", "ipc", "--image-path", img, "en1"); res.code == 0 || !strings.Contains(res.stderr, `--empty-ns "ipc"`) {
		t.Fatalf("--empty-ns ipc: exit %d, %q", res.code, res.stderr)
	}
}

// In the foreground restore waits for the container, forwards signals and
// deletes it once it exits, as run does; it exits with its status. The
// counter is read once the checkpoint has stopped it: read before, it
// may already stand 3 higher, and the kill would come before the restore
// has even made the container (the flakiness this test once had).
func TestRestoreForeground(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	r.runDetached(b, "fg1")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--image-path", img, "fg1")
	at := count(t, b)
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	done := r.background([]*os.File{stdin, pw, pw}, "restore", "--image-path", img, "--bundle", b.dir, "fg1")
	pw.Close()
	waitCount(t, b, at+3)
	if st := r.mustState("fg1"); st.Status != "running" {
		t.Fatalf("foreground restore: %+v", st)
	}
	if res := r.sprout(nil, "kill", "fg1", "KILL"); res.code != 0 {
		select {
		case fg := <-done:
			out, _ := io.ReadAll(pr)
			t.Fatalf("kill: %s; the foreground restore had returned %d: %s %s", res.stderr, fg.code, out, fg.stderr)
		case <-time.After(time.Second):
			t.Fatalf("kill: %s", res.stderr)
		}
	}
	select {
	case res := <-done:
		if res.code != 137 {
			t.Fatalf("foreground restore exited %d, want 137 (SIGKILL)", res.code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("foreground restore did not return after its container was killed")
	}
	if _, err := r.h.State("fg1"); err == nil {
		t.Fatal("the container is still there after the foreground restore returned")
	}
}
