package integration

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/spec"
)

// rootlessUser is an unprivileged user made for one test, with the
// subordinate ID range useradd gives it in /etc/subuid and /etc/subgid.
type rootlessUser struct {
	name               string
	uid, gid           uint32
	subStart, subCount uint32
	xdg                string // its XDG_RUNTIME_DIR
}

func newRootlessUser(t *testing.T) *rootlessUser {
	t.Helper()
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("useradd is needed")
	}
	name := fmt.Sprintf("sprl%d", time.Now().UnixNano()%1e9)
	if out, err := exec.Command("useradd", "-M", "-s", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u := &rootlessUser{name: name}
	out, err := exec.Command("id", "-u", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	out, err = exec.Command("id", "-g", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	gid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	u.uid, u.gid = uint32(uid), uint32(gid)
	f, err := os.Open("/etc/subuid")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		p := strings.Split(sc.Text(), ":")
		if len(p) == 3 && p[0] == name {
			start, _ := strconv.Atoi(p[1])
			count, _ := strconv.Atoi(p[2])
			u.subStart, u.subCount = uint32(start), uint32(count)
		}
	}
	u.xdg = t.TempDir()
	u.own(t, u.xdg)
	// The binary the tests run must be reachable by the user.
	for d := filepath.Dir(sproutBin); d != "/"; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o001 == 0 {
			os.Chmod(d, st.Mode().Perm()|0o011)
		}
	}
	return u
}

// own gives the tree at dir to the user and opens the way to it.
func (u *rootlessUser) own(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(u.uid), int(u.gid))
	})
	if err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(dir); d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
}

func (u *rootlessUser) apply(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{}}}
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+u.xdg, "HOME=/", "USER="+u.name)
}

// newRootlessRuntime runs sprout as u, with its state where sprout puts
// it by default for a user.
func newRootlessRuntime(t *testing.T, u *rootlessUser) *runtime {
	r := newRuntime(t)
	r.root = filepath.Join(u.xdg, "sprout")
	r.user = u
	return r
}

// rootlessBundle is `sprout spec --rootless`'s config for u: root in the
// container is u.
func rootlessBundle(t *testing.T, u *rootlessUser, args ...string) *bundle {
	t.Helper()
	b := newBundle(t, args...)
	s := spec.Default(true)
	s.Process.Terminal = false
	s.Root.Readonly = false
	s.Process.Args = b.spec.Process.Args
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: u.uid, Size: 1}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: u.gid, Size: 1}}
	b.spec = s
	u.own(t, b.dir)
	return b
}

func (r *runtime) saveAs(b *bundle) {
	r.t.Helper()
	b.save(r.t)
	r.user.own(r.t, filepath.Join(b.dir, "config.json"))
}

func TestRootlessRun(t *testing.T) {
	u := newRootlessUser(t)
	r := newRootlessRuntime(t, u)
	b := rootlessBundle(t, u, "echo x > /tmp/made; id -u; id -g; cat /proc/self/uid_map; stat -c %u:%g /bin/busybox; sleep 600")
	r.saveAs(b)
	// No --root: a user's state goes to $XDG_RUNTIME_DIR/sprout.
	cmd := exec.Command(sproutBin, "run", "-d", "--bundle", b.dir, "rl")
	u.apply(cmd)
	logf, errf := filepath.Join(b.dir, "out"), filepath.Join(b.dir, "err")
	lf, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := os.Create(errf)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = lf, ef
	runErr := cmd.Run()
	lf.Close()
	ef.Close()
	stderr, _ := os.ReadFile(errf)
	if runErr != nil {
		t.Fatalf("rootless run: %v: %s", runErr, stderr)
	}
	// This host gives a user no cgroup: the container goes without, and
	// says so.
	if !strings.Contains(string(stderr), "level=warning") || !strings.Contains(string(stderr), "without a cgroup") {
		t.Errorf("no warning about the missing cgroup: %q", stderr)
	}
	defer r.sprout("delete", "--force", "rl")
	if _, err := os.Stat(filepath.Join(u.xdg, "sprout", "rl")); err != nil {
		t.Fatalf("state not in $XDG_RUNTIME_DIR/sprout: %v", err)
	}
	st := r.mustState("rl")
	if st.Status != specs.StateRunning {
		t.Fatalf("status %s", st.Status)
	}
	// Outside: the container's processes are the user's.
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", st.Pid))
	want := fmt.Sprintf("Uid:\t%d\t%d\t%d\t%d", u.uid, u.uid, u.uid, u.uid)
	if !strings.Contains(string(status), want) {
		t.Fatalf("host view of the container's uid, want %q:\n%s", want, status)
	}
	deadline := time.Now().Add(10 * time.Second)
	var lines []string
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(logf)
		if lines = strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) >= 4 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(lines) != 4 || lines[0] != "0" || lines[1] != "0" || lines[3] != "0:0" {
		t.Fatalf("inside: %q", lines)
	}
	if f := strings.Fields(lines[2]); len(f) != 3 || f[0] != "0" || f[1] != strconv.Itoa(int(u.uid)) || f[2] != "1" {
		t.Fatalf("uid_map inside: %q", lines[2])
	}
	// What the container's root writes is the user's on the host.
	if uid, gid := ownerOf(t, filepath.Join(b.dir, "rootfs/tmp/made")); uid != u.uid || gid != u.gid {
		t.Fatalf("file written inside is %d:%d on the host, want %d:%d", uid, gid, u.uid, u.gid)
	}
}

