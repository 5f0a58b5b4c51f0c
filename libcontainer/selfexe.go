package libcontainer

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// roSelfExe returns a path to exec the sprout binary through a private,
// read-only, detached bind mount of it. The container's init and exec'd
// processes run this binary inside the container; through the read-only
// mount, /proc/<pid>/exe can never be opened for writing, so the container
// cannot overwrite the host's sprout (CVE-2019-5736). It costs three
// syscalls and no copy. The returned file must stay open until the child
// has exec'd.
func roSelfExe() (*os.File, string, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, "", fmt.Errorf("clone sprout binary mount: %w", err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(fd)
		return nil, "", fmt.Errorf("make sprout binary mount read-only: %w", err)
	}
	f := os.NewFile(uintptr(fd), "sprout-exe")
	return f, fmt.Sprintf("/proc/self/fd/%d", fd), nil
}
