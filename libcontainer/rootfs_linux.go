package libcontainer

// Runs inside the container's init: the container's root filesystem, from
// the bundle's rootfs to pivot_root, masked and read-only paths.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/spec"
)

type rootfs struct {
	cfg    *initConfig
	sync   *os.File // where the parent sends the bind sources it opened
	spec   *specs.Spec
	path   string
	root   *os.File // O_PATH handle of the rootfs mount
	newNs  bool
	userNs bool
	// Detached clones of the host's /dev/null, one per masked path, made
	// before pivot_root: the rootfs's own /dev/null could be anything, and
	// after pivot_root the host's can no longer be cloned.
	devnulls []int
	devBind  bool // /dev comes from a bind mount: leave its nodes alone
	// Destinations of read-only mounts made writable until finish.
	readonlyLater []string
	// table is the mount table as the init found it (see hostMounts).
	table []*mountinfo.Info
}

func newRootfs(cfg *initConfig, sync *os.File) *rootfs {
	ns := spec.Namespaces(cfg.Spec)
	r := &rootfs{cfg: cfg, sync: sync, spec: cfg.Spec, path: cfg.Rootfs}
	if n, ok := ns[specs.MountNamespace]; ok && n.Path == "" {
		r.newNs = true
	}
	// The runtime itself may run in one (rootless Podman's): its init can
	// no more mknod or mount sysfs than one in a user namespace of its own.
	_, r.userNs = ns[specs.UserNamespace]
	r.userNs = r.userNs || InUserNamespace()
	return r
}

// prepare makes the rootfs a mount of its own in a mount namespace that no
// longer propagates back to the host, and mounts everything of `mounts`.
func (r *rootfs) prepare() error {
	if r.newNs {
		// The first change to the new namespace's copy of the host's tree,
		// as in runc: with rshared, the copies of the host's shared mounts
		// stay in the host's peer groups, so a shared bind volume propagates
		// both ways (Kubernetes' Bidirectional). Any other first step (rslave,
		// then the config's) would cut them off for good.
		prop := uintptr(unix.MS_SLAVE | unix.MS_REC)
		if p := r.spec.Linux.RootfsPropagation; p != "" {
			prop = spec.ParseMountOptions([]string{p}).Propagation[0]
		}
		if err := unix.Mount("", "/", "", prop, ""); err != nil {
			return fmt.Errorf("linux.rootfsPropagation: remount /: %w", err)
		}
		// Before the bind: on a shared parent the bind itself would
		// propagate to the host.
		if err := r.makeParentPrivate(); err != nil {
			return err
		}
		if err := unix.Mount(r.path, r.path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("root.path %s: bind: %w", r.path, err)
		}
	}
	root, err := os.OpenFile(r.path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("root.path %s: %w", r.path, err)
	}
	r.root = root
	if err := r.cloneDevNull(len(r.spec.Linux.MaskedPaths)); err != nil {
		return err
	}
	sources, err := r.bindSources()
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range sources {
			f.Close()
		}
	}()
	for i, m := range r.spec.Mounts {
		debugf("mounts[%d]: %s %s on %s %v", i, m.Type, m.Source, m.Destination, m.Options)
		if err := r.mount(m, sources[i]); err != nil {
			return fmt.Errorf("mounts[%d] (%s on %s): %w", i, m.Type, m.Destination, err)
		}
		if filepath.Clean("/"+m.Destination) == "/dev" && isBind(m) {
			r.devBind = true
		}
	}
	// Without a mount namespace the container's /dev is the host's (the
	// config may not move the root then, see spec.ValidateSharedNamespaces).
	if _, ownMounts := spec.Namespaces(r.spec)[specs.MountNamespace]; !r.devBind && ownMounts {
		if err := r.createDevices(); err != nil {
			return err
		}
	}
	return nil
}

// bindSources receives the bind sources the parent opened, by mount index.
func (r *rootfs) bindSources() (map[int]*os.File, error) {
	idx := r.cfg.BindSources
	if len(idx) == 0 {
		return nil, nil
	}
	files, err := receiveFds(r.sync, len(idx))
	if err != nil {
		return nil, fmt.Errorf("receive bind sources: %w", err)
	}
	if len(files) != len(idx) {
		closeAll(files)
		return nil, fmt.Errorf("receive bind sources: %d for %d mounts", len(files), len(idx))
	}
	m := make(map[int]*os.File, len(idx))
	for i, f := range files {
		m[idx[i]] = f
	}
	return m, nil
}

