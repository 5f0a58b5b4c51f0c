package integration

import (
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
	got := receiveConsole(t, sock)
	r.must("exec", "-d", "-t", "--console-socket", sock, "extty", "sh")
	master, _ := consoleMaster(t, got)
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
