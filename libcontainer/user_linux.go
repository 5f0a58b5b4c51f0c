package libcontainer

// Runs inside the container's init: user switching and program lookup
// against the container's own files.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setUser switches to process.user, keeping the capabilities the config
// asks for across the uid change.
//
// The ids change for the calling thread only, as the capabilities do (and
// as in runc): this locked thread is the one that execs the process, and
// execve ends the others. The all-threads variants of package syscall stop
// every thread of the runtime for each call.
func setUser(u specs.User) error {
	gids := make([]int, 0, len(u.AdditionalGids))
	for _, g := range u.AdditionalGids {
		gids = append(gids, int(g))
	}
	// With setgroups denied (an unprivileged user namespace) only an empty
	// request can be honoured, and it already is.
	if err := unix.Setgroups(gids); err != nil && (len(gids) > 0 || !errors.Is(err, unix.EPERM)) {
		return fmt.Errorf("process.user.additionalGids: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("keep capabilities: %w", err)
	}
	if err := threadSetres(unix.SYS_SETRESGID, u.GID); err != nil {
		return fmt.Errorf("process.user.gid %d: %w", u.GID, err)
	}
	if err := threadSetres(unix.SYS_SETRESUID, u.UID); err != nil {
		return fmt.Errorf("process.user.uid %d: %w", u.UID, err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("keep capabilities: %w", err)
	}
	return nil
}

// threadSetres sets the real, effective and saved id of the calling thread
// with setresuid or setresgid.
func threadSetres(trap uintptr, id uint32) error {
	if _, _, e := unix.RawSyscall(trap, uintptr(id), uintptr(id), uintptr(id)); e != 0 {
		return e
	}
	return nil
}

// homeDir finds uid's home in the container's /etc/passwd; "/" otherwise.
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

// lookPath resolves the program the way execvp would, with the PATH of
// the container's environment. Without a PATH there is nowhere to look,
// as in runc (no default list): a bare name is then not found, which an
// engine reports as its "not found" exit status.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, checkExecutable(name)
	}
	path := ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if checkExecutable(p) == nil {
			return p, nil
		}
	}
	if path == "" {
		return "", errors.New("executable file not found in $PATH (process.env has no PATH, or an empty one)")
	}
	return "", fmt.Errorf("executable file not found in $PATH (%s)", path)
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", p)
	}
	if fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", p)
	}
	return nil
}

// chownStdio gives the process's stdio to its user, as runc does: the pty
// the init made, or a pipe of the caller, belongs to root otherwise, and a
// process that reopens /dev/stdout as another user could not. Only the
// owner changes (devpts may fix the group, tty); /dev/null is left alone,
// and so is a file whose owner cannot be changed from here (not mapped in
// the user namespace, on a read-only filesystem). The null device is told
// by its number: the container's /dev/null may be missing or anything.
func chownStdio(uid uint32) error {
	null := unix.Mkdev(1, 3)
	for fd := 0; fd < 3; fd++ {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			if errors.Is(err, unix.EBADF) {
				continue
			}
			return fmt.Errorf("stdio fd %d: %w", fd, err)
		}
		if st.Uid == uid || (st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null) {
			continue
		}
		err := unix.Fchown(fd, int(uid), -1)
		if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EROFS) {
			return fmt.Errorf("process.user.uid %d: give it stdio fd %d: %w", uid, fd, err)
		}
	}
	return nil
}
