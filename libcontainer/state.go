package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/spec"
)

// Status is a container's OCI lifecycle status.
type Status string

const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
)

const (
	stateFile  = "state.json"
	configFile = "config.json"
	startSock  = "start.sock"
	// pendingStartSock is the start socket's name until create is done.
	pendingStartSock = ".start.sock"
)

// ErrNotExist is returned for an ID that has no state under the root.
var ErrNotExist = errors.New("container does not exist")

// State is what sprout keeps of a container between commands.
type State struct {
	ID          string            `json:"id"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Pid         int               `json:"pid"`
	PidStart    uint64            `json:"pidStartTime"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	CgroupPaths map[string]string `json:"cgroupPaths,omitempty"`
	// SystemdUnit is the scope of a container made with --systemd-cgroup.
	SystemdUnit string `json:"systemdUnit,omitempty"`
	// SystemdUser tells that the scope is the user's systemd manager's
	// (rootless).
	SystemdUser bool `json:"systemdUser,omitempty"`
	// CgroupOwned lists the cgroup directories that create made (recorded
	// before it makes them), outermost first: delete removes only those.
	// A state written before it existed has none (nil, not empty): then
	// every directory of CgroupPaths counts as made, as it was then.
	CgroupOwned []string `json:"cgroupOwned"`
	// NamespaceInodes maps the /proc/<pid>/ns name of each namespace the
	// container made to its inode.
	NamespaceInodes map[string]uint64 `json:"namespaceInodes,omitempty"`
	// Hooks are the config's, which start and delete run. The rest of the
	// config is in its own file (see Container.Spec): decoding a whole spec
	// costs a fresh process most of a millisecond.
	Hooks *specs.Hooks `json:"hooks,omitempty"`
}

// ValidateID accepts runc's ID character set; anything that could name a
// path outside the root is refused.
func ValidateID(id string) error {
	if id == "" {
		return errors.New("container ID must not be empty")
	}
	if len(id) > 1024 {
		return errors.New("container ID is longer than 1024 bytes")
	}
	if !validIDChars(id) || id == "." || id == ".." {
		return fmt.Errorf("invalid container ID %q: only letters, digits, '_', '+', '-' and '.' are allowed", id)
	}
	return nil
}

// validIDChars allows runc's set: letters, digits, '_', '+', '-', '.'.
func validIDChars(id string) bool {
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '+', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

func writeJSONAtomic(dir, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeAtomic(dir, name, data)
}

// writeConfig keeps the container's config beside its state and returns
// it encoded, which create hands on to the init rather than encode it again.
func writeConfig(dir string, s *specs.Spec) ([]byte, error) {
	data, err := spec.Marshal(s)
	if err != nil {
		return nil, err
	}
	return data, writeAtomic(dir, configFile, data)
}

func writeAtomic(dir, name string, data []byte) (err error) {
	tmp, err := os.CreateTemp(dir, "."+name+".")
	if err != nil {
		return err
	}
	// Once renamed it is gone under that name: removing it then would only
	// cost two failing syscalls (os.Remove tries unlink, then rmdir).
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return replaceFile(tmp.Name(), filepath.Join(dir, name))
}

// replaceFile puts tmp in the place of dst, atomically. A file that exists
// already is exchanged with tmp, then unlinked under tmp's name: renaming
// over an existing file makes ext4 (auto_da_alloc) allocate and start
// writing the new file's blocks at once, which a state file, rewritten by
// every create and soon removed, pays for twice: in create, and in delete,
// where unlinking it took 0.3 ms against 0.05 for a file whose blocks were
// never allocated. A filesystem that knows neither flag gets a plain rename.
func replaceFile(tmp, dst string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EEXIST) {
		if unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dst, unix.RENAME_EXCHANGE) == nil {
			if err := unix.Unlink(tmp); err != nil {
				return &os.PathError{Op: "unlink", Path: tmp, Err: err}
			}
			return nil
		}
	}
	return os.Rename(tmp, dst)
}

// WritePidFile writes pid to path atomically, so an engine polling for the
// file never reads a partial number.
func WritePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	if err := writeAtomic(filepath.Dir(abs), filepath.Base(abs), []byte(strconv.Itoa(pid))); err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	return nil
}

// processStartTime reads field 22 of /proc/<pid>/stat, which tells a
// process from a later one that reused its PID. It also reports whether the
// process is a zombie.
func processStartTime(pid int) (uint64, bool, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	s := string(data)
	// The command name may hold spaces and parentheses: skip past the last ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, false, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return start, fields[0] == "Z" || fields[0] == "X", nil
}

// lockedDir is a container's state directory held under an exclusive flock,
// so that commands on one container run one at a time.
type lockedDir struct {
	path string
	f    *os.File
}

func lockDir(path string) (*lockedDir, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// A delete that held the lock before us may have removed the directory.
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Nlink == 0 {
		f.Close()
		return nil, os.ErrNotExist
	}
	return &lockedDir{path: path, f: f}, nil
}

// unlock may be called again, by a deferred call after an early release.
func (l *lockedDir) unlock() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

func readState(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, stateFile), err)
	}
	return &s, nil
}
