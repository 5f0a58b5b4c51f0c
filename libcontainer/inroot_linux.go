package libcontainer

// Runs inside the container's init: path resolution inside the rootfs.

import (
	"errors"
	"os"
	"path/filepath"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// openInRoot opens path inside root the way openat2 resolves it with
// RESOLVE_IN_ROOT: "..", and symlinks absolute or relative, stay inside
// root, and magic links are refused. That is the kernel's own safe join,
// one syscall; pathrs-lite adds procfs re-verification that costs tens of
// syscalls a path, which the init's dozens of mount targets cannot afford.
func openInRoot(root *os.File, path string, flags int) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for range 16 {
		fd, err := unix.Openat2(int(root.Fd()), path, &how)
		// EAGAIN: a rename or mount raced the lookup, which the kernel
		// will not risk resolving; try again.
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "openat2", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
	return nil, &os.PathError{Op: "openat2", Path: path, Err: unix.EAGAIN}
}

// mkdirAllInRoot returns an O_PATH handle of the directory path inside
// root. When only the last component is missing (a mount point in a fresh
// tmpfs, mostly) it is made here: mkdirat in the resolved parent, then
// opened beneath it without following symlinks, so a link swapped in
// cannot lead out. Deeper creation is left to pathrs-lite.
func mkdirAllInRoot(root *os.File, path string) (*os.File, error) {
	h, err := openInRoot(root, path, unix.O_PATH|unix.O_DIRECTORY)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		if err == nil {
			return h, nil
		}
		return pathrs.MkdirAllHandle(root, path, 0o755)
	}
	parent, err := openInRoot(root, filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return pathrs.MkdirAllHandle(root, path, 0o755)
	}
	defer parent.Close()
	base := filepath.Base(path)
	if err := unix.Mkdirat(int(parent.Fd()), base, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, &os.PathError{Op: "mkdirat", Path: path, Err: err}
	}
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS,
	}
	fd, err := unix.Openat2(int(parent.Fd()), base, &how)
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
