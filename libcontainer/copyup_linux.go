package libcontainer

// Runs inside the container's init: tmpcopyup, the content of a directory
// copied into the tmpfs mounted over it, as runc does (Podman adds the
// option to every --tmpfs). Everything goes through directory fds with
// O_NOFOLLOW: the tree is the bundle's, and a symlink in it is copied as a
// link, never followed out of the rootfs.

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyUp copies the content of the directory src into dst: files,
// directories, symlinks and special files, with their ownership and modes.
// Hard links become separate files, as with runc.
func copyUp(src, dst int) error {
	d, err := unix.Openat(src, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	dir := os.NewFile(uintptr(d), "copyup")
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := copyEntry(src, dst, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func copyEntry(src, dst int, name string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(src, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	perm := st.Mode & 0o7777
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := unix.Mkdirat(dst, name, 0o700); err != nil {
			return err
		}
		s, err := openNoFollow(src, name, unix.O_RDONLY|unix.O_DIRECTORY)
		if err != nil {
			return err
		}
		defer unix.Close(s)
		t, err := openNoFollow(dst, name, unix.O_RDONLY|unix.O_DIRECTORY)
		if err != nil {
			return err
		}
		defer unix.Close(t)
		if err := copyUp(s, t); err != nil {
			return err
		}
		return chownChmod(t, st.Uid, st.Gid, perm)
	case unix.S_IFREG:
		s, err := openNoFollow(src, name, unix.O_RDONLY)
		if err != nil {
			return err
		}
		defer unix.Close(s)
		t, err := openNoFollow(dst, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL)
		if err != nil {
			return err
		}
		tf := os.NewFile(uintptr(t), name)
		defer tf.Close()
		if _, err := io.Copy(tf, os.NewFile(uintptr(s), name)); err != nil {
			return err
		}
		return chownChmod(t, st.Uid, st.Gid, perm)
	case unix.S_IFLNK:
		target, err := readlinkat(src, name)
		if err != nil {
			return err
		}
		if err := unix.Symlinkat(target, dst, name); err != nil {
			return err
		}
		return unix.Fchownat(dst, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW)
	default:
		// Devices, fifos and sockets: a node like the original (mknod of a
		// device fails in a user namespace, as it does with runc).
		if err := unix.Mknodat(dst, name, st.Mode&unix.S_IFMT|0o600, int(st.Rdev)); err != nil {
			return err
		}
		if err := unix.Fchownat(dst, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		return unix.Fchmodat(dst, name, perm, 0)
	}
}

func openNoFollow(dir int, name string, flags int) (int, error) {
	return unix.Openat(dir, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
}

// chownChmod sets owner then mode: chown clears the set-id bits.
func chownChmod(fd int, uid, gid, perm uint32) error {
	if err := unix.Fchown(fd, int(uid), int(gid)); err != nil {
		return err
	}
	return unix.Fchmod(fd, perm)
}

func readlinkat(dir int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dir, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
		if size > unix.PathMax {
			return "", errors.New("symlink target too long")
		}
	}
}
