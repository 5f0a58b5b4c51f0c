package integration

import (
	"fmt"
	"golang.org/x/sys/unix"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func ownerOf(t *testing.T, path string) (uint32, uint32) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Uid, st.Gid
}

// A host directory owned by 1000 is idmapped onto the container's root
// (host 100000): inside it is root's, and what root writes there lands on
// the host as 1000, not as 100000.
func TestIDMappedBindMount(t *testing.T) {
	requireIdmappableTmp(t)
	r := newRuntime(t)
	b := userNsBundle(t, "stat -c '%u:%g' /vol /vol/file; echo hi > /vol/new && stat -c '%u:%g' /vol/new")
	vol := filepath.Join(b.dir, "vol")
	if err := os.Mkdir(vol, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vol, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{vol, filepath.Join(vol, "file")} {
		if err := os.Chown(p, 1000, 1000); err != nil {
			t.Fatal(err)
		}
	}
	one := []specs.LinuxIDMapping{{ContainerID: 1000, HostID: 100000, Size: 1}}
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{
		Destination: "/vol", Source: vol, Type: "bind", Options: []string{"bind"},
		UIDMappings: one, GIDMappings: one,
	})
	out := r.output(b)
	if got := strings.Fields(out); len(got) != 3 || got[0] != "0:0" || got[1] != "0:0" || got[2] != "0:0" {
		t.Fatalf("owners inside (want 0:0 each): %q", out)
	}
	if u, g := ownerOf(t, filepath.Join(vol, "new")); u != 1000 || g != 1000 {
		t.Fatalf("file written inside is %d:%d on the host, want 1000:1000", u, g)
	}
}

// ridmap idmaps every mount of an rbind, the submount too; idmap leaves
// the submount as it is (runc's behaviour).
func TestIDMappedRecursive(t *testing.T) {
	requireIdmappableTmp(t)
	r := newRuntime(t)
	tree := t.TempDir()
	os.Chmod(tree, 0o755)
	sub := filepath.Join(tree, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mountTmpfs(sub); err != nil {
		t.Fatal(err)
	}
	defer unmount(sub)
	for _, p := range []string{tree, sub} {
		if err := os.WriteFile(filepath.Join(p, "f"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(filepath.Join(p, "f"), 2000, 2000); err != nil {
			t.Fatal(err)
		}
	}
	m := []specs.LinuxIDMapping{{ContainerID: 2000, HostID: 100005, Size: 1}}
	for _, tc := range []struct {
		opt, want string
	}{
		{"ridmap", "5:5 5:5"},
		{"idmap", "5:5 65534:65534"},
	} {
		b := userNsBundle(t, "stat -c '%u:%g' /t/f /t/sub/f")
		b.spec.Mounts = append(b.spec.Mounts, specs.Mount{
			Destination: "/t", Source: tree, Type: "bind", Options: []string{"rbind", tc.opt},
			UIDMappings: m, GIDMappings: m,
		})
		if got := strings.Join(strings.Fields(r.output(b)), " "); got != tc.want {
			t.Errorf("%s: owners inside %q, want %q", tc.opt, got, tc.want)
		}
	}
}

// idmap without mappings takes the container's own: a host file of uid 0
// shows as the container's root, though its root is host 100000.
func TestIDMapOptionUsesContainerMappings(t *testing.T) {
	requireIdmappableTmp(t)
	r := newRuntime(t)
	b := userNsBundle(t, "stat -c '%u:%g' /vol/f")
	vol := t.TempDir()
	os.Chmod(vol, 0o755)
	if err := os.WriteFile(filepath.Join(vol, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/vol", Source: vol, Type: "bind", Options: []string{"bind", "idmap"}})
	if out := strings.TrimSpace(r.output(b)); out != "0:0" {
		t.Fatalf("owner inside %q, want 0:0", out)
	}
}

// A filesystem that cannot be idmapped (procfs) is refused naming the
// mount, and nothing of the container stays.
func TestIDMapUnsupportedFilesystem(t *testing.T) {
	r := newRuntime(t)
	b := userNsBundle(t, "true")
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1}}
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{
		Destination: "/mnt", Source: "/proc/sys", Type: "bind", Options: []string{"bind"},
		UIDMappings: m, GIDMappings: m,
	})
	res := r.run(b, "idmapbad")
	if res.code == 0 {
		t.Fatal("idmapped procfs accepted")
	}
	if !strings.Contains(res.stderr, "mounts[") || !strings.Contains(res.stderr, "cannot idmap") {
		t.Fatalf("error does not name the mount and the cause: %s", res.stderr)
	}
	if r.sprout("state", "idmapbad").code == 0 {
		t.Fatal("failed container left behind")
	}
	if left := r.leftProcesses(); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

func TestIDMapBadInput(t *testing.T) {
	r := newRuntime(t)
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1}}
	for _, tc := range []struct {
		name  string
		mount specs.Mount
		want  string
	}{
		{"not a bind", specs.Mount{Destination: "/mnt", Type: "tmpfs", Source: "tmpfs", UIDMappings: m, GIDMappings: m}, "only supported for bind mounts"},
		{"uid only", specs.Mount{Destination: "/mnt", Type: "bind", Source: "/tmp", Options: []string{"bind"}, UIDMappings: m}, "both uidMappings and gidMappings"},
	} {
		b := userNsBundle(t, "true")
		b.spec.Mounts = append(b.spec.Mounts, tc.mount)
		res := r.run(b, "idmapin")
		if res.code == 0 || !strings.Contains(res.stderr, "mounts[") || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%s: code %d stderr %s", tc.name, res.code, res.stderr)
		}
	}
	b := newBundle(t, "true")
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/mnt", Type: "bind", Source: "/tmp", Options: []string{"bind", "idmap"}})
	if res := r.run(b, "idmapnons"); res.code == 0 || !strings.Contains(res.stderr, "user namespace") {
		t.Errorf("idmap without mappings nor user namespace: code %d stderr %s", res.code, res.stderr)
	}
}

// requireIdmappableTmp skips where the test's temporary directories are a
// tmpfs that cannot be idmapped: tmpfs gained idmapped mounts in Linux 6.3,
// and the VM tier runs Debian's 6.1 with /tmp on a tmpfs.
func requireIdmappableTmp(t *testing.T) {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(os.TempDir(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != unix.TMPFS_MAGIC {
		return
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor)
	if major < 6 || major == 6 && minor < 3 {
		t.Skipf("%s is a tmpfs, which kernel %d.%d cannot idmap (6.3 can)", os.TempDir(), major, minor)
	}
}
