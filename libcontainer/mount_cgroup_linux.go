package libcontainer

// Runs inside the container's init: the cgroup filesystems the container
// sees.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/spec"
)

// mountCgroupV1 gives a container on a v1 or hybrid host a tmpfs with one
// directory per hierarchy, as runc does: the hierarchy itself inside a
// cgroup namespace, else a bind of the container's own cgroup.
func (r *rootfs) mountCgroupV1(dest string, opts spec.MountOptions) error {
	target, err := r.mkdirTarget(dest)
	if err != nil {
		return err
	}
	if _, err := r.landed(dest, target, "cgroup", false); err != nil {
		target.Close()
		return err
	}
	base := opts.Flags | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if err := mountFs("tmpfs", "tmpfs", base&^unix.MS_RDONLY, []string{"mode=755"}, int(target.Fd())); err != nil {
		target.Close()
		return err
	}
	target.Close()
	// The tmpfs is the init's own and empty: the hierarchies' directories
	// and links are made in it directly, each without a walk from the
	// container's root (three lookups and a close fewer a hierarchy).
	tmpfs, err := reopen(r.root, dest)
	if err != nil {
		return err
	}
	defer tmpfs.Close()
	hier, err := r.hostMounts(func(m *mountinfo.Info) (bool, bool) {
		return m.FSType != "cgroup" && m.FSType != "cgroup2", false
	})
	if err != nil {
		return err
	}
	own, err := cgroups.OwnPaths()
	if err != nil {
		return err
	}
	for _, h := range hier {
		if !strings.HasPrefix(h.Mountpoint, "/sys/fs/cgroup/") {
			continue
		}
		name := filepath.Base(h.Mountpoint)
		if err := unix.Mkdirat(int(tmpfs.Fd()), name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("destination: %w", &os.PathError{Op: "mkdirat", Path: filepath.Join(dest, name), Err: err})
		}
		// Opened within the tmpfs, following a link to a co-mounted
		// hierarchy's directory that an earlier one made, as a lookup from
		// the root would.
		sub, err := openInRoot(tmpfs, name, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return fmt.Errorf("destination: %w", err)
		}
		err = r.mountHierarchy(h, own, sub, opts)
		sub.Close()
		if err != nil {
			return fmt.Errorf("cgroup hierarchy %s: %w", name, err)
		}
		if strings.Contains(name, ",") {
			for _, part := range strings.Split(name, ",") {
				if err := unix.Symlinkat(name, int(tmpfs.Fd()), part); err != nil && !errors.Is(err, unix.EEXIST) {
					return &os.PathError{Op: "symlinkat", Path: filepath.Join(dest, part), Err: err}
				}
			}
		}
	}
	if opts.Flags&unix.MS_RDONLY != 0 {
		return setattr(int(tmpfs.Fd()), false, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
	}
	return nil
}

func (r *rootfs) mountHierarchy(h *mountinfo.Info, own map[string]string, target *os.File, opts spec.MountOptions) error {
	// own is keyed by controller, "" for cgroup v2.
	keys := []string{""}
	var data []string
	if h.FSType != "cgroup2" {
		// The superblock options name the controllers, e.g. "rw,memory".
		for _, o := range strings.Split(h.VFSOptions, ",") {
			if o != "rw" && o != "ro" && o != "" {
				data = append(data, o)
			}
		}
		keys = data
	}
	flags := opts.Flags | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if r.hasCgroupNs() {
		return mountFs("cgroup", h.FSType, flags, data, int(target.Fd()))
	}
	path := "/"
	for _, k := range keys {
		if p, ok := own[k]; ok {
			path = p
			break
		}
	}
	src := filepath.Join(h.Mountpoint, strings.TrimPrefix(path, h.Root))
	bind := spec.MountOptions{Flags: flags}
	return r.bindPath(src, target, false, bind)
}

// bindHostCgroup2 shows a container without a cgroup namespace its own
// cgroup as /sys/fs/cgroup.
func (r *rootfs) bindHostCgroup2(target *os.File, opts spec.MountOptions) error {
	own, err := cgroups.OwnPaths()
	if err != nil {
		return err
	}
	mounts, err := r.hostMounts(mountinfo.FSTypeFilter("cgroup2"))
	if err != nil || len(mounts) == 0 {
		return fmt.Errorf("no cgroup2 mount on the host: %v", err)
	}
	src := filepath.Join(mounts[0].Mountpoint, own[""])
	return r.bindPath(src, target, false, spec.MountOptions{Flags: opts.Flags | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC})
}