func (r *rootfs) cloneDevNull(n int) error {
	for i := 0; i < n; i++ {
		fd, err := unix.OpenTree(unix.AT_FDCWD, "/dev/null", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			return fmt.Errorf("clone /dev/null: %w", err)
		}
		r.devnulls = append(r.devnulls, fd)
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return fmt.Errorf("stat /dev/null: %w", err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
			return errors.New("/dev/null of the runtime is not the null device")
		}
	}
	return nil
}

// makeParentPrivate makes the mount that holds the rootfs (the rootfs
// itself when it is a mount point) private, which pivot_root requires of
// the new root's parent.
func (r *rootfs) makeParentPrivate() error {
	mounts, err := r.hostMounts(mountinfo.ParentsFilter(r.path))
	if err != nil {
		return err
	}
	best := "/"
	for _, m := range mounts {
		if len(m.Mountpoint) > len(best) {
			best = m.Mountpoint
		}
	}
	if err := unix.Mount("", best, "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make %s private: %w", best, err)
	}
	return nil
}

// hostMounts returns the mounts of the table the init found that filter
// keeps. The table is read and parsed once (the kernel writes it out at
// some cost, and the init needs it twice): what the init looks up in it,
// the mounts above the rootfs and the host's cgroup hierarchies, is what the
// init's own mounts, all below the rootfs, leave as it was.
func (r *rootfs) hostMounts(filter mountinfo.FilterFunc) ([]*mountinfo.Info, error) {
	if r.table == nil {
		table, err := mountinfo.GetMounts(nil)
		if err != nil {
			return nil, fmt.Errorf("read mountinfo: %w", err)
		}
		r.table = table
	}
	var out []*mountinfo.Info
	for _, m := range r.table {
		if skip, _ := filter(m); !skip {
			out = append(out, m)
		}
	}
	return out, nil
}

func isBind(m specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

// mount makes one entry of `mounts`; src, when not nil, is the bind
// source the parent opened.
func (r *rootfs) mount(m specs.Mount, src *os.File) error {
	dest := filepath.Clean("/" + m.Destination)
	opts := spec.ParseMountOptions(m.Options)
	if m.Type == "bind" {
		opts.Bind = true
	}
	// Its source is the idmapped tree the runtime made.
	opts.IDMap = isIDMapped(m)
	if err := checkProcDest(dest, m.Type, opts.Bind); err != nil {
		return err
	}
	if opts.Bind {
		return r.mountBind(m, dest, opts, src)
	}
	switch m.Type {
	case "proc", "sysfs":
		// CVE-2019-16884: procfs or sysfs on a symlink could land where an
		// LSM no longer protects it.
		if err := noSymlinks(r.root, dest); err != nil {
			return err
		}
	case "cgroup":
		if r.cfg.CgroupMode != cgroups.Unified {
			return r.mountCgroupV1(dest, opts)
		}
		m.Type = "cgroup2"
	}
	target, err := r.mkdirTarget(dest)
	if err != nil {
		return err
	}
	defer target.Close()
	if _, err := r.landed(dest, target, m.Type, false); err != nil {
		return err
	}
	flags := opts.Flags
	data := opts.Data
	if m.Type == "cgroup2" && !r.hasCgroupNs() {
		// Without a cgroup namespace the container sees its own cgroup,
		// not the host's tree.
		return r.bindHostCgroup2(target, opts)
	}
	if (m.Type == "tmpfs" || dest == "/dev") && flags&unix.MS_RDONLY != 0 {
		// Read-only once the rootfs is complete, as in runc: /dev gets its
		// nodes and mount points, a tmpfs its copied-up content or mounts
		// below it first.
		flags &^= unix.MS_RDONLY
		r.readonlyLater = append(r.readonlyLater, dest)
	}
	if err := mountFs(m.Source, m.Type, flags, data, int(target.Fd())); err != nil {
		if m.Type == "sysfs" && errors.Is(err, unix.EPERM) && r.userNs {
			// Without its own network namespace a user namespace may not
			// mount sysfs; the host's, bound read-only, is what runc gives.
			return r.bindPath("/sys", target, true, opts)
		}
		return err
	}
	if opts.CopyUp && m.Type == "tmpfs" {
		if err := r.copyUpTo(target, dest); err != nil {
			return fmt.Errorf("tmpcopyup: %w", err)
		}
	}
	return r.afterMount(dest, opts)
}

// copyUpTo copies what the directory under the new mount at dest holds
// into the mount. target is a handle taken before the mount, so it still
// names that directory ("." does not cross into a mount on top).
func (r *rootfs) copyUpTo(target *os.File, dest string) error {
	under, err := unix.Openat(int(target.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "openat", Path: dest, Err: err}
	}
	defer unix.Close(under)
	top, err := openInRoot(r.root, dest, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer top.Close()
	return copyUp(under, int(top.Fd()))
}

func (r *rootfs) afterMount(dest string, opts spec.MountOptions) error {
	if len(opts.Propagation) == 0 && opts.RecAttrSet == 0 && opts.RecAttrClr == 0 {
		return nil
	}
	fd, err := reopen(r.root, dest)
	if err != nil {
		return err
	}
	defer fd.Close()
	if err := setattr(int(fd.Fd()), true, recAttr(opts)); err != nil {
		return err
	}
	return setPropagation(int(fd.Fd()), opts.Propagation)
}

func (r *rootfs) hasCgroupNs() bool {
	_, ok := spec.Namespaces(r.spec)[specs.CgroupNamespace]
	return ok
}

func (r *rootfs) mountBind(m specs.Mount, dest string, opts spec.MountOptions, s *os.File) error {
	if s == nil && opts.IDMap {
		return errors.New("idmapped mount: the runtime sent no source")
	}
	if s == nil {
		path := m.Source
		if !filepath.IsAbs(path) {
			path = filepath.Join(r.cfg.Bundle, path)
		}
		var err error
		if s, err = os.OpenFile(path, unix.O_PATH|unix.O_CLOEXEC, 0); err != nil {
			return fmt.Errorf("source: %w", err)
		}
		defer s.Close()
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(s.Fd()), &st); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	var target *os.File
	var err error
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		target, err = r.mkdirTarget(dest)
	} else {
		target, err = r.mkfileTarget(dest)
	}
	if err != nil {
		return err
	}
	defer target.Close()
	at, err := r.landed(dest, target, m.Type, true)
	if err != nil {
		return err
	}
	if at == "/proc" {
		if err := checkProcSource(s, m.Source); err != nil {
			return err
		}
	}
	return r.bindFile(s, target, opts)
}

// checkProcSource lets a bind on /proc through only when what was opened
// is a procfs (the host's /proc, bound as runc allows): anything else
// would redirect the writes meant for the container's procfs.
func checkProcSource(src *os.File, name string) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(src.Fd()), &st); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("/proc must be a procfs mount: source %s is not procfs", name)
	}
	return nil
}

