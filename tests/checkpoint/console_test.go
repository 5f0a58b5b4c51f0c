package checkpoint

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// consoleSocket listens where sprout sends a pty master and returns it.
type consoleSocket struct {
	path string
	l    *net.UnixListener
}

func newConsoleSocket(t *testing.T) *consoleSocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &consoleSocket{path: path, l: l}
}

// master accepts one connection and receives the fd sent on it.
func (c *consoleSocket) master(t *testing.T) *os.File {
	t.Helper()
	conn, err := c.l.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, fds, err := harness.RecvFds(conn)
	if err != nil || len(fds) == 0 {
		t.Fatalf("no fd on the console socket: %v", err)
	}
	// Non-blocking, so that reads from the master honour deadlines.
	unix.SetNonblock(fds[0], true)
	f := os.NewFile(uintptr(fds[0]), "pty-master")
	t.Cleanup(func() { f.Close() })
	return f
}

// readUntil reads the pty master until want shows up.
func readUntil(t *testing.T, m *os.File, want string) string {
	t.Helper()
	out, err := harness.ReadUntil(m, 20*time.Second, func(s string) bool { return strings.Contains(s, want) })
	if err != nil {
		t.Fatalf("pty: waiting for %q: %v; read %q", want, err, out)
	}
	return out
}

// A container on a terminal is restored onto a new pty, whose master goes
// to the --console-socket of restore: the shell answers on it.
func TestRestoreConsoleSocket(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, "")
	b.spec.Process.Terminal = true
	b.spec.Process.Args = []string{"sh"}
	b.save(t)
	sock := newConsoleSocket(t)
	run := r.background(nil, "run", "-d", "--console-socket", sock.path, "--bundle", b.dir, "tty1")
	m := sock.master(t)
	if res := <-run; res.code != 0 {
		t.Fatalf("run: exit %d: %s", res.code, res.stderr)
	}
	m.Write([]byte("echo before-$((20+1))\n"))
	readUntil(t, m, "before-21")
	m.Write([]byte("x=kept; while true; do echo 1 > /tmp/count; sleep 0.05; done &\n"))
	waitCount(t, b, 1)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--image-path", img, "tty1")
	m.Close()

	sock2 := newConsoleSocket(t)
	done := make(chan result, 1)
	go func() {
		done <- r.sprout(nil, "restore", "-d", "--console-socket", sock2.path, "--image-path", img, "--bundle", b.dir, "tty1")
	}()
	m2 := sock2.master(t)
	if res := <-done; res.code != 0 {
		t.Fatalf("restore: exit %d: %s", res.code, res.stderr)
	}
	// The shell, with its variables, reads the new terminal.
	m2.Write([]byte("echo after-$x-$((40+2))\n"))
	out := readUntil(t, m2, "after-kept-42")
	if out == "" {
		t.Fatal("no answer on the restored terminal")
	}
	out = r.must("exec", "tty1", "sh", "-c", "tty </proc/1/fd/0")
	if !strings.HasPrefix(out, "/dev/pts/") {
		t.Fatalf("the restored init's stdin is %q, want a pty", out)
	}
}
