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
	"time"

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

// writeFile writes value to a cgroup control file in a single write: the
// kernel parses each write on its own. The file is never created: a missing
// control file must report ENOENT, not make an empty file appear. O_TRUNC,
// which cgroupfs ignores (runc opens with it too), leaves exactly the value
// written in a regular file standing in for a control file in unit tests.
func writeFile(dir, file, value string) error {
	f, err := os.OpenFile(filepath.Join(dir, file), os.O_WRONLY|os.O_TRUNC, 0)
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

// write writes value to dir/file on behalf of field.
func write(dir, file, value, field string) error {
	if err := writeFile(dir, file, value); err != nil {
		return fieldErr(field, err)
	}
	return nil
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
