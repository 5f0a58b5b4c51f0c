package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// The pty of run -t and exec -t belongs to process.user, as runc makes it:
// the group stays devpts' tty group.
func TestPtyOwnedByProcessUser(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "stat -L -c pty=%u:%g /proc/self/fd/0; stat -L -c out=%u /proc/self/fd/1; sleep 1000")
	b.spec.Process.Terminal = true
	b.spec.Process.User = specs.User{UID: 1000, GID: 1000}
	b.save(t)
	sock, masters := listenConsole(t)
	r.must("run", "-d", "--console-socket", sock, "--bundle", b.dir, "ptyown")
	defer r.sprout("delete", "--force", "ptyown")
	master, ok := <-masters
	if !ok {
		t.Fatal("no pty master received")
	}
	if out := readPtyUntil(master, "out="); !strings.Contains(out, "pty=1000:5") || !strings.Contains(out, "out=1000") {
		t.Fatalf("the container's pty is not its user's: %q", out)
	}

	sock2, masters2 := listenConsole(t)
	r.must("exec", "-d", "-t", "--user", "1001:1001", "--console-socket", sock2, "ptyown",
		"sh", "-c", "stat -L -c pty=%u:%g /proc/self/fd/0; echo done")
	master2, ok := <-masters2
	if !ok {
		t.Fatal("no pty master received for exec")
	}
	if out := readPtyUntil(master2, "done"); !strings.Contains(out, "pty=1001:5") {
		t.Fatalf("the exec'd process's pty is not its user's: %q", out)
	}
}

// readPtyUntil reads the terminal until its output holds want (or 20 s).
func readPtyUntil(master *os.File, want string) string {
	out, _ := harness.ReadUntil(master, 20*time.Second, func(s string) bool { return strings.Contains(s, want) })
	return out
}

// process.cwd is entered before the switch to process.user, as in runc: a
// directory only root can enter is still the process's cwd.
func TestCwdEnteredBeforeUserSwitch(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "pwd")
	b.spec.Process.User = specs.User{UID: 1000, GID: 1000}
	b.spec.Process.Cwd = "/rootonly"
	if err := os.Mkdir(filepath.Join(b.dir, "rootfs/rootonly"), 0o700); err != nil {
		t.Fatal(err)
	}
	if out := r.output(b); out != "/rootonly\n" {
		t.Fatalf("pwd: %q", out)
	}
	b.spec.Process.Args = []string{"sleep", "1000"}
	b.save(t)
	r.must("run", "-d", "--bundle", b.dir, "cwdexec")
	defer r.sprout("delete", "--force", "cwdexec")
	if out := r.must("exec", "--user", "1000:1000", "--cwd", "/rootonly", "cwdexec", "pwd"); out != "/rootonly\n" {
		t.Fatalf("exec pwd: %q", out)
	}
}

// createContainer hooks run with the container's rootfs as working
// directory, as in runc: a relative path written by the hook lands in the
// rootfs, not under the host's /.
func TestCreateContainerHookCwd(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "cat /hook-cwd")
	rootfs, err := filepath.EvalSymlinks(filepath.Join(b.dir, "rootfs"))
	if err != nil {
		t.Fatal(err)
	}
	// Unique, so that a stray one on the host is this test's.
	name := "sprout-hook-cwd-" + filepath.Base(filepath.Dir(b.dir))
	defer os.Remove("/" + name)
	b.spec.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{
		Path: "/bin/sh", Args: []string{"sh", "-c", "pwd > " + rootfs + "/hook-cwd; : > " + name},
	}}}
	out := r.output(b)
	if _, err := os.Stat("/" + name); err == nil {
		t.Fatalf("the hook wrote into the host's /")
	}
	if _, err := os.Stat(filepath.Join(rootfs, name)); err != nil {
		t.Fatalf("the hook's relative write is not in the rootfs: %v", err)
	}
	if out != rootfs+"\n" {
		t.Fatalf("the hook's cwd was %q, not the rootfs %s", out, rootfs)
	}
}

// startContainer hooks run under the container's seccomp filter, as in
// runc: a syscall the profile denies fails for the hook too.
func TestStartContainerHookUnderSeccomp(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "cat /tmp/hook-rc; test -d /tmp/hookdir && echo made || echo absent")
	errno := uint(1)
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{
			Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &errno,
		}},
	}
	b.spec.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{
		Path: "/bin/sh", Args: []string{"sh", "-c", "mkdir /tmp/hookdir 2>/dev/null; echo rc=$? > /tmp/hook-rc"},
	}}}
	if out := r.output(b); out != "rc=1\nabsent\n" {
		t.Fatalf("the startContainer hook ran outside the filter: %q", out)
	}
}