func (r *rootfs) bindPath(src string, target *os.File, rec bool, opts spec.MountOptions) error {
	s, err := os.OpenFile(src, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer s.Close()
	opts.Recursive = rec
	return r.bindFile(s, target, opts)
}

// bindFile clones src, applies the options to the clone while it is still
// detached, and attaches it: the mount never appears with the wrong flags.
// An idmapped source is such a clone already.
func (r *rootfs) bindFile(src, target *os.File, opts spec.MountOptions) error {
	tree := int(src.Fd())
	if !opts.IDMap {
		flags := unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC | unix.AT_EMPTY_PATH
		if opts.Recursive {
			flags |= unix.AT_RECURSIVE
		}
		var err error
		if tree, err = unix.OpenTree(int(src.Fd()), "", uint(flags)); err != nil {
			return fmt.Errorf("open_tree: %w", err)
		}
		defer unix.Close(tree)
	}
	if err := setattr(tree, false, mountAttr(opts)); err != nil {
		return err
	}
	if err := setattr(tree, true, recAttr(opts)); err != nil {
		return err
	}
	if err := setPropagation(tree, opts.Propagation); err != nil {
		return err
	}
	return moveMount(tree, int(target.Fd()))
}

// mkdirTarget creates dest as a directory inside the rootfs and returns a
// handle of it; symlinks on the way resolve inside the rootfs.
func (r *rootfs) mkdirTarget(dest string) (*os.File, error) {
	h, err := mkdirAllInRoot(r.root, dest)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	return h, nil
}

func (r *rootfs) mkfileTarget(dest string) (*os.File, error) {
	if h, err := openInRoot(r.root, dest, unix.O_PATH); err == nil {
		var st unix.Stat_t
		if err := unix.Fstat(int(h.Fd()), &st); err != nil {
			h.Close()
			return nil, err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			h.Close()
			return nil, errors.New("destination is a directory but the source is a file")
		}
		return h, nil
	}
	parent, err := mkdirAllInRoot(r.root, filepath.Dir(dest))
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	defer parent.Close()
	base := filepath.Base(dest)
	fd, err := unix.Openat(int(parent.Fd()), base, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("destination: %w", err)
	}
	if err == nil {
		unix.Close(fd)
	}
	fd, err = unix.Openat(int(parent.Fd()), base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	return os.NewFile(uintptr(fd), dest), nil
}

// landed returns where target, the handle the kernel resolved for dest
// inside the rootfs, really is, as a path from the rootfs. Symlinks and
// ".." on the way are the bundle's to use, as in runc: ".." at the top
// stays at the top and an absolute link starts from the rootfs, the way
// openat2 resolves them. What may be mounted over / and /proc is decided
// by where the mount lands, not by the name it was given (CVE-2025-52881:
// a link to /proc must not carry a bind over /proc/sys). The kernel's name
// of the handle is asked, not the path resolved again, so a link swapped
// after the lookup cannot make the check and the mount disagree.
func (r *rootfs) landed(dest string, target *os.File, fstype string, bind bool) (string, error) {
	rootName, err := os.Readlink(procFdPath(int(r.root.Fd())))
	if err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	name, err := os.Readlink(procFdPath(int(target.Fd())))
	if err != nil {
		return "", fmt.Errorf("destination %s: %w", dest, err)
	}
	at, ok := pathInRoot(rootName, name)
	if !ok {
		return "", fmt.Errorf("destination %s resolved to %s, outside the rootfs %s", dest, name, rootName)
	}
	if at == dest {
		return at, nil
	}
	if at == "/" {
		return "", fmt.Errorf("destination %s resolves to the container's root: a mount over it is not allowed", dest)
	}
	if err := checkProcDest(at, fstype, bind); err != nil {
		return "", fmt.Errorf("destination %s resolves to %s in the rootfs: %w", dest, at, err)
	}
	return at, nil
}

// pathInRoot gives path as seen from root, both absolute and clean as the
// kernel names them, and whether path is inside root at all.
func pathInRoot(root, path string) (string, bool) {
	if root == "/" {
		return path, strings.HasPrefix(path, "/")
	}
	if path == root {
		return "/", true
	}
	rest, ok := strings.CutPrefix(path, root+"/")
	return "/" + rest, ok
}

func noSymlinks(root *os.File, dest string) error {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH}
	fd, err := unix.Openat2(int(root.Fd()), strings.TrimPrefix(dest, "/"), how)
	if errors.Is(err, unix.ELOOP) {
		return fmt.Errorf("destination %s must be mounted on ordinary directory, not one reached through a symlink", dest)
	}
	if err == nil {
		var st unix.Stat_t
		ferr := unix.Fstat(fd, &st)
		unix.Close(fd)
		if ferr == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return fmt.Errorf("destination %s must be a directory", dest)
		}
	}
	return nil
}

