package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mountLine finds the mountinfo line of a mount point in the container's
// /proc/self/mountinfo output.
func mountLine(out, point string) []string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 5 && f[4] == point {
			return f
		}
	}
	return nil
}

func TestDefaultMountsAndPivot(t *testing.T) {
	r := newRuntime(t)
	out := r.output(newBundle(t, "cat /proc/self/mountinfo"))
	for _, p := range []string{"/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"} {
		if mountLine(out, p) == nil {
			t.Errorf("no mount at %s in:\n%s", p, out)
		}
	}
	// After pivot_root nothing of the host's mount tree may be left.
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && (strings.HasPrefix(f[4], "/work") || strings.HasPrefix(f[4], "/tmp/")) {
			t.Errorf("host mount visible in container: %s", l)
		}
	}
	if f := mountLine(out, "/sys"); f != nil && !strings.HasPrefix(f[5], "ro") {
		t.Errorf("/sys not read-only: %v", f)
	}
}

func TestTmpfsMountOptions(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "grep ' /data ' /proc/self/mountinfo; touch /data/x && echo wrote")
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{
		Destination: "/data", Type: "tmpfs", Source: "tmpfs",
		Options: []string{"nosuid", "nodev", "noexec", "size=1m", "mode=700"},
	})
	out := r.output(b)
	if !strings.Contains(out, "nosuid") || !strings.Contains(out, "nodev") || !strings.Contains(out, "noexec") ||
		!strings.Contains(out, "size=1024k") || !strings.Contains(out, "mode=700") || !strings.Contains(out, "wrote") {
		t.Fatalf("tmpfs options not applied: %q", out)
	}
}

// acl and noacl are the MS_POSIXACL flag, as in runc, not data a tmpfs
// would refuse; the other options of the mount still apply.
func TestMountACLOptions(t *testing.T) {
	for _, opt := range []string{"acl", "noacl"} {
		t.Run(opt, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "grep ' /data ' /proc/self/mountinfo")
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{
				Destination: "/data", Type: "tmpfs", Source: "tmpfs",
				Options: []string{opt, "nosuid", "size=1m"},
			})
			out := r.output(b)
			if !strings.Contains(out, " /data ") || !strings.Contains(out, "nosuid") || !strings.Contains(out, "size=1024k") {
				t.Fatalf("tmpfs with %s: %q", opt, out)
			}
		})
	}
}

func TestBindMounts(t *testing.T) {
	r := newRuntime(t)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "file"), []byte("from-host\n"), 0o644)
	sub := filepath.Join(src, "sub")
	os.Mkdir(sub, 0o755)
	b := newBundle(t, "cat /ro/file; echo x > /ro/new 2>/dev/null && echo ro-writable; echo y > /rw/new && echo rw-ok; cat /single")
	b.spec.Mounts = append(b.spec.Mounts,
		specs.Mount{Destination: "/ro", Type: "bind", Source: src, Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/rw", Type: "bind", Source: src, Options: []string{"bind", "rw"}},
		specs.Mount{Destination: "/single", Source: filepath.Join(src, "file"), Options: []string{"bind", "ro"}},
	)
	out := r.output(b)
	if out != "from-host\nrw-ok\nfrom-host\n" {
		t.Fatalf("got %q", out)
	}
	if data, _ := os.ReadFile(filepath.Join(src, "new")); string(data) != "y\n" {
		t.Fatalf("rw bind did not write through to the host: %q", data)
	}
}

func TestRecursiveReadonlyBind(t *testing.T) {
	r := newRuntime(t)
	src := t.TempDir()
	os.Mkdir(filepath.Join(src, "inner"), 0o755)
	if err := mountTmpfs(filepath.Join(src, "inner")); err != nil {
		t.Fatal(err)
	}
	defer unmount(filepath.Join(src, "inner"))
	b := newBundle(t, "touch /r/inner/x 2>/dev/null && echo inner-writable || echo inner-ro")
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/r", Source: src, Options: []string{"rbind", "rro"}})
	if out := r.output(b); out != "inner-ro\n" {
		t.Fatalf("rro did not reach the submount: %q", out)
	}
}

