package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// pollable wraps a pty master so that reads can time out.
func pollable(t *testing.T, fd int, name string) *os.File {
	t.Helper()
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), name)
	t.Cleanup(func() { f.Close() })
	return f
}

// readUntil reads from a pty master until a line of the output is want and
// returns everything read, with the terminal's \r dropped.
func readUntil(t *testing.T, master *os.File, want string) string {
	t.Helper()
	clean := func(s string) string { return strings.ReplaceAll(s, "\r", "") }
	out, err := harness.ReadUntil(master, 20*time.Second, func(s string) bool { return hasLine(clean(s), want) })
	if err != nil {
		t.Fatalf("waiting for %q on the terminal: %v; got %q", want, err, clean(out))
	}
	return clean(out)
}

func write(t *testing.T, f *os.File, s string) {
	t.Helper()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// receiveMaster accepts one connection on l and returns the fd and the
// message that came with it, as a console-socket consumer does.
func receiveMaster(l *net.UnixListener) (int, string, error) {
	if err := l.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return -1, "", err
	}
	conn, err := l.AcceptUnix()
	if err != nil {
		return -1, "", err
	}
	defer conn.Close()
	msg, fds, err := harness.RecvFds(conn)
	if err != nil {
		return -1, "", err
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return -1, "", fmt.Errorf("want one fd, got %v", fds)
	}
	return fds[0], string(msg), nil
}

// console is what a console socket received: a pty master and the
// message that came with it, the slave's name.
type console struct {
	fd   int
	name string
	err  error
}

// receiveConsole listens at sock, as an engine's console-socket consumer
// does, and receives one pty master in the background.
func receiveConsole(t *testing.T, sock string) <-chan console {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan console, 1)
	go func() {
		fd, name, err := receiveMaster(l)
		got <- console{fd, name, err}
	}()
	return got
}

// consoleMaster waits for the pty master receiveConsole gets.
func consoleMaster(t *testing.T, got <-chan console) (*os.File, console) {
	t.Helper()
	c := <-got
	if c.err != nil {
		t.Fatalf("console socket: %v", c.err)
	}
	return pollable(t, c.fd, "pty-master"), c
}

func terminalBundle(t *testing.T) *bundle {
	t.Helper()
	b := newBundle(t, "sh")
	b.spec.Process.Terminal = true
	return b
}

func TestTerminalConsoleSocket(t *testing.T) {
	r := newRuntime(t)
	b := terminalBundle(t)
	b.spec.Process.ConsoleSize = &specs.Box{Height: 37, Width: 111}
	b.save(t)
	sock := filepath.Join(t.TempDir(), "console.sock")
	got := receiveConsole(t, sock)
	r.must("create", "--console-socket", sock, "--bundle", b.dir, "tty")
	defer r.sprout("delete", "--force", "tty")
	master, rcv := consoleMaster(t, got)
	// It must really be a pty master: only a master answers TIOCGPTN.
	n, err := unix.IoctlGetUint32(rcv.fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("the fd received is not a pty master: %v", err)
	}
	if want := fmt.Sprintf("/dev/pts/%d", n); rcv.name != want {
		t.Errorf("console socket message %q, want the slave's name %q", rcv.name, want)
	}

	r.must("start", "tty")
	write(t, master, "tty; stty size; echo hello-$((6*7))\n")
	out := readUntil(t, master, "hello-42")
	if !hasLine(out, fmt.Sprintf("/dev/pts/%d", n)) {
		t.Errorf("tty in the container: want /dev/pts/%d in %q", n, out)
	}
	if !hasLine(out, "37 111") {
		t.Errorf("stty size: want process.consoleSize (37 rows, 111 columns) in %q", out)
	}
	write(t, master, "exit 0\n")
	r.waitStatus("tty", specs.StateStopped)
	r.must("delete", "tty")
}

func TestTerminalWithoutConsoleSocket(t *testing.T) {
	r := newRuntime(t)
	b := terminalBundle(t)
	b.save(t)
	for _, args := range [][]string{
		{"run", "-d", "--bundle", b.dir, "nosock"},
		{"create", "--bundle", b.dir, "nosock"},
	} {
		res := r.sprout(args...)
		if res.code == 0 {
			t.Fatalf("sprout %v of a terminal bundle without --console-socket succeeded", args)
		}
		if msg := strings.TrimSpace(res.stderr); strings.Contains(msg, "\n") || !strings.Contains(msg, "console-socket") && !strings.Contains(msg, "console socket") {
			t.Errorf("sprout %v: error %q: want one line that asks for the console socket", args, msg)
		}
		if entries, _ := os.ReadDir(r.root); len(entries) != 0 {
			t.Errorf("sprout %v left state under the root: %v", args, entries)
		}
	}
}

