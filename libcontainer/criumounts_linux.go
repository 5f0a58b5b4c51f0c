package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mountPointIn names a mount destination as the container's mount table
// does: the init followed symlinks inside the rootfs to mount it, so a bind
// on /conf, a link to /real/conf, is the mount /real/conf for criu.
func mountPointIn(rootfs, dest string) string {
	clean := filepath.Clean("/" + dest)
	p, err := securejoin.SecureJoin(rootfs, clean)
	if err != nil {
		return clean
	}
	rel, err := filepath.Rel(rootfs, p)
	if err != nil || !filepath.IsLocal(rel) {
		return clean
	}
	return filepath.Clean("/" + rel)
}

// makeRestoreMountpoints makes what criu needs to find before it mounts
// the checkpoint's tree into rootfs: each mount point of the config, in its
// order, except on a tmpfs (criu refills those). A bind source is mounted
// on its mount point meanwhile, as create had it, so that a mount nested in
// it finds its mount point in the source: a checkpoint outlives what was
// made there. Runs in restore's private mount namespace, whose mounts go
// with it; the mount points stay.
func makeRestoreMountpoints(rootfs, bundle string, mounts []specs.Mount) error {
	root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("restore: rootfs: %w", err)
	}
	defer root.Close()
	var tmpfs []string
	for i, m := range mounts {
		dest := mountPointIn(rootfs, m.Destination)
		if m.Type == "cgroup" || m.Type == "cgroup2" || under(dest, tmpfs) {
			continue
		}
		if m.Type == "tmpfs" {
			tmpfs = append(tmpfs, dest)
		}
		if err := makeRestoreMountpoint(root, bundle, dest, m); err != nil {
			return fmt.Errorf("restore: mounts[%d] (%s): %w", i, m.Destination, err)
		}
	}
	return nil
}

func makeRestoreMountpoint(root *os.File, bundle, dest string, m specs.Mount) error {
	if !isBind(m) {
		h, err := mkdirAllInRoot(root, dest)
		if err != nil {
			return err
		}
		return h.Close()
	}
	src := m.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(bundle, src)
	}
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	var target *os.File
	if fi.IsDir() {
		target, err = mkdirAllInRoot(root, dest)
	} else {
		target, err = fileInRoot(root, dest)
	}
	if err != nil {
		return err
	}
	defer target.Close()
	if err := unix.Mount(src, fmt.Sprintf("/proc/self/fd/%d", target.Fd()), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s: %w", src, err)
	}
	return nil
}

// fileInRoot returns an O_PATH handle of the file path inside root, made
// empty if missing, as the mount point of a file bind.
func fileInRoot(root *os.File, path string) (*os.File, error) {
	parent, err := mkdirAllInRoot(root, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), filepath.Base(path), unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_RDONLY, 0o644)
	if err != nil && !errors.Is(err, unix.EISDIR) {
		return nil, &os.PathError{Op: "create", Path: path, Err: err}
	}
	if err == nil {
		unix.Close(fd)
	}
	return openInRoot(root, path, unix.O_PATH|unix.O_NOFOLLOW)
}

// under tells whether path lies below one of dirs.
func under(path string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(path, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// criuConfigFile is the criu configuration file for a container, as runc
// chooses it: the org.criu.config annotation's file (none when it is
// empty), or else /etc/criu/runc.conf, the file criu users already keep
// for runc-like runtimes. criu ignores a file that does not exist.
func criuConfigFile(annotations map[string]string) string {
	if f, ok := annotations["org.criu.config"]; ok {
		return f
	}
	return "/etc/criu/runc.conf"
}
