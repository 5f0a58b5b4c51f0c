package integration

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// exec -t with a console socket, the way containerd and Podman exec with a
// terminal: the new process gets a pty of its own.
func TestExecTTYConsoleSocket(t *testing.T) {
	r := newRuntime(t)
	startSleeper(t, r, "extty")
	sock := filepath.Join(t.TempDir(), "exec-console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type received struct {
		fd  int
		err error
	}
	got := make(chan received, 1)
	go func() {
		fd, _, err := receiveMaster(l)
		got <- received{fd, err}
	}()
	r.must("exec", "-d", "-t", "--console-socket", sock, "extty", "sh")
	rcv := <-got
	if rcv.err != nil {
		t.Fatalf("console socket: %v", rcv.err)
	}
	master := pollable(t, rcv.fd, "exec-pty")
	write(t, master, "tty; echo exec-$((20+22))\n")
	out := readUntil(t, master, "exec-42")
	if !strings.Contains(out, "/dev/pts/") {
		t.Fatalf("the exec'd shell has no pty: %q", out)
	}
	write(t, master, "exit\n")
	if res := r.sprout("exec", "-d", "-t", "extty", "sh"); res.code == 0 || !strings.Contains(res.stderr, "console-socket") {
		t.Fatalf("exec -d -t without a console socket: %d %q", res.code, res.stderr)
	}
}