func TestRootReadonly(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "touch /x 2>/dev/null && echo writable || echo ro; touch /dev/shm/x && echo shm-ok")
	b.spec.Root.Readonly = true
	if out := r.output(b); out != "ro\nshm-ok\n" {
		t.Fatalf("got %q", out)
	}
}

func TestRootfsPropagationShared(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "awk '$5 == \"/\"' /proc/self/mountinfo")
	b.spec.Linux.RootfsPropagation = "shared"
	if out := r.output(b); !strings.Contains(out, "shared:") {
		t.Fatalf("root is not shared: %q", out)
	}
	b2 := newBundle(t, "awk '$5 == \"/\"' /proc/self/mountinfo")
	b2.spec.Linux.RootfsPropagation = "unbindable"
	if out := r.output(b2); !strings.Contains(out, "unbindable") {
		t.Fatalf("root is not unbindable: %q", out)
	}
}

func TestMaskedAndReadonlyPaths(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "wc -c < /proc/timer_list; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo sys-writable || echo sys-ro")
	out := r.output(b)
	if out != "0\n0\nsys-ro\n" {
		t.Fatalf("got %q", out)
	}
}

func TestDevices(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "stat -c '%n %F %t:%T %a %u:%g' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/mydev; readlink /dev/fd; readlink /dev/stdin; readlink /dev/ptmx; head -c 4 /dev/zero | wc -c")
	b.spec.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/mydev", Type: "c", Major: 1, Minor: 7, FileMode: fileMode(0o640), UID: u32(12), GID: u32(34)}}
	b.spec.Linux.Resources.Devices = append(b.spec.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(1), Minor: i64(7), Access: "rwm"})
	out := r.output(b)
	for _, want := range []string{
		"/dev/null character special file 1:3 666 0:0",
		"/dev/zero character special file 1:5 666 0:0",
		"/dev/tty character special file 5:0 666 0:0",
		"/dev/mydev character special file 1:7 640 12:34",
		"/proc/self/fd", "/proc/self/fd/0", "pts/ptmx", "4",
	} {
		if !hasLine(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func fileMode(m os.FileMode) *os.FileMode { return &m }
func u32(v uint32) *uint32                { return &v }
func i64(v int64) *int64                  { return &v }

// tmpcopyup (Podman's --tmpfs): the tmpfs starts with a copy of what the
// directory under it holds, owners, modes, links and nodes included.
func TestTmpfsCopyUp(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "grep ' /x ' /proc/self/mountinfo | cut -d' ' -f9; cd /x && stat -c '%n %F %a %u:%g' file dir dir/inner link fifo null; readlink link; cat file dir/inner; echo new > new && echo wrote; grep ' /xro ' /proc/self/mountinfo | cut -d' ' -f6 | cut -d, -f1; cat /xro/file")
	x := filepath.Join(b.dir, "rootfs/x")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(x, "dir"), 0o755))
	must(os.WriteFile(filepath.Join(x, "file"), []byte("top\n"), 0o604))
	must(os.Chown(filepath.Join(x, "file"), 12, 34))
	must(os.WriteFile(filepath.Join(x, "dir/inner"), []byte("inner\n"), 0o4755))
	must(unix.Chmod(filepath.Join(x, "dir/inner"), 0o4755))
	must(unix.Chmod(filepath.Join(x, "dir"), 0o1711))
	must(os.Chown(filepath.Join(x, "dir"), 5, 6))
	must(os.Symlink("/etc/passwd", filepath.Join(x, "link")))
	must(os.Lchown(filepath.Join(x, "link"), 7, 8))
	must(unix.Mkfifo(filepath.Join(x, "fifo"), 0o620))
	must(os.Chmod(filepath.Join(x, "fifo"), 0o620))
	must(unix.Mknod(filepath.Join(x, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(os.Chmod(filepath.Join(x, "null"), 0o666))
	must(os.MkdirAll(filepath.Join(b.dir, "rootfs/xro"), 0o755))
	must(os.WriteFile(filepath.Join(b.dir, "rootfs/xro/file"), []byte("ro-copy\n"), 0o644))
	b.spec.Mounts = append(b.spec.Mounts,
		specs.Mount{Destination: "/x", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "tmpcopyup"}},
		specs.Mount{Destination: "/xro", Type: "tmpfs", Source: "tmpfs", Options: []string{"ro", "tmpcopyup"}},
	)
	out := r.output(b)
	want := "tmpfs\n" +
		"file regular file 604 12:34\n" +
		"dir directory 1711 5:6\n" +
		"dir/inner regular file 4755 0:0\n" +
		"link symbolic link 777 7:8\n" +
		"fifo fifo 620 0:0\n" +
		"null character special file 666 0:0\n" +
		"/etc/passwd\ntop\ninner\nwrote\nro\nro-copy\n"
	if out != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	if _, err := os.Stat(filepath.Join(x, "new")); err == nil {
		t.Error("a write to the tmpfs reached the rootfs")
	}
}

// A read-only /dev still gets its nodes and its pts, shm and mqueue mount
// points, and is read-only once the container runs (runc's bats "ro /dev
// mount").
func TestReadonlyDev(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "grep ' /dev ' /proc/self/mountinfo | cut -d' ' -f6 | cut -d, -f1; touch /dev/x 2>/dev/null && echo dev-writable; grep -c ' /dev/pts ' /proc/self/mountinfo; head -c 3 /dev/zero | wc -c")
	for i := range b.spec.Mounts {
		if b.spec.Mounts[i].Destination == "/dev" {
			b.spec.Mounts[i].Options = append(b.spec.Mounts[i].Options, "ro")
		}
	}
	if out := r.output(b); out != "ro\n1\n3\n" {
		t.Fatalf("got %q", out)
	}
}

