package libcontainer

// Runs inside the container's init: /dev nodes and links, and the cgroup
// filesystems the container sees.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/spec"
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

// mountCgroupV1 gives a container on a v1 or hybrid host a tmpfs with one
// directory per hierarchy, as runc does: the hierarchy itself inside a
// cgroup namespace, else a bind of the container's own cgroup.
func (r *rootfs) mountCgroupV1(dest string, opts spec.MountOptions) error {
	target, err := r.mkdirTarget(dest)
	if err != nil {
		return err
	}
	base := opts.Flags | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if err := mountFs("tmpfs", "tmpfs", base&^unix.MS_RDONLY, []string{"mode=755"}, int(target.Fd())); err != nil {
		target.Close()
		return err
	}
	target.Close()
	hier, err := mountinfo.GetMounts(func(m *mountinfo.Info) (bool, bool) {
		return m.FSType != "cgroup" && m.FSType != "cgroup2", false
	})
	if err != nil {
		return err
	}
	own, err := ownCgroups()
	if err != nil {
		return err
	}
	for _, h := range hier {
		if !strings.HasPrefix(h.Mountpoint, "/sys/fs/cgroup/") {
			continue
		}
		name := filepath.Base(h.Mountpoint)
		sub, err := r.mkdirTarget(filepath.Join(dest, name))
		if err != nil {
			return err
		}
		err = r.mountHierarchy(h, own, sub, opts)
		sub.Close()
		if err != nil {
			return fmt.Errorf("cgroup hierarchy %s: %w", name, err)
		}
		if strings.Contains(name, ",") {
			for _, part := range strings.Split(name, ",") {
				if err := r.symlink(name, filepath.Join(dest, part)); err != nil {
					return err
				}
			}
		}
	}
	if opts.Flags&unix.MS_RDONLY != 0 {
		fd, err := reopen(r.root, dest)
		if err != nil {
			return err
		}
		defer fd.Close()
		return setattr(int(fd.Fd()), false, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
	}
	return nil
}

func (r *rootfs) mountHierarchy(h *mountinfo.Info, own map[string]string, target *os.File, opts spec.MountOptions) error {
	var key string
	var data []string
	if h.FSType == "cgroup2" {
		key = ""
	} else {
		// The superblock options name the controllers, e.g. "rw,memory".
		for _, o := range strings.Split(h.VFSOptions, ",") {
			if o != "rw" && o != "ro" && o != "" {
				data = append(data, o)
			}
		}
		key = strings.Join(data, ",")
	}
	flags := opts.Flags | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if r.hasCgroupNs() {
		return mountFs("cgroup", h.FSType, flags, data, int(target.Fd()))
	}
	path, ok := own[key]
	if !ok {
		path = "/"
	}
	src := filepath.Join(h.Mountpoint, strings.TrimPrefix(path, h.Root))
	bind := spec.MountOptions{Flags: flags}
	return r.bindPath(src, target, false, bind)
}

// ownCgroups maps each hierarchy's controller list ("" for cgroup v2) to
// the init's cgroup in it, which the parent has already set.
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 {
			m[parts[1]] = parts[2]
		}
	}
	return m, sc.Err()
}

// bindHostCgroup2 shows a container without a cgroup namespace its own
// cgroup as /sys/fs/cgroup.
func (r *rootfs) bindHostCgroup2(target *os.File, opts spec.MountOptions) error {
	own, err := ownCgroups()
	if err != nil {
		return err
	}
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup2"))
	if err != nil || len(mounts) == 0 {
		return fmt.Errorf("no cgroup2 mount on the host: %v", err)
	}
	src := filepath.Join(mounts[0].Mountpoint, own[""])
	return r.bindPath(src, target, false, spec.MountOptions{Flags: opts.Flags | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC})
}
