package libcontainer

// Runs inside the container's init: mounts made through file descriptors,
// so that no path is walked twice and a symlink swapped in between cannot
// redirect a mount (CVE-2021-30465).

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/spec"
)

// bindFd clones the mount tree at src (recursively with rec) and attaches
// the copy onto target.
func bindFd(src, target int, rec bool) error {
	flags := unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC | unix.AT_EMPTY_PATH
	if rec {
		flags |= unix.AT_RECURSIVE
	}
	tree, err := unix.OpenTree(src, "", uint(flags))
	if err != nil {
		return fmt.Errorf("open_tree: %w", err)
	}
	defer unix.Close(tree)
	return moveMount(tree, target)
}

func moveMount(tree, target int) error {
	if err := unix.MoveMount(tree, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// msToAttr maps mount(2) flags to mount_setattr(2) attributes.
var msToAttr = []struct {
	ms   uintptr
	attr uint64
}{
	{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY},
	{unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
	{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV},
	{unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
	{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME},
	{unix.MS_NOSYMFOLLOW, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// mountAttr turns parsed options into one mount_setattr request for the
// top mount only (recursive ones are handled separately).
func mountAttr(o spec.MountOptions) *unix.MountAttr {
	a := &unix.MountAttr{}
	for _, m := range msToAttr {
		if o.Flags&m.ms != 0 {
			a.Attr_set |= m.attr
		}
		if o.ClearFlags&m.ms != 0 {
			a.Attr_clr |= m.attr
		}
	}
	switch {
	case o.Flags&unix.MS_NOATIME != 0:
		a.Attr_set |= unix.MOUNT_ATTR_NOATIME
		a.Attr_clr |= unix.MOUNT_ATTR__ATIME
	case o.Flags&unix.MS_STRICTATIME != 0:
		a.Attr_set |= unix.MOUNT_ATTR_STRICTATIME
		a.Attr_clr |= unix.MOUNT_ATTR__ATIME
	case o.Flags&unix.MS_RELATIME != 0:
		a.Attr_set |= unix.MOUNT_ATTR_RELATIME
		a.Attr_clr |= unix.MOUNT_ATTR__ATIME
	}
	return a
}

func recAttr(o spec.MountOptions) *unix.MountAttr {
	return &unix.MountAttr{Attr_set: o.RecAttrSet, Attr_clr: o.RecAttrClr}
}

func setattr(fd int, rec bool, a *unix.MountAttr) error {
	if a.Attr_set == 0 && a.Attr_clr == 0 && a.Propagation == 0 {
		return nil
	}
	flags := unix.AT_EMPTY_PATH
	if rec {
		flags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(fd, "", uint(flags), a); err != nil {
		return fmt.Errorf("mount_setattr: %w", err)
	}
	return nil
}

// setPropagation applies propagation options (shared, rslave, ...) in
// order to the mount at fd.
func setPropagation(fd int, props []uintptr) error {
	for _, p := range props {
		rec := p&unix.MS_REC != 0
		if err := setattr(fd, rec, &unix.MountAttr{Propagation: uint64(p &^ unix.MS_REC)}); err != nil {
			return err
		}
	}
	return nil
}

func procFdPath(fd int) string {
	return fmt.Sprintf("/proc/self/fd/%d", fd)
}

// mountFs mounts a filesystem (not a bind) onto the directory or file at
// target. The data string goes to the kernel as is.
func mountFs(source, fstype string, flags uintptr, data []string, target int) error {
	if err := unix.Mount(source, procFdPath(target), fstype, flags, strings.Join(data, ",")); err != nil {
		return err
	}
	return nil
}

// reopen gets an fd of what is mounted at path now: an fd taken before a
// mount still names the directory underneath it.
func reopen(root *os.File, rel string) (*os.File, error) {
	return openInRoot(root, rel, unix.O_PATH)
}

// mountEmptyTmpfs puts a read-only empty tmpfs on target. It goes through
// fsopen, not a /proc path, because it runs after pivot_root where the
// container may have no /proc.
func mountEmptyTmpfs(target int) error {
	fsfd, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fsopen tmpfs: %w", err)
	}
	defer unix.Close(fsfd)
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fmt.Errorf("create tmpfs: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY)
	if err != nil {
		return fmt.Errorf("fsmount tmpfs: %w", err)
	}
	defer unix.Close(mfd)
	return moveMount(mfd, target)
}