// pivot makes the rootfs the container's root. The old root is detached
// in the same step, so no host path stays reachable.
func (r *rootfs) pivot() error {
	if err := unix.Fchdir(int(r.root.Fd())); err != nil {
		return fmt.Errorf("chdir to rootfs: %w", err)
	}
	if !r.newNs || r.cfg.NoPivot {
		if r.newNs {
			if err := hideFullProcSysfs(r.path); err != nil {
				return err
			}
			if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
				return fmt.Errorf("move rootfs to /: %w", err)
			}
		}
		if err := unix.Chroot("."); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
	} else {
		oldRoot, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open old root: %w", err)
		}
		defer oldRoot.Close()
		if err := unix.PivotRoot(".", "."); err != nil {
			return fmt.Errorf("pivot_root: %w", err)
		}
		// The old root is stacked on the new one: detach it without letting
		// the unmount propagate to the host. Through its own fd: "." names
		// the new root underneath, and making that rslave would cut the
		// container's shared volumes off their peers.
		if err := setattr(int(oldRoot.Fd()), true, &unix.MountAttr{Propagation: unix.MS_SLAVE}); err != nil {
			return fmt.Errorf("make old root rslave: %w", err)
		}
		if err := unix.Fchdir(int(oldRoot.Fd())); err != nil {
			return fmt.Errorf("chdir to old root: %w", err)
		}
		if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
			return fmt.Errorf("detach old root: %w", err)
		}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	r.root.Close()
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	r.root = root
	return nil
}

// hideFullProcSysfs removes, from the container's mount namespace, every
// whole procfs and sysfs outside the rootfs, as runc does for --no-pivot.
// Without pivot_root the host's tree stays under the chroot, and the kernel
// lets a user namespace mount a fresh procfs or sysfs as long as one fully
// visible instance is in the namespace (mount_too_revealing), the
// container's own being masked.
func hideFullProcSysfs(rootfs string) error {
	mounts, err := mountinfo.GetMounts(func(m *mountinfo.Info) (skip, stop bool) {
		inRootfs := m.Mountpoint == rootfs || strings.HasPrefix(m.Mountpoint, rootfs+"/")
		return m.Root != "/" || (m.FSType != "proc" && m.FSType != "sysfs") || inRootfs, false
	})
	if err != nil {
		return fmt.Errorf("read mountinfo: %w", err)
	}
	for _, m := range mounts {
		// Slave first, so the unmount does not propagate to the host.
		if err := unix.Mount("", m.Mountpoint, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // below a mount already gone
			}
			return fmt.Errorf("hide %s %s: %w", m.FSType, m.Mountpoint, err)
		}
		err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) {
			// Locked in a user namespace: cover it instead.
			err = unix.Mount("tmpfs", m.Mountpoint, "tmpfs", 0, "")
		}
		if err != nil {
			return fmt.Errorf("hide %s %s: %w", m.FSType, m.Mountpoint, err)
		}
	}
	return nil
}

