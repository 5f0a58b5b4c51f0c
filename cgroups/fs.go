package cgroups

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// cleanPath cleans p; a relative p stays relative but loses any ".." that
// would climb above its base, so that a cgroupsPath cannot point outside
// the cgroup it is meant to live under.
func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	rel, err := filepath.Rel("/", filepath.Clean("/"+p))
	if err != nil {
		return "."
	}
	return rel
}

// within reports whether dir is base or below it.
func within(base, dir string) bool {
	rel, err := filepath.Rel(base, dir)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// hierarchy is where one cgroup hierarchy is mounted: root is the cgroup of
// that hierarchy shown at mountpoint (not "/" inside a container that got a
// bind mount of its own cgroup).
type hierarchy struct {
	mountpoint string
	root       string
}

// cgroupMounts are the host's cgroup and cgroup2 mounts, read once: like
// the layout (see detectedMode) they do not change under a command, and
// every command needs both kinds on a hybrid host.
var cgroupMounts = sync.OnceValues(func() ([]*mountinfo.Info, error) {
	infos, err := mountinfo.GetMounts(func(i *mountinfo.Info) (skip, stop bool) {
		return i.FSType != "cgroup" && i.FSType != "cgroup2", false
	})
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return infos, nil
})

// v1Hierarchies maps each mounted v1 controller, and named hierarchy such
// as "name=systemd", to its first mount.
func v1Hierarchies() (map[string]hierarchy, error) {
	infos, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	h := make(map[string]hierarchy)
	for _, mi := range infos {
		if mi.FSType != "cgroup" {
			continue
		}
		for _, opt := range strings.Split(mi.VFSOptions, ",") {
			if !isV1Controller(opt) {
				continue
			}
			if _, seen := h[opt]; !seen {
				h[opt] = hierarchy{mountpoint: mi.Mountpoint, root: mi.Root}
			}
		}
	}
	return h, nil
}

// v1Controllers are the v1 hierarchies a container joins, in runc's order
// (which is also the order limits are written in).
var v1Controllers = []string{
	"cpuset", "devices", "memory", "cpu", "cpuacct", "pids", "blkio", "hugetlb",
	"net_cls", "net_prio", "perf_event", "freezer", "rdma", "misc", "name=systemd",
}

func isV1Controller(opt string) bool {
	for _, c := range v1Controllers {
		if opt == c {
			return true
		}
	}
	return false
}

// v2Hierarchy finds the cgroup2 mount at mountpoint.
func v2Hierarchy(mountpoint string) (hierarchy, error) {
	infos, err := cgroupMounts()
	if err != nil {
		return hierarchy{}, err
	}
	for _, mi := range infos {
		if mi.FSType == "cgroup2" && mi.Mountpoint == mountpoint {
			return hierarchy{mountpoint: mi.Mountpoint, root: mi.Root}, nil
		}
	}
	return hierarchy{}, fmt.Errorf("no cgroup2 filesystem is mounted at %s", mountpoint)
}

// ownCgroups parses /proc/self/cgroup: v1 controller (or "name=...") -> path,
// "" -> the v2 path.
func ownCgroups() (map[string]string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	own := make(map[string]string)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			own[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	return own, nil
}

// dirIn joins inner under hierarchy h: absolute inner from the hierarchy's
// root, relative inner from base (a cgroup path as /proc/self/cgroup shows
// it).
func (h hierarchy) dirIn(base, inner string) (string, error) {
	if filepath.IsAbs(inner) {
		return filepath.Join(h.mountpoint, inner), nil
	}
	if base == "" {
		return "", errors.New("/proc/self/cgroup does not show our own cgroup in this hierarchy")
	}
	rel, err := filepath.Rel(h.root, base)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("own cgroup %s is not visible under the mount %s (root %s)", base, h.mountpoint, h.root)
	}
	return filepath.Join(h.mountpoint, rel, inner), nil
}

// writeFile writes value to a cgroup control file in a single write: the
// kernel parses each write on its own. The file is never created: a missing
// control file must report ENOENT, not make an empty file appear.
func writeFile(dir, file, value string) error {
	f, err := os.OpenFile(filepath.Join(dir, file), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(value)
	cerr := f.Close()
	if werr != nil {
		return werr
	}
	return cerr
}

func readFile(dir, file string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, file))
	return string(bytes.TrimSpace(data)), err
}

// parseUint reads a cgroup number, "max" (v2) meaning unlimited.
func parseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// v1 shows negative values such as -1 for "unlimited" in a few files.
		if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && i < 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("parse %q: %w", s, err)
	}
	return v, nil
}

func readUint(dir, file string) (uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := parseUint(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", filepath.Join(dir, file), err)
	}
	return v, nil
}

// readKeyed parses "key value" lines (memory.stat, cpu.stat, memory.events,
// memory.oom_control...).
func readKeyed(dir, file string) (map[string]uint64, error) {
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := make(map[string]uint64)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue
		}
		if v, err := parseUint(fields[1]); err == nil {
			m[fields[0]] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return m, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// mkdirAll creates dir and its missing parents and returns the directories
// it created, outermost first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for p := dir; !exists(p); p = filepath.Dir(p) {
		missing = append(missing, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		err := os.Mkdir(missing[i], 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return created, err
		}
		created = append(created, missing[i])
	}
	return created, nil
}

// removeCreated undoes mkdirAll after a failed Apply, innermost first.
func removeCreated(created []string) {
	for i := len(created) - 1; i >= 0; i-- {
		_ = unix.Rmdir(created[i])
	}
}

// removeTree removes the cgroup dir and its sub-cgroups, deepest first. The
// last processes of a cgroup are still being released for a moment after
// they are reaped, so EBUSY is retried for a short while.
func removeTree(dir string) error {
	delay := 5 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := removeTreeOnce(dir)
		if err == nil || !errors.Is(err, unix.EBUSY) || attempt == 6 {
			return err
		}
		time.Sleep(delay)
		delay *= 2
	}
}

func removeTreeOnce(dir string) error {
	// A cgroup without sub-cgroups, the usual case, goes with one rmdir;
	// only a busy one is listed for children.
	err := unix.Rmdir(dir)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EBUSY) && !errors.Is(err, unix.ENOTEMPTY) {
		return &os.PathError{Op: "rmdir", Path: dir, Err: err}
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTreeOnce(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := unix.Rmdir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
		return &os.PathError{Op: "rmdir", Path: dir, Err: err}
	}
	return nil
}

// procsTree lists the pids of dir and of every cgroup below it.
func procsTree(dir string) ([]int, error) {
	seen := make(map[int]bool)
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// A sub-cgroup removed while walking is not an error.
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, f := range strings.Fields(string(data)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				return fmt.Errorf("parse %s: %w", filepath.Join(p, "cgroup.procs"), err)
			}
			if !seen[pid] {
				seen[pid] = true
				pids = append(pids, pid)
			}
		}
		return nil
	})
	sort.Ints(pids)
	return pids, err
}

// joinCgroup moves pid into the cgroup at dir.
func joinCgroup(dir string, pid int) error {
	if err := writeFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("move pid %d into %s: %w", pid, dir, err)
	}
	return nil
}
