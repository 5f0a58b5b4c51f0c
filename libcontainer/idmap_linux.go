package libcontainer

// Idmapped bind mounts (runtime-spec mounts[].uidMappings, gidMappings and
// the idmap/ridmap options). mount_setattr(MOUNT_ATTR_IDMAP) needs
// CAP_SYS_ADMIN over the source's superblock, the host's user namespace for
// a host directory, so the runtime makes the mount, detached, and hands it
// to the init, which only attaches it.

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/spec"
)

// isIDMapped tells whether a mount asks for an idmapped mount.
func isIDMapped(m specs.Mount) bool {
	return len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0 || spec.ParseMountOptions(m.Options).IDMap
}

// validateIDMapMounts refuses, before anything is made, the idmapped
// mounts that cannot be made: as runc, only binds, only by a root runtime,
// and with both uid and gid mappings, given or taken from the container's
// user namespace.
func validateIDMapMounts(s *specs.Spec) error {
	_, userns := spec.Namespaces(s)[specs.UserNamespace]
	for i, m := range s.Mounts {
		if !isIDMapped(m) {
			continue
		}
		if !isBind(m) {
			return fmt.Errorf("mounts[%d] (%s): idmapped mounts are only supported for bind mounts", i, m.Destination)
		}
		if os.Geteuid() != 0 {
			return fmt.Errorf("mounts[%d] (%s): idmapped mounts need a runtime running as root", i, m.Destination)
		}
		explicit := len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0
		if explicit && (len(m.UIDMappings) == 0 || len(m.GIDMappings) == 0) {
			return fmt.Errorf("mounts[%d] (%s): an idmapped mount needs both uidMappings and gidMappings", i, m.Destination)
		}
		if !explicit && !userns {
			return fmt.Errorf("mounts[%d] (%s): idmap without uidMappings and gidMappings takes the container's user namespace, and there is none", i, m.Destination)
		}
	}
	return nil
}

// idmapNamespaces holds the user namespaces that idmapped mounts are made
// with, one per distinct mapping.
type idmapNamespaces struct {
	pid int // the init's, whose user namespace serves idmap without mappings
	fds map[string]*os.File
}

func (n *idmapNamespaces) close() {
	for _, f := range n.fds {
		f.Close()
	}
}

func mappingKey(uids, gids []specs.LinuxIDMapping) string {
	var sb strings.Builder
	for _, m := range uids {
		fmt.Fprintf(&sb, "u%d:%d:%d,", m.ContainerID, m.HostID, m.Size)
	}
	for _, m := range gids {
		fmt.Fprintf(&sb, "g%d:%d:%d,", m.ContainerID, m.HostID, m.Size)
	}
	return sb.String()
}

// get returns the user namespace for mount m. The mount's own mappings get
// a namespace of their own, made by a child that is stopped at its exec,
// before it runs anything, and killed once its namespace is open.
func (n *idmapNamespaces) get(m specs.Mount) (*os.File, error) {
	key := mappingKey(m.UIDMappings, m.GIDMappings)
	if f, ok := n.fds[key]; ok {
		return f, nil
	}
	if n.fds == nil {
		n.fds = map[string]*os.File{}
	}
	if key == "" {
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", n.pid))
		if err != nil {
			return nil, fmt.Errorf("the container's user namespace: %w", err)
		}
		n.fds[key] = f
		return f, nil
	}
	toSys := func(maps []specs.LinuxIDMapping) []syscall.SysProcIDMap {
		var out []syscall.SysProcIDMap
		for _, m := range maps {
			out = append(out, syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
		}
		return out
	}
	proc, err := os.StartProcess("/proc/self/exe", []string{"sprout-idmap"}, &os.ProcAttr{Sys: &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER,
		UidMappings: toSys(m.UIDMappings),
		GidMappings: toSys(m.GIDMappings),
		// Stopped by the kernel at its exec: nothing of it runs.
		Ptrace: true,
	}})
	if err != nil {
		return nil, fmt.Errorf("user namespace for the mappings: %w", err)
	}
	defer func() {
		proc.Kill()
		proc.Wait()
	}()
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", proc.Pid))
	if err != nil {
		return nil, fmt.Errorf("user namespace for the mappings: %w", err)
	}
	n.fds[key] = f
	return f, nil
}

// openIDMapped clones the tree at src, detached, and idmaps it with userns:
// the top mount, or every mount of the tree with ridmap.
func openIDMapped(src string, m specs.Mount, userns *os.File) (*os.File, error) {
	opts := spec.ParseMountOptions(m.Options)
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if opts.Recursive || opts.IDMapRecursive {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, flags)
	if err != nil {
		return nil, fmt.Errorf("open_tree %s: %w", src, err)
	}
	setFlags := uint(unix.AT_EMPTY_PATH)
	if opts.IDMapRecursive {
		setFlags |= unix.AT_RECURSIVE
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())}
	if err := unix.MountSetattr(fd, "", setFlags, attr); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
			return nil, fmt.Errorf("idmap %s: %w (the filesystem, or this kernel, cannot idmap it)", src, err)
		}
		return nil, fmt.Errorf("idmap %s: %w", src, err)
	}
	return os.NewFile(uintptr(fd), src), nil
}