// finish applies what must come after pivot_root: rootfs propagation,
// masked and read-only paths, a read-only root.
func (r *rootfs) finish() error {
	defer r.root.Close()
	defer func() {
		for _, fd := range r.devnulls {
			unix.Close(fd)
		}
	}()
	if prop := r.spec.Linux.RootfsPropagation; prop != "" && r.newNs {
		// The root itself, a bind from a private parent, is private by now.
		// Only the root: the recursive form reached the mounts when / was
		// first remounted, and must not undo a mount's own propagation.
		p := spec.ParseMountOptions([]string{prop}).Propagation[0] &^ unix.MS_REC
		if err := setPropagation(int(r.root.Fd()), []uintptr{p}); err != nil {
			return fmt.Errorf("linux.rootfsPropagation %s: %w", prop, err)
		}
	}
	for _, dest := range r.readonlyLater {
		fd, err := reopen(r.root, dest)
		if err != nil {
			return fmt.Errorf("remount %s read-only: %w", dest, err)
		}
		err = setattr(int(fd.Fd()), false, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
		fd.Close()
		if err != nil {
			return fmt.Errorf("remount %s read-only: %w", dest, err)
		}
	}
	for i, p := range r.spec.Linux.MaskedPaths {
		if err := r.mask(p, r.devnulls[i]); err != nil {
			return fmt.Errorf("linux.maskedPaths %s: %w", p, err)
		}
	}
	for _, p := range r.spec.Linux.ReadonlyPaths {
		if err := r.readonly(p); err != nil {
			return fmt.Errorf("linux.readonlyPaths %s: %w", p, err)
		}
	}
	if r.spec.Root.Readonly {
		if err := setattr(int(r.root.Fd()), false, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
			return fmt.Errorf("root.readonly: %w", err)
		}
	}
	return nil
}

// mask hides a path: an empty read-only tmpfs over a directory, the null
// device over anything else. The null device is the runtime's own, so a
// rootfs whose /dev/null is a symlink or a file cannot turn the mask into a
// bind of something else (CVE-2025-31133).
func (r *rootfs) mask(p string, devnull int) error {
	target, err := openInRoot(r.root, p, unix.O_PATH)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer target.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(target.Fd()), &st); err != nil {
		return &os.PathError{Op: "fstat", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return mountEmptyTmpfs(int(target.Fd()))
	}
	return moveMount(devnull, int(target.Fd()))
}

func (r *rootfs) readonly(p string) error {
	target, err := openInRoot(r.root, p, unix.O_PATH)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer target.Close()
	tree, err := unix.OpenTree(int(target.Fd()), "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("open_tree: %w", err)
	}
	defer unix.Close(tree)
	if err := setattr(tree, true, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
		return err
	}
	return moveMount(tree, int(target.Fd()))
}

// procBindable are the files under /proc that may be covered by a mount,
// the ones tools like lxcfs provide, as runc allows. Anything else could
// redirect a write the runtime or the kernel makes into /proc.
var procBindable = map[string]bool{
	"/proc/cpuinfo": true, "/proc/diskstats": true, "/proc/meminfo": true, "/proc/stat": true,
	"/proc/swaps": true, "/proc/uptime": true, "/proc/loadavg": true, "/proc/slabinfo": true,
	"/proc/net/dev": true, "/proc/sys/kernel/ns_last_pid": true,
}

// checkProcDest limits what may be mounted at and below /proc; a bind on
// /proc itself is checked by its source's filesystem once it is opened.
func checkProcDest(dest, fstype string, bind bool) error {
	if dest == "/proc" {
		if !bind && fstype != "proc" && fstype != "" {
			return fmt.Errorf("/proc must be a procfs mount, not %s", fstype)
		}
		return nil
	}
	if strings.HasPrefix(dest, "/proc/") && !procBindable[dest] {
		return fmt.Errorf("destination %s: mounts over /proc are limited to %s", dest, "the files lxcfs provides")
	}
	return nil
}