// The host's /proc bound on /proc is a procfs and is accepted, as runc's
// bats "runc run [hello world with rbind /proc]" expects; a bind of
// anything else on /proc is refused whatever its type says.
func TestProcBindOfProcfs(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "stat -f -c %T /proc; test -d /proc/$$/fd && echo own-pid-visible")
	withoutPidNamespace(b)
	replaceMount(b, "/proc", &specs.Mount{Destination: "/proc", Type: "none", Source: "/proc", Options: []string{"rbind", "nosuid", "nodev", "noexec"}})
	if out := r.output(b); out != "proc\nown-pid-visible\n" {
		t.Fatalf("got %q", out)
	}

	for _, typ := range []string{"none", "bind"} {
		b := newBundle(t, "true")
		replaceMount(b, "/proc", &specs.Mount{Destination: "/proc", Type: typ, Source: t.TempDir(), Options: []string{"rbind"}})
		res := r.run(b, "notproc-"+typ)
		if res.code == 0 || !strings.Contains(res.stderr, "not procfs") {
			t.Errorf("type %s: a directory bound on /proc: exit %d, %q", typ, res.code, res.stderr)
		}
	}
}

// --no-pivot leaves the host's tree under the chroot; its whole procfs
// must not let a user namespace in the container mount a fresh procfs
// (runc's bats "runc run --no-pivot must not expose bare /proc").
func TestNoPivotHidesHostProcfs(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "unshare -r true && echo userns-ok; unshare -mrpf sh -c 'mount -t proc none /proc && echo proc-mounted; mount -t sysfs none /sys && echo sysfs-mounted'; true")
	withCap(b, "CAP_SETFCAP") // to map root in the new user namespace
	b.save(t)
	res := r.sprout("run", "--no-pivot", "--bundle", b.dir, "nopivot")
	if res.code != 0 || res.stdout != "userns-ok\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
}

// atimeOf reads the access-time setting from a mountinfo line's options.
func atimeOf(f []string) string {
	for _, o := range strings.Split(f[5], ",") {
		if o == "noatime" || o == "relatime" {
			return o
		}
	}
	return "strictatime"
}

