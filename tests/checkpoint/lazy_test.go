package checkpoint

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// restore --lazy-pages with no lazy-pages daemon is refused before
// anything is made, naming the socket it looked for.
func TestLazyRestoreWithoutDaemon(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	r.runDetached(b, "lzn1")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--leave-running", "--image-path", img, "lzn1")
	res := r.sprout(nil, "restore", "-d", "--lazy-pages", "--image-path", img, "--bundle", b.dir, "lzn2")
	want := "no criu lazy-pages daemon serves these images: " + filepath.Join(img, "lazy-pages.socket")
	if res.code == 0 || !strings.Contains(res.stderr, want) {
		t.Fatalf("restore --lazy-pages without a daemon: exit %d, %q; want %q", res.code, res.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(r.root, "lzn2")); !os.IsNotExist(err) {
		t.Fatalf("state of lzn2 left behind: %v", err)
	}
}

// A lazy migration as runc's tests do it: checkpoint --lazy-pages serves
// the memory on a page server and says on --status-fd when it is ready,
// `criu lazy-pages` fetches it for the restore. The restore must come
// back, working or failing cleanly. Where the page transfer fails (criu
// 4.2 on kernel 6.18: "page-pipe: splice: -1: Bad file descriptor" on the
// dump side), criu kills the restored tree and then waits for it forever,
// and the restore hung with it, as runc's does.
func TestLazyMigrationNeverHangs(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	r.runDetached(b, "lz1")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "img")
	work := filepath.Join(t.TempDir(), "work")
	for _, d := range []string{img, work} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)

	statusR, statusW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer statusR.Close()
	// The status pipe is the checkpoint's fd 3.
	ckpt := exec.Command(sproutBin, "--root", r.root, "--criu", criuBin, "checkpoint", "--lazy-pages",
		"--page-server", "127.0.0.1:"+strconv.Itoa(port), "--status-fd", "3",
		"--work-path", work, "--image-path", img, "lz1")
	ckpt.ExtraFiles = []*os.File{statusW}
	var ckptErr bytes.Buffer
	ckpt.Stderr = &ckptErr
	if err := ckpt.Start(); err != nil {
		t.Fatal(err)
	}
	statusW.Close()
	ckptDone := make(chan error, 1)
	go func() { ckptDone <- ckpt.Wait() }()
	t.Cleanup(func() {
		ckpt.Process.Kill()
		<-ckptDone
	})
	ready := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 1)
		n, _ := statusR.Read(buf)
		ready <- buf[:n]
	}()
	select {
	case got := <-ready:
		if !bytes.Equal(got, []byte{0}) {
			t.Fatalf("--status-fd gave %q, want a \\0 (checkpoint: %s)", got, ckptErr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no \\0 on --status-fd within 30s: %s", ckptErr.String())
	}

	daemon := exec.Command(criuBin, "lazy-pages", "--page-server", "--address", "127.0.0.1",
		"--port", strconv.Itoa(port), "-D", img, "-o", "lazy-pages.log", "-v4")
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { daemon.Process.Kill(); daemon.Wait() })
	sock := filepath.Join(img, "lazy-pages.socket")
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i == 200 {
			t.Fatalf("criu lazy-pages made no %s", sock)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The harness ends a command after 90 s and fails the test.
	start := time.Now()
	var child []*os.File
	for i := 0; i < 3; i++ {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			child, r.pipes = append(child, pr), append(r.pipes, pw)
		} else {
			child, r.pipes = append(child, pw), append(r.pipes, pr)
		}
	}
	errR := r.pipes[len(r.pipes)-1]
	res := r.sprout(child, "restore", "-d", "--lazy-pages", "--work-path", img, "--image-path", img, "--bundle", b.dir, "lz2")
	for _, f := range child {
		f.Close()
	}
	took := time.Since(start)
	if res.code == 0 {
		// Lazy migration works here: the restored copy counts on.
		at := count(t, b)
		waitCount(t, b, at+3)
		if st := r.mustState("lz2"); st.Status != "running" {
			t.Fatalf("after a lazy restore: %+v", st)
		}
		t.Logf("lazy migration works here; restore took %v", took)
		return
	}
	errR.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 8192)
	n, _ := errR.Read(buf)
	msg := string(buf[:max(n, 0)])
	t.Logf("lazy restore failed after %v: %s", took, msg)
	if !strings.Contains(msg, "restore container lz2") || !strings.Contains(msg, "criu's log: "+filepath.Join(img, "restore.log")) {
		t.Fatalf("lazy restore failed without naming criu's log: %q", msg)
	}
	if _, err := os.Stat(filepath.Join(r.root, "lz2")); !os.IsNotExist(err) {
		t.Errorf("state of lz2 left behind: %v", err)
	}
	if dirs := cgroupDirs(t, "lz2"); len(dirs) > 0 {
		t.Errorf("cgroups of lz2 left behind (a process of the restored tree still in them?): %v", dirs)
	}
}

// freePort finds a loopback TCP port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
