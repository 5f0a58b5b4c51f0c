package checkpoint

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A counting container is checkpointed (and gone: no process, no state, no
// cgroup, as with runc), restored, and counts on from where it was; state,
// exec, kill and delete work on it.
func TestCheckpointRestoreCounter(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	oldPid := r.runDetached(b, "cr1")
	waitCount(t, b, 10)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--image-path", img, "cr1")
	if alive(oldPid) {
		t.Fatalf("init %d still runs after checkpoint", oldPid)
	}
	if res := r.sprout(nil, "state", "cr1"); res.code == 0 || !strings.Contains(res.stderr, "does not exist") {
		t.Fatalf("state after checkpoint: exit %d, %q %q; want: does not exist", res.code, res.stdout, res.stderr)
	}
	if dirs := cgroupDirs(t, "cr1"); len(dirs) > 0 {
		t.Fatalf("cgroups left after checkpoint: %v", dirs)
	}
	// Without a parent, the images hold every page themselves.
	if own, inParent := pagemapPages(t, img); own == 0 || inParent != 0 {
		t.Fatalf("dump without a parent: %d pages of its own, %d in a parent", own, inParent)
	}
	at := count(t, b)
	time.Sleep(300 * time.Millisecond)
	if c := count(t, b); c != at {
		t.Fatalf("counter moved from %d to %d while checkpointed", at, c)
	}

	r.detached("restore", "-d", "--image-path", img, "--bundle", b.dir, "cr1")
	st := r.mustState("cr1")
	if st.Status != "running" || st.Pid == oldPid || !alive(st.Pid) {
		t.Fatalf("after restore: %+v (old pid %d)", st, oldPid)
	}
	// Counts on: the next values follow the checkpointed one, not 1.
	if c := waitCount(t, b, at+5); c > at+200 {
		t.Fatalf("counter %d after restore from %d", c, at)
	}
	// The same process tree in the same kind of pid namespace: sh is pid 1.
	if out := r.must("exec", "cr1", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"); !strings.Contains(out, "while true") {
		t.Fatalf("pid 1 of the restored container: %q", out)
	}
	if cg := cgroupOf(t, st.Pid, "pids"); filepath.Base(cg) != "cr1" {
		t.Fatalf("restored init in pids cgroup %s, want the container's", cg)
	}
	r.must("kill", "cr1", "KILL")
	deadline := time.Now().Add(10 * time.Second)
	for r.mustState("cr1").Status != "stopped" {
		if time.Now().After(deadline) {
			t.Fatal("restored container never stopped after SIGKILL")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.must("delete", "cr1")
	if dirs := cgroupDirs(t, "cr1"); len(dirs) > 0 {
		t.Fatalf("cgroups left after delete: %v", dirs)
	}
}

// With --leave-running the container runs on; the images hold the counter
// of the moment they were taken.
func TestCheckpointLeaveRunning(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	pid := r.runDetached(b, "lr1")
	waitCount(t, b, 5)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--leave-running", "--image-path", img, "lr1")
	at := count(t, b)
	if st := r.mustState("lr1"); st.Status != "running" || st.Pid != pid {
		t.Fatalf("after checkpoint --leave-running: %+v", st)
	}
	later := waitCount(t, b, at+20)
	r.must("delete", "--force", "lr1")
	r.detached("restore", "-d", "--image-path", img, "--bundle", b.dir, "lr1")
	// The restored counter starts from the image's value, below what the
	// original reached before it was deleted.
	time.Sleep(200 * time.Millisecond)
	if c := count(t, b); c >= later+3 || c < at {
		t.Fatalf("restored counter %d; checkpointed at %d, original reached %d", c, at, later)
	}
	waitCount(t, b, later+5)
}

// A pre-dump copies the memory while the container runs; the dump after
// it, with --parent-path, only what changed since.
func TestPreDumpThenDump(t *testing.T) {
	needCriu(t)
	if memTrackBroken != "" {
		// Without the feature check criu's pre-dump aborts here: "Error
		// (criu/mem.c:46): BUG at criu/mem.c:46" (criu 4.2.1).
		skipUnlessMustWork(t, "criu cannot track dirty pages on this kernel, which pre-dump needs: "+memTrackBroken)
	}
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	r.runDetached(b, "pd1")
	waitCount(t, b, 5)
	base := t.TempDir()
	r.must("checkpoint", "--pre-dump", "--image-path", filepath.Join(base, "parent"), "pd1")
	if st := r.mustState("pd1"); st.Status != "running" {
		t.Fatalf("after pre-dump: %+v", st)
	}
	r.must("checkpoint", "--parent-path", "../parent", "--image-path", filepath.Join(base, "img"), "pd1")
	at := count(t, b)
	if _, err := os.Lstat(filepath.Join(base, "img", "parent")); err != nil {
		t.Fatalf("dump did not link its parent images: %v", err)
	}
	// The pre-dump copied the memory; the dump left in the parent what
	// had not changed since, which it can only tell with dirty tracking.
	if own, _ := pagemapPages(t, filepath.Join(base, "parent")); own == 0 {
		t.Fatal("the pre-dump holds no pages")
	}
	own, inParent := pagemapPages(t, filepath.Join(base, "img"))
	if inParent == 0 {
		t.Fatalf("the dump takes no pages from the pre-dump (%d of its own)", own)
	}
	t.Logf("pre-dump then dump: %d pages taken from the pre-dump, %d dumped again", inParent, own)
	r.detached("restore", "-d", "--image-path", filepath.Join(base, "img"), "--bundle", b.dir, "pd1")
	if c := waitCount(t, b, at+3); c > at+200 {
		t.Fatalf("counter %d after restore from %d", c, at)
	}
}

// Where the kernel cannot track dirty pages, --pre-dump and --parent-path
// are refused before criu runs (criu 4.2.1 would abort on a BUG) and the
// container runs on.
func TestPreDumpRefusedWithoutMemTrack(t *testing.T) {
	needCriu(t)
	if memTrackBroken == "" {
		t.Skip("criu tracks dirty pages here: TestPreDumpThenDump runs instead")
	}
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	pid := r.runDetached(b, "pdr1")
	waitCount(t, b, 3)
	base := t.TempDir()
	for _, args := range [][]string{
		{"--pre-dump", "--image-path", filepath.Join(base, "parent")},
		{"--parent-path", "../parent", "--image-path", filepath.Join(base, "img")},
	} {
		res := r.sprout(nil, append(append([]string{"checkpoint"}, args...), "pdr1")...)
		if res.code == 0 || !strings.Contains(res.stderr, "criu or this kernel lacks memory tracking (soft-dirty pages, needed by --pre-dump and --parent-path)") {
			t.Fatalf("checkpoint %v: exit %d, %q", args, res.code, res.stderr)
		}
		if st := r.mustState("pdr1"); st.Status != "running" || st.Pid != pid {
			t.Fatalf("after the refused checkpoint %v: %+v", args, st)
		}
	}
	waitCount(t, b, count(t, b)+3)
}

// A config bind mount and the masked paths are there again after restore,
// bound from the host as before.
func TestRestoreBindMountAndMaskedPaths(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "before"), []byte("from the host\n"), 0o644)
	b.spec.Mounts = append(b.spec.Mounts, specMount(host, "/mnt/data"))
	r.runDetached(b, "bm1")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--image-path", img, "bm1")
	r.detached("restore", "-d", "--image-path", img, "--bundle", b.dir, "bm1")
	os.WriteFile(filepath.Join(host, "after"), []byte("written after restore\n"), 0o644)
	out := r.must("exec", "bm1", "sh", "-c", "cat /mnt/data/before /mnt/data/after; echo in > /mnt/data/inside; stat -c '%t:%T' /proc/keys; ls -A /proc/acpi | wc -l; grep -c ' /mnt/data ' /proc/self/mountinfo")
	want := "from the host\nwritten after restore\n1:3\n0\n1\n"
	if out != want {
		t.Fatalf("inside the restored container: %q, want %q", out, want)
	}
	if data, _ := os.ReadFile(filepath.Join(host, "inside")); string(data) != "in\n" {
		t.Fatalf("write through the bind mount: host sees %q", data)
	}
}

// TCP connections on loopback survive with --tcp-established: the client
// keeps writing into the same connection after restore.
func TestRestoreTCPEstablished(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, `ip link set lo up; sleep 1000 | nc -l -p 5555 > /tmp/recv & sleep 0.3;
i=0; while true; do i=$((i+1)); echo $i; echo $i > /tmp/count; sleep 0.05; done | nc 127.0.0.1 5555`)
	b.spec.Process.Capabilities.Bounding = append(b.spec.Process.Capabilities.Bounding, "CAP_NET_ADMIN")
	b.spec.Process.Capabilities.Effective = append(b.spec.Process.Capabilities.Effective, "CAP_NET_ADMIN")
	b.spec.Process.Capabilities.Permitted = append(b.spec.Process.Capabilities.Permitted, "CAP_NET_ADMIN")
	r.runDetached(b, "tcp1")
	waitCount(t, b, 5)
	img := filepath.Join(t.TempDir(), "img")
	if res := r.sprout(nil, "checkpoint", "--image-path", img, "tcp1"); res.code == 0 {
		t.Fatal("checkpoint of an established connection without --tcp-established succeeded")
	}
	r.must("checkpoint", "--tcp-established", "--image-path", img, "tcp1")
	received := lines(t, b.rootfs("tmp/recv"))
	r.detached("restore", "-d", "--tcp-established", "--image-path", img, "--bundle", b.dir, "tcp1")
	deadline := time.Now().Add(20 * time.Second)
	for lines(t, b.rootfs("tmp/recv")) < received+10 {
		if time.Now().After(deadline) {
			t.Fatalf("nothing more received over the restored connection (%d lines before)", received)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// One connection, counted on without a gap or a restart at 1.
	data, _ := os.ReadFile(b.rootfs("tmp/recv"))
	for i, l := range strings.Fields(string(data)) {
		if l != strconv.Itoa(i+1) {
			t.Fatalf("line %d received is %q", i+1, l)
		}
	}
}

func lines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

// A detached container whose stdio is the host's /dev/null (what Podman's
// conmon gives one) is checkpointed and restored: the init's stdio is the
// container's own /dev/null, as with runc, so criu finds its mount.
func TestCheckpointDevNullStdio(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	b.save(t)
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	stdio := []*os.File{null, null, null}
	if res := r.sprout(stdio, "run", "-d", "--bundle", b.dir, "dn1"); res.code != 0 {
		t.Fatalf("run -d: exit %d", res.code)
	}
	waitCount(t, b, 3)
	// The mount of each stdio file is one of the container's.
	out := r.must("exec", "dn1", "sh", "-c", `for fd in 0 1 2; do m=$(sed -n 's/^mnt_id:[[:space:]]*//p' /proc/1/fdinfo/$fd); grep -c "^$m " /proc/1/mountinfo; done`)
	if out != "1\n1\n1\n" {
		t.Fatalf("mounts of the init's stdio in its mount table: %q, want each found once", out)
	}
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--image-path", img, "dn1")
	at := count(t, b)
	if res := r.sprout(stdio, "restore", "-d", "--image-path", img, "--bundle", b.dir, "dn1"); res.code != 0 {
		t.Fatalf("restore -d: exit %d", res.code)
	}
	if c := waitCount(t, b, at+3); c > at+200 {
		t.Fatalf("counter %d after restore from %d", c, at)
	}
}