func TestRootlessExecKillDelete(t *testing.T) {
	u := newRootlessUser(t)
	r := newRootlessRuntime(t, u)
	b := rootlessBundle(t, u, "sleep 600")
	r.saveAs(b)
	if res := r.sprout("run", "-d", "--bundle", b.dir, "rlx"); res.code != 0 {
		t.Fatalf("run: %s", res.stderr)
	}
	pid := r.mustState("rlx").Pid
	if out := r.must("exec", "rlx", "sh", "-c", "id -u; cat /proc/self/uid_map"); !hasLine(out, "0") || !strings.Contains(out, strconv.Itoa(int(u.uid))) {
		t.Fatalf("exec: %q", out)
	}
	r.must("kill", "rlx", "KILL")
	r.waitStatus("rlx", specs.StateStopped)
	r.must("delete", "rlx")
	if _, err := os.Stat(filepath.Join(r.root, "rlx")); !os.IsNotExist(err) {
		t.Fatalf("state left after delete: %v", err)
	}
	// Killed: gone, or a zombie its new parent has not reaped yet.
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(f) > 0 && f[0] != "Z" {
			t.Fatalf("init %d still alive: %s", pid, stat)
		}
	}
	if left := r.leftProcesses(); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// Ranges beyond the user's own ID go through newuidmap and newgidmap.
