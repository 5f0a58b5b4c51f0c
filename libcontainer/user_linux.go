package libcontainer

// HOME of process.user, from the container's own /etc/passwd.

import (
	"fmt"
	"strconv"

	"github.com/moby/sys/user"
	"golang.org/x/sys/unix"
)

// homeDir finds uid's home in /etc/passwd, in the container's init after
// pivot_root; "/" otherwise.
func homeDir(uid uint32) string {
	return homeIn("/etc/passwd", uid)
}

// homeIn reads passwd with moby/sys/user, as runc does: the first entry of
// uid wins, and the file must be a regular one of at most 10 MiB. Only the
// home is wanted, so no group file is named. An entry without a home, an
// unreadable file or a uid the library refuses (above 2^31-1) leave "/".
func homeIn(passwd string, uid uint32) string {
	u, err := user.GetExecUserPath(strconv.FormatUint(uint64(uid), 10), nil, passwd, "")
	if err != nil || u.Home == "" {
		return "/"
	}
	return u.Home
}

// homeOf finds uid's home for an exec, from outside: the container's
// /etc/passwd is resolved inside the init's root, as the container sees
// it, and opened only once it is known to be a regular file, so that a
// FIFO there cannot hang the runtime.
func (c *Container) homeOf(uid uint32) string {
	root, err := unix.Open(fmt.Sprintf("/proc/%d/root", c.state.Pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "/"
	}
	defer unix.Close(root)
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := unix.Openat2(root, "/etc/passwd", how)
	if err != nil {
		return "/"
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return "/"
	}
	return homeIn(fmt.Sprintf("/proc/self/fd/%d", fd), uid)
}
