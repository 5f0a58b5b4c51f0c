package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

// Without PATH in process.env a bare program name is not looked up, as in
// runc (no default list): run fails with runc's "executable file not
// found in $PATH" and exit status 1; an absolute path still runs.
func TestNoPathNoLookup(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "echo ran")
	b.spec.Process.Env = []string{"TERM=xterm"}
	res := r.run(b, "nopath")
	if res.code != 1 || strings.Contains(res.stdout, "ran") || !strings.Contains(res.stderr, "executable file not found in $PATH") {
		t.Fatalf("sh without PATH: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	r.sprout("delete", "--force", "nopath")
	b.spec.Process.Args = []string{"/bin/sh", "-c", "echo ran"}
	if out := r.output(b); out != "ran\n" {
		t.Fatalf("/bin/sh without PATH: %q", out)
	}
}

// kernel.hostname as a sysctl is refused even with a uts namespace, in
// runc's words: the hostname field is where it belongs. kernel.domainname
// has no such field and is written.
func TestSysctlKernelHostnameRefused(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "hostname")
	b.spec.Hostname = "box"
	b.spec.Linux.Sysctl = map[string]string{"kernel.hostname": "other"}
	res := r.run(b, "sysctlhost")
	if res.code == 0 || !strings.Contains(res.stderr, `linux.sysctl "kernel.hostname": is not allowed as it conflicts with the OCI "hostname" field`) {
		t.Fatalf("kernel.hostname sysctl: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	b = newBundle(t, "cat /proc/sys/kernel/domainname")
	b.spec.Linux.Sysctl = map[string]string{"kernel.domainname": "example.org"}
	if out := r.output(b); out != "example.org\n" {
		t.Fatalf("kernel.domainname sysctl: %q", out)
	}
}

// Overlapping ID mappings are refused before anything starts, naming the
// line: the kernel would only say EINVAL when the map is written.
func TestOverlappingIDMappingsRefused(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "true")
	b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	b.spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}, {ContainerID: 500, HostID: 300000, Size: 10}}
	b.spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}}
	res := r.run(b, "idoverlap")
	if res.code == 0 || !strings.Contains(res.stderr, "linux.uidMappings[1]: containerID 500-509 overlaps linux.uidMappings[0]'s 0-999") {
		t.Fatalf("overlapping uidMappings: exit %d, stderr %q", res.code, res.stderr)
	}
	b.spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}}
	b.spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}, {ContainerID: 1000, HostID: 100999, Size: 1}}
	res = r.run(b, "idoverlap2")
	if res.code == 0 || !strings.Contains(res.stderr, "linux.gidMappings[1]: hostID 100999-100999 overlaps linux.gidMappings[0]'s 100000-100999") {
		t.Fatalf("overlapping gidMappings on the host: exit %d, stderr %q", res.code, res.stderr)
	}
}

// The container's session keyring is searchable by its owner
// (KEY_USR_SEARCH), as runc makes it, read from /proc/keys inside the
// container. (With a user namespace runc and sprout make it searchable by
// anyone instead; /proc/keys shows nothing inside a user namespace, on
// either runtime, so that case has no test from inside.)
func TestSessionKeyringSearchable(t *testing.T) {
	r := newRuntime(t)
	// A keyring of that name made before (by an earlier run) would be
	// joined, with the permissions it already has: a new name each time.
	id := fmt.Sprintf("keyring-%d", time.Now().UnixNano())
	b := newBundle(t, "grep -F ' _ses."+id+":' /proc/keys")
	// The default config masks /proc/keys.
	var masked []string
	for _, p := range b.spec.Linux.MaskedPaths {
		if p != "/proc/keys" {
			masked = append(masked, p)
		}
	}
	b.spec.Linux.MaskedPaths = masked
	res := r.run(b, id)
	if res.code != 0 {
		t.Fatalf("no session keyring of the container in /proc/keys: exit %d: %q %s", res.code, res.stdout, res.stderr)
	}
	// ID flags usage timeout perm uid gid type description: ...
	f := strings.Fields(res.stdout)
	if len(f) < 9 {
		t.Fatalf("/proc/keys line: %q", res.stdout)
	}
	perm, err := strconv.ParseUint(f[4], 16, 32)
	if err != nil || perm&0x00080000 == 0 {
		t.Fatalf("session keyring permissions %s lack KEY_USR_SEARCH: %q", f[4], res.stdout)
	}
}