func TestRootlessMultiRangeMappings(t *testing.T) {
	if _, err := exec.LookPath("newuidmap"); err != nil {
		t.Skip("newuidmap (Debian package uidmap) is needed")
	}
	u := newRootlessUser(t)
	if u.subCount < 65536 {
		t.Skipf("useradd gave %s no subordinate range", u.name)
	}
	r := newRootlessRuntime(t, u)
	b := rootlessBundle(t, u, "cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/f && chown 1000:1000 /tmp/f")
	withCap(b, "CAP_CHOWN")
	maps := func(own uint32) []specs.LinuxIDMapping {
		return []specs.LinuxIDMapping{{ContainerID: 0, HostID: own, Size: 1}, {ContainerID: 1, HostID: u.subStart, Size: 65536}}
	}
	b.spec.Linux.UIDMappings, b.spec.Linux.GIDMappings = maps(u.uid), maps(u.gid)
	r.saveAs(b)
	res := r.sprout("run", "--bundle", b.dir, "rlm")
	if res.code != 0 {
		t.Fatalf("run: %d %s %s", res.code, res.stdout, res.stderr)
	}
	want := fmt.Sprintf("1 %d 65536", u.subStart)
	n := 0
	for _, l := range strings.Split(res.stdout, "\n") {
		if strings.Join(strings.Fields(l), " ") == want {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("uid_map and gid_map inside, want %q in each: %q", want, res.stdout)
	}
	// Container 1000 is the user's subordinate ID 999.
	if uid, gid := ownerOf(t, filepath.Join(b.dir, "rootfs/tmp/f")); uid != u.subStart+999 || gid != u.subStart+999 {
		t.Fatalf("chown 1000 inside is %d:%d on the host, want %d", uid, gid, u.subStart+999)
	}
}

func TestRootlessBadInput(t *testing.T) {
	u := newRootlessUser(t)
	r := newRootlessRuntime(t, u)
	limit := int64(64 << 20)
	for _, tc := range []struct {
		name string
		edit func(b *bundle)
		want string
	}{
		{"mappings beyond the subordinate range", func(b *bundle) {
			b.spec.Linux.UIDMappings = append(b.spec.Linux.UIDMappings, specs.LinuxIDMapping{ContainerID: 1, HostID: u.subStart + u.subCount, Size: 10})
		}, "linux.uidMappings: newuidmap"},
		{"overlapping mappings", func(b *bundle) {
			b.spec.Linux.UIDMappings = append(b.spec.Linux.UIDMappings, specs.LinuxIDMapping{ContainerID: 0, HostID: u.subStart, Size: 10})
		}, "linux.uidMappings[1]: containerID 0-9 overlaps linux.uidMappings[0]'s"},
		{"a memory limit with no cgroup it may write", func(b *bundle) {
			b.spec.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
		}, "linux.resources: rootless"},
		{"no user namespace", func(b *bundle) {
			var ns []specs.LinuxNamespace
			for _, n := range b.spec.Linux.Namespaces {
				if n.Type != specs.UserNamespace {
					ns = append(ns, n)
				}
			}
			b.spec.Linux.Namespaces, b.spec.Linux.UIDMappings, b.spec.Linux.GIDMappings = ns, nil, nil
		}, "linux.namespaces: a rootless container needs a user namespace"},
		{"an idmapped mount", func(b *bundle) {
			m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: u.uid, Size: 1}}
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/mnt", Source: "/tmp", Type: "bind", Options: []string{"bind"}, UIDMappings: m, GIDMappings: m})
		}, "idmapped mounts need a runtime running as root"},
	} {
		b := rootlessBundle(t, u, "true")
		tc.edit(b)
		r.saveAs(b)
		res := r.sprout("run", "--bundle", b.dir, "rlbad")
		if res.code == 0 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", tc.name, res.code, res.stderr, tc.want)
		}
		if _, err := os.Stat(filepath.Join(r.root, "rlbad")); !os.IsNotExist(err) {
			t.Errorf("%s: state left behind: %v", tc.name, err)
		}
		if left := r.leftProcesses(); len(left) > 0 {
			for _, p := range left {
				c, _ := os.ReadFile("/proc/" + p + "/cmdline")
				t.Logf("left: %s %q", p, c)
			}
			t.Errorf("%s: left behind: %v", tc.name, left)
		}
	}
}

// CVE-2019-5736 for a user: the init runs from a sealed copy of the
// binary, which not even host root can write to or truncate, and which is
// not the binary on disk.
func TestRootlessSelfExeSealed(t *testing.T) {
	u := newRootlessUser(t)
	r := newRootlessRuntime(t, u)
	b := rootlessBundle(t, u, "true")
	r.saveAs(b)
	r.must("create", "--bundle", b.dir, "rlexe")
	defer r.sprout("delete", "--force", "rlexe")
	exe := fmt.Sprintf("/proc/%d/exe", r.mustState("rlexe").Pid)
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	if err != nil {
		t.Fatalf("the init's binary is not a sealable memfd: %v", err)
	}
	if want := unix.F_SEAL_SEAL | unix.F_SEAL_WRITE | unix.F_SEAL_GROW | unix.F_SEAL_SHRINK; seals&want != want {
		t.Fatalf("seals %#x, want %#x", seals, want)
	}
	if w, err := os.OpenFile(exe, os.O_WRONLY, 0); err == nil {
		_, werr := w.Write([]byte("x"))
		w.Close()
		if werr == nil {
			t.Fatal("the init's binary could be written")
		}
	}
}