// The recursive access-time options set the top mount and its submounts
// (here a noatime tmpfs below a relatime bind).
func TestRecursiveAtimeOptions(t *testing.T) {
	r := newRuntime(t)
	src := t.TempDir()
	sub := filepath.Join(src, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", sub, "tmpfs", unix.MS_NOATIME, "size=1m"); err != nil {
		t.Fatal(err)
	}
	defer unmount(sub)
	want := map[string]string{
		"rnoatime": "noatime", "rstrictatime": "strictatime", "rrelatime": "relatime",
		"ratime": "relatime", "rnostrictatime": "relatime", "rnorelatime": "strictatime",
	}
	b := newBundle(t, "cat /proc/self/mountinfo")
	for o := range want {
		b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/" + o, Type: "bind", Source: src, Options: []string{"rbind", o}})
	}
	out := r.output(b)
	for o, w := range want {
		for _, p := range []string{"/" + o, "/" + o + "/sub"} {
			f := mountLine(out, p)
			if f == nil {
				t.Errorf("%s: not mounted", p)
				continue
			}
			if got := atimeOf(f); got != w {
				t.Errorf("%s: %s, want %s (%s)", p, got, w, f[5])
			}
		}
	}
}

// A rootfs symlink that climbs with ".." past the top (/x -> /../../etc)
// means /etc, as the kernel resolves a path within a root and as runc
// runs it: the mounts made through such links land inside the rootfs.
// Checked from the host, on the created container: its mount table, what
// its root holds, and the host directories the links would name if they
// were resolved from the host's /.
func TestMountThroughClimbingSymlink(t *testing.T) {
	r := newRuntime(t)
	vol := t.TempDir()
	if err := os.WriteFile(filepath.Join(vol, "vol-file"), []byte("volume\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	b := newBundle(t, "sleep 100")
	rootfs := filepath.Join(b.dir, "rootfs")
	// The rootfs's own directory of that name, which the climbing
	// relative link means.
	if err := os.MkdirAll(filepath.Join(rootfs, outside), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"x":     "/../../etc",
		"y":     strings.Repeat("../", 20) + strings.TrimPrefix(outside, "/"),
		"bin/z": "../../../..",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(rootfs, l)); err != nil {
			t.Fatal(err)
		}
	}
	b.spec.Mounts = append(b.spec.Mounts,
		specs.Mount{Destination: "/x/foo", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}},
		specs.Mount{Destination: "/y/vol", Type: "bind", Source: vol, Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/bin/z/mnt/sub", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=2m"}},
	)
	b.save(t)
	hostEtcFoo := false
	if _, err := os.Lstat("/etc/foo"); err == nil {
		hostEtcFoo = true
	}
	r.must("create", "--bundle", b.dir, "climb")
	pid := r.mustState("climb").Pid
	mi, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	for point, fstype := range map[string]string{"/etc/foo": "tmpfs", outside + "/vol": "", "/mnt/sub": "tmpfs"} {
		f := mountLine(string(mi), point)
		if f == nil {
			t.Errorf("no mount at %s in the container's mount table:\n%s", point, mi)
			continue
		}
		if i := slices.Index(f, "-"); fstype != "" && (i < 0 || i+1 >= len(f) || f[i+1] != fstype) {
			t.Errorf("%s: not a %s: %v", point, fstype, f)
		}
	}
	root := fmt.Sprintf("/proc/%d/root", pid)
	var st unix.Statfs_t
	if err := unix.Statfs(root+"/etc/foo", &st); err != nil || st.Type != unix.TMPFS_MAGIC {
		t.Errorf("the container's /etc/foo is not the tmpfs: %v %x", err, st.Type)
	}
	if data, err := os.ReadFile(root + outside + "/vol/vol-file"); err != nil || string(data) != "volume\n" {
		t.Errorf("the volume is not at %s in the container: %q %v", outside+"/vol", data, err)
	}
	// The mount points were made in the rootfs, on the host's disk.
	for _, p := range []string{"etc/foo", strings.TrimPrefix(outside, "/") + "/vol", "mnt/sub"} {
		if fi, err := os.Lstat(filepath.Join(rootfs, p)); err != nil || !fi.IsDir() {
			t.Errorf("no mount point %s in the rootfs on the host: %v", p, err)
		}
	}
	assertEmpty(t, outside)
	if _, err := os.Lstat("/etc/foo"); err == nil && !hostEtcFoo {
		t.Error("the host's /etc/foo was made")
	}
	if m := hostMountsUnder(t, "/etc/foo"); len(m) != 0 {
		t.Errorf("host mounts at /etc/foo: %v", m)
	}
	r.must("delete", "--force", "climb")
}
