package libcontainer

// Runs inside the container's init: /dev nodes and links.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var defaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
}

var devLinks = [][2]string{
	{"/proc/self/fd", "/dev/fd"},
	{"/proc/self/fd/0", "/dev/stdin"},
	{"/proc/self/fd/1", "/dev/stdout"},
	{"/proc/self/fd/2", "/dev/stderr"},
	{"pts/ptmx", "/dev/ptmx"},
}

func (r *rootfs) createDevices() error {
	devs := append([]specs.LinuxDevice(nil), defaultDevices...)
	for i := range devs {
		devs[i].FileMode = ptr(os.FileMode(0o666))
		devs[i].UID, devs[i].GID = ptr(uint32(0)), ptr(uint32(0))
	}
	for _, d := range r.spec.Linux.Devices {
		replaced := false
		for i := range devs {
			if devs[i].Path == d.Path {
				devs[i], replaced = d, true
			}
		}
		if !replaced {
			devs = append(devs, d)
		}
	}
	for _, d := range devs {
		if err := r.createDevice(d); err != nil {
			return fmt.Errorf("linux.devices %s: %w", d.Path, err)
		}
	}
	for _, l := range devLinks {
		if err := r.symlink(l[0], l[1]); err != nil {
			return fmt.Errorf("/dev link %s: %w", l[1], err)
		}
	}
	return nil
}

func (r *rootfs) createDevice(d specs.LinuxDevice) error {
	dir, err := mkdirAllInRoot(r.root, filepath.Dir(d.Path))
	if err != nil {
		return err
	}
	defer dir.Close()
	base := filepath.Base(d.Path)
	if r.userNs {
		// mknod is refused in a user namespace: bind the host's node.
		target, err := r.mkfileTarget(d.Path)
		if err != nil {
			return err
		}
		defer target.Close()
		src, err := os.OpenFile(d.Path, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("host device: %w", err)
		}
		defer src.Close()
		return bindFd(int(src.Fd()), int(target.Fd()), false)
	}
	var mode uint32
	switch d.Type {
	case "c", "u":
		mode = unix.S_IFCHR
	case "b":
		mode = unix.S_IFBLK
	case "p":
		mode = unix.S_IFIFO
	default:
		return fmt.Errorf("unknown type %q", d.Type)
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	if err := unix.Unlinkat(int(dir.Fd()), base, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	if err := unix.Mknodat(int(dir.Fd()), base, mode|perm, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))); err != nil {
		return fmt.Errorf("mknod: %w", err)
	}
	// mknod applies the umask; the config's mode is meant exactly.
	if err := unix.Fchmodat(int(dir.Fd()), base, perm, 0); err != nil {
		return err
	}
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	return unix.Fchownat(int(dir.Fd()), base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
}

func (r *rootfs) symlink(target, link string) error {
	dir, err := mkdirAllInRoot(r.root, filepath.Dir(link))
	if err != nil {
		return err
	}
	defer dir.Close()
	err = unix.Symlinkat(target, int(dir.Fd()), filepath.Base(link))
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}