// `sprout spec --rootless` run by a user gives a config that runs for that
// user; only the terminal and the command are changed here.
func TestRootlessSpec(t *testing.T) {
	u := newRootlessUser(t)
	r := newRootlessRuntime(t, u)
	b := rootlessBundle(t, u)
	if res := r.sproutIn(b.dir, nil, "spec", "--rootless"); res.code != 0 {
		t.Fatalf("spec --rootless: %s", res.stderr)
	}
	s, err := spec.Load(b.dir)
	if err != nil {
		t.Fatal(err)
	}
	if m := s.Linux.UIDMappings; len(m) != 1 || m[0].HostID != u.uid || m[0].ContainerID != 0 || m[0].Size != 1 {
		t.Fatalf("uidMappings %+v, want the caller's uid %d as root", m, u.uid)
	}
	s.Process.Terminal = false
	s.Process.Args = []string{"sh", "-c", "id -u; cat /proc/self/gid_map"}
	b.spec = s
	r.saveAs(b)
	res := r.sprout("run", "--bundle", b.dir, "rlspec")
	if res.code != 0 || !hasLine(res.stdout, "0") || !strings.Contains(res.stdout, strconv.Itoa(int(u.gid))) {
		t.Fatalf("run: exit %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
}

// A rootless container with a terminal through --console-socket, a
// seccomp filter and a hook: the rest of what engines use.
func TestRootlessTerminalSeccompHook(t *testing.T) {
	u := newRootlessUser(t)
	r := newRootlessRuntime(t, u)
	b := rootlessBundle(t, u, "sh")
	b.spec.Process.Terminal = true
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
	}
	hookOut := filepath.Join(u.xdg, "hook")
	b.spec.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "id -u > " + hookOut}}}}
	r.saveAs(b)
	sock := filepath.Join(u.xdg, "console.sock")
	got := receiveConsole(t, sock)
	os.Chown(sock, int(u.uid), int(u.gid))
	r.must("create", "--console-socket", sock, "--bundle", b.dir, "rltty")
	defer r.sprout("delete", "--force", "rltty")
	master, _ := consoleMaster(t, got)
	if data, err := os.ReadFile(hookOut); err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(int(u.uid)) {
		t.Errorf("createRuntime hook: ran as %q (%v), want the user %d", data, err, u.uid)
	}
	r.must("start", "rltty")
	write(t, master, "tty; mkdir /tmp/d || echo mkdir-$((40+2))\n")
	out := readUntil(t, master, "mkdir-42")
	if !strings.Contains(out, "/dev/pts/") || !strings.Contains(out, "Operation not permitted") {
		t.Errorf("terminal and seccomp inside: %q", out)
	}
	write(t, master, "exit 0\n")
	r.waitStatus("rltty", specs.StateStopped)
	r.must("delete", "rltty")
}

// Rootless Podman runs the runtime as root of a user namespace of the
// user's, and the container gets no user namespace of its own: the state
// goes to the user's runtime directory, device nodes are bound (mknod is
// refused there), and the binary is copied (no bind mount without owning
// the mount namespace).
func TestRootlessInsideUserNamespace(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare is needed")
	}
	u := newRootlessUser(t)
	b := rootlessBundle(t, u, "stat -c '%t,%T %F' /dev/null; id -u")
	var ns []specs.LinuxNamespace
	for _, n := range b.spec.Linux.Namespaces {
		if n.Type != specs.UserNamespace {
			ns = append(ns, n)
		}
	}
	b.spec.Linux.Namespaces, b.spec.Linux.UIDMappings, b.spec.Linux.GIDMappings = ns, nil, nil
	b.save(t)
	u.own(t, b.dir)
	cmd := exec.Command("unshare", "--user", "--map-root-user", sproutBin, "run", "--bundle", b.dir, "rlns")
	u.apply(cmd)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("run in a user namespace: %v: %s %s", err, out, stderr)
	}
	if !hasLine(string(out), "1,3 character special file") || !hasLine(string(out), "0") {
		t.Fatalf("inside: %q", out)
	}
	if _, err := os.Stat(filepath.Join(u.xdg, "sprout")); err != nil {
		t.Fatalf("state root not in $XDG_RUNTIME_DIR: %v", err)
	}
}