// openPty opens a new pty pair on the host, as a terminal emulator does.
func openPty(t *testing.T) (master *os.File, slave *os.File) {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pty on this host: %v", err)
	}
	master = pollable(t, m, "ptmx")
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(m, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

// onPty runs sprout with a host pty as its terminal, the way a shell in a
// terminal emulator runs it, and waits until sprout has made that terminal
// raw to proxy it.
type onPty struct {
	master, slave *os.File
	cmd           *exec.Cmd
	done          chan struct{}
	// before is the caller's terminal before sprout touched it.
	before *unix.Termios
}

func runOnPty(t *testing.T, r *runtime, args ...string) *onPty {
	t.Helper()
	p := &onPty{done: make(chan struct{})}
	p.master, p.slave = openPty(t)
	p.resize(t, 29, 97)
	var err error
	if p.before, err = unix.IoctlGetTermios(int(p.slave.Fd()), unix.TCGETS); err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(sproutBin, append([]string{"--root", r.root}, args...)...)
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = p.slave, p.slave, p.slave
	// The caller's terminal is sprout's controlling terminal, as in a shell.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(p.slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 && tio.Lflag&unix.ICANON == 0 {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the caller's terminal never became raw (lflag %#x)", tio.Lflag)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// resize sets the caller's terminal size; the kernel signals SIGWINCH to
// sprout, whose terminal it is.
func (p *onPty) resize(t *testing.T, rows, cols uint16) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(p.slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		t.Fatal(err)
	}
}

// exit ends the shell with code and checks that sprout passes it on and
// leaves the caller's terminal as it found it.
func (p *onPty) exit(t *testing.T, code int) {
	t.Helper()
	write(t, p.master, fmt.Sprintf("exit %d\n", code))
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("sprout did not return after the shell exited")
	}
	if got := p.cmd.ProcessState.ExitCode(); got != code {
		t.Errorf("sprout exited %d, want the shell's %d", got, code)
	}
	after, err := unix.IoctlGetTermios(int(p.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *after != *p.before {
		t.Errorf("the caller's terminal was not restored:\nbefore %+v\nafter  %+v", *p.before, *after)
	}
}

// checkShell asks the shell on the proxied pty what its terminal is (a pty
// of the container's devpts, of the caller's terminal size) and returns
// what it answered.
func (p *onPty) checkShell(t *testing.T) string {
	t.Helper()
	write(t, p.master, "tty; stty size; stty -a | grep -o -- '-*onlcr'; echo shell-$((6*7))\n")
	out := readUntil(t, p.master, "shell-42")
	if !regexp.MustCompile(`(?m)^/dev/pts/[0-9]+$`).MatchString(out) {
		t.Errorf("tty in the container: want a /dev/pts/N line in %q", out)
	}
	if !hasLine(out, "29 97") {
		t.Errorf("stty size in the container: want the caller's terminal size (29 97) in %q", out)
	}
	return out
}

// runShellOnPty runs a terminal container's shell in the foreground on a
// host pty.
func runShellOnPty(t *testing.T, id string) (*runtime, *onPty) {
	t.Helper()
	r := newRuntime(t)
	b := terminalBundle(t)
	b.save(t)
	return r, runOnPty(t, r, "run", "--bundle", b.dir, id)
}

func TestTerminalForegroundRun(t *testing.T) {
	r, p := runShellOnPty(t, "fgtty")
	// As with runc, the pty does not turn \n into \r\n: the caller's
	// terminal does. (An exec'd shell may have saved the pty's modes before
	// sprout gets its master, and put them back, as under runc.)
	if out := p.checkShell(t); !hasLine(out, "-onlcr") {
		t.Errorf("stty -a in the container: want -onlcr, as runc sets, in %q", out)
	}
	p.exit(t, 3)
	if entries, _ := os.ReadDir(r.root); len(entries) != 0 {
		t.Errorf("run left state under the root: %v", entries)
	}
}

// A new size of the caller's terminal reaches the container's pty.
func TestTerminalForegroundResize(t *testing.T) {
	_, p := runShellOnPty(t, "fgresize")
	write(t, p.master, "echo started\n")
	readUntil(t, p.master, "started")
	p.resize(t, 41, 133)
	// SIGWINCH is handled while the shell waits: ask until it shows.
	for i := 0; ; i++ {
		write(t, p.master, fmt.Sprintf("stty size; echo asked-%d\n", i))
		out := readUntil(t, p.master, fmt.Sprintf("asked-%d", i))
		if hasLine(out, "41 133") {
			break
		}
		if i == 50 {
			t.Fatalf("stty size in the container after a resize to 41 133: %q", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.exit(t, 0)
}

// exec -t in the foreground proxies a pty of its own.
func TestTerminalForegroundExec(t *testing.T) {
	r := newRuntime(t)
	startSleeper(t, r, "fgexec")
	p := runOnPty(t, r, "exec", "-t", "fgexec", "sh")
	p.checkShell(t)
	p.exit(t, 4)
}

// A read-only /dev with a terminal: /dev/console is bound before /dev is
// made read-only, as runc does (runc's bats "runc run [ro /dev mount]").
func TestTerminalReadonlyDev(t *testing.T) {
	r := newRuntime(t)
	b := terminalBundle(t)
	for i := range b.spec.Mounts {
		if b.spec.Mounts[i].Destination == "/dev" {
			b.spec.Mounts[i].Options = append(b.spec.Mounts[i].Options, "ro")
		}
	}
	b.save(t)
	sock := filepath.Join(t.TempDir(), "console.sock")
	got := receiveConsole(t, sock)
	r.must("create", "--console-socket", sock, "--bundle", b.dir, "rodevtty")
	defer r.sprout("delete", "--force", "rodevtty")
	master, _ := consoleMaster(t, got)
	r.must("start", "rodevtty")
	write(t, master, "grep ' /dev ' /proc/self/mountinfo | cut -d' ' -f6 | cut -d, -f1; test -c /dev/console && echo console-$(tty | cut -c1-8); echo done-$((6*7))\n")
	out := readUntil(t, master, "done-42")
	if !hasLine(out, "ro") || !hasLine(out, "console-/dev/pts") {
		t.Errorf("want /dev read-only and a console on the pty, got %q", out)
	}
	write(t, master, "exit 0\n")
	r.waitStatus("rodevtty", specs.StateStopped)
}
