package libcontainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPathInRoot(t *testing.T) {
	for _, tc := range []struct {
		root, path, want string
		inside           bool
	}{
		{"/b/rootfs", "/b/rootfs/etc", "/etc", true},
		{"/b/rootfs", "/b/rootfs", "/", true},
		{"/b/rootfs", "/b/rootfs/a/b", "/a/b", true},
		{"/b/rootfs", "/b/rootfsx/etc", "", false},
		{"/b/rootfs", "/b", "", false},
		{"/b/rootfs", "/etc", "", false},
		{"/", "/etc", "/etc", true},
		{"/", "/", "/", true},
	} {
		got, inside := pathInRoot(tc.root, tc.path)
		if inside != tc.inside || (inside && got != tc.want) {
			t.Errorf("pathInRoot(%q, %q) = %q, %v, want %q, %v", tc.root, tc.path, got, inside, tc.want, tc.inside)
		}
	}
}

// TestLanded resolves destinations the way a mount does (the target's
// handle, made inside the rootfs) and checks where each lands: symlinks
// and ".." stay inside the rootfs as the kernel resolves them in a root,
// and the rules for / and /proc apply to where the mount would land.
func TestLanded(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "rootfs")
	outside := t.TempDir()
	for _, d := range []string{"etc", "var/lib", "usr/share", "host", "proc/sys/kernel"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"etc/hosts", "proc/uptime", "proc/sys/kernel/core_pattern"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The rootfs's own copy of the outside directory's path, which
	// links naming it land on.
	if err := os.MkdirAll(filepath.Join(root, outside), 0o755); err != nil {
		t.Fatal(err)
	}
	climb := strings.Repeat("../", 12)
	links := map[string]string{
		"abs":         "/etc",
		"x":           "/../../etc", // ".." at the top is the top
		"top":         "/..",
		"up":          "../../..",
		"var/lib/sib": "../../usr",
		"var/lib/out": "../../../host",
		"out":         climb + strings.TrimPrefix(outside, "/"),
		"absout":      outside,
		"loop":        "loop",
		"pl":          "/proc",
		"ps":          "../../proc/sys",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	h, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	r := &rootfs{root: h}
	for _, tc := range []struct {
		dest   string
		file   bool // a file's bind, not a directory
		fstype string
		want   string // where it lands, or
		err    string // the refusal
	}{
		{dest: "/etc/hosts", file: true, want: "/etc/hosts"},
		{dest: "/new/dir", want: "/new/dir"},
		{dest: "/abs/hosts", file: true, want: "/etc/hosts"},
		{dest: "/x/foo", want: "/etc/foo"},
		{dest: "/x/hosts", file: true, want: "/etc/hosts"},
		{dest: "/up/y", want: "/y"},
		{dest: "/var/lib/sib/share", want: "/usr/share"},
		{dest: "/var/lib/out/x", want: "/host/x"},
		{dest: "/out/vol", want: outside + "/vol"},
		{dest: "/absout/vol2", want: outside + "/vol2"},
		{dest: "/a/../etc/z", want: "/etc/z"},
		{dest: "/../../etc/w", want: "/etc/w"},
		{dest: "/loop/x", err: "too many levels of symbolic links"},
		{dest: "/top", fstype: "tmpfs", err: "destination /top resolves to the container's root"},
		{dest: "/pl/uptime", file: true, fstype: "bind", want: "/proc/uptime"},
		{dest: "/pl", fstype: "bind", want: "/proc"},
		{dest: "/pl", fstype: "tmpfs", err: "destination /pl resolves to /proc in the rootfs: /proc must be a procfs mount, not tmpfs"},
		{dest: "/pl/sys/kernel/core_pattern", file: true, fstype: "bind", err: "resolves to /proc/sys/kernel/core_pattern in the rootfs: destination /proc/sys/kernel/core_pattern: mounts over /proc are limited"},
		{dest: "/ps/kernel/core_pattern", file: true, fstype: "bind", err: "resolves to /proc/sys/kernel/core_pattern in the rootfs"},
		{dest: "/ps/kernel", fstype: "tmpfs", err: "resolves to /proc/sys/kernel in the rootfs"},
	} {
		dest := filepath.Clean("/" + tc.dest)
		target, err := r.mkdirTarget(dest)
		if tc.file {
			target, err = r.mkfileTarget(dest)
		}
		at := ""
		if err == nil {
			at, err = r.landed(dest, target, tc.fstype, tc.fstype == "bind")
			target.Close()
		}
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.dest, err)
		case tc.err == "" && at != tc.want:
			t.Errorf("%s: lands on %s, want %s", tc.dest, at, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want an error with %q", tc.dest, err, tc.err)
		case err != nil && !strings.Contains(err.Error(), tc.dest):
			t.Errorf("%s: error %q does not name the destination", tc.dest, err)
		}
		if tc.err == "" {
			// On the disk: what the rootfs holds under that name.
			if _, err := os.Stat(filepath.Join(root, tc.want)); err != nil {
				t.Errorf("%s: nothing in the rootfs at %s: %v", tc.dest, tc.want, err)
			}
		}
	}
	// Nothing was made beside the rootfs or in the directory the links
	// name on the host.
	if entries, err := os.ReadDir(outside); err != nil || len(entries) != 0 {
		t.Errorf("%s changed: %v %v", outside, entries, err)
	}
	if entries, err := os.ReadDir(base); err != nil || len(entries) != 1 {
		t.Errorf("%s holds more than the rootfs: %v %v", base, entries, err)
	}
}
