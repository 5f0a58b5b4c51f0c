package cgroups

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

const (
	cgroupRoot = "/sys/fs/cgroup"
	// hybridUnified is where systemd (and so every hybrid host) mounts the
	// v2 hierarchy next to the v1 controllers.
	hybridUnified = "/sys/fs/cgroup/unified"
)

// The layout cannot change under a running process without unmounting
// cgroupfs, so it is detected once.
var detectedMode = sync.OnceValue(func() Mode {
	var st unix.Statfs_t
	if unix.Statfs(cgroupRoot, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return Unified
	}
	if unix.Statfs(hybridUnified, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return Hybrid
	}
	return Legacy
})

// host is what the managers know of the machine: its cgroup layout, where
// cgroupfs is, the mount table and the calling process's own cgroups. The
// real one reads /sys/fs/cgroup and /proc; unit tests build one over a
// temporary directory, so that everything the managers compute, write and
// read runs without root against ordinary files.
type host struct {
	mode Mode
	// root is the cgroup v2 mount on a unified host, the directory of the
	// v1 hierarchies (and of "unified") otherwise.
	root string
	// mounts returns the cgroup and cgroup2 mounts.
	mounts func() ([]*mountinfo.Info, error)
	// selfCgroup is the calling process's /proc/<pid>/cgroup.
	selfCgroup string
	// hugepages is the kernel's list of huge page sizes.
	hugepages string
}

func realHost() *host {
	return &host{
		mode:       DetectMode(),
		root:       cgroupRoot,
		mounts:     cgroupMounts,
		selfCgroup: "/proc/self/cgroup",
		hugepages:  "/sys/kernel/mm/hugepages",
	}
}

// newManager computes the directories of the container's cgroup (see New).
func (h *host) newManager(cgroupsPath, containerID string) (Manager, error) {
	inner := cleanPath(cgroupsPath)
	if inner == "" {
		if containerID == "" {
			return nil, errors.New("neither a cgroups path nor a container ID was given")
		}
		inner = cleanPath(containerID)
	}
	if inner == "/" || inner == "." {
		return nil, fmt.Errorf("cgroups path %q resolves to the base cgroup itself, not to a cgroup of the container", cgroupsPath)
	}
	if h.mode != Unified {
		return newLegacy(h, inner)
	}
	return newUnified(h, inner)
}

func (h *host) load(paths map[string]string) (Manager, error) {
	if len(paths) == 0 {
		return nil, errors.New("no cgroup paths to load")
	}
	if h.mode != Unified {
		return loadLegacy(h, paths)
	}
	return loadUnified(h, paths)
}

// v2Mount is where the v2 hierarchy is: the root itself on a unified host,
// "unified" below it on a hybrid one.
func (h *host) v2Mount() string {
	if h.mode == Unified {
		return h.root
	}
	return filepath.Join(h.root, "unified")
}

// cgroupMounts are the host's cgroup and cgroup2 mounts, read once: like
// the layout (see detectedMode) they do not change under a command, and
// every command needs both kinds on a hybrid host.
var cgroupMounts = sync.OnceValues(func() ([]*mountinfo.Info, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCgroupMounts(f)
})

// readCgroupMounts keeps the cgroup and cgroup2 lines of a mountinfo table.
func readCgroupMounts(r io.Reader) ([]*mountinfo.Info, error) {
	infos, err := mountinfo.GetMountsFromReader(r, func(i *mountinfo.Info) (skip, stop bool) {
		return i.FSType != "cgroup" && i.FSType != "cgroup2", false
	})
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return infos, nil
}

// hierarchy is where one cgroup hierarchy is mounted: root is the cgroup of
// that hierarchy shown at mountpoint (not "/" inside a container that got a
// bind mount of its own cgroup).
type hierarchy struct {
	mountpoint string
	root       string
}

// v1Hierarchies maps each mounted v1 controller, and named hierarchy such
// as "name=systemd", to its first mount.
func (h *host) v1Hierarchies() (map[string]hierarchy, error) {
	infos, err := h.mounts()
	if err != nil {
		return nil, err
	}
	hier := make(map[string]hierarchy)
	for _, mi := range infos {
		if mi.FSType != "cgroup" {
			continue
		}
		for _, opt := range strings.Split(mi.VFSOptions, ",") {
			if !isV1Controller(opt) {
				continue
			}
			if _, seen := hier[opt]; !seen {
				hier[opt] = hierarchy{mountpoint: mi.Mountpoint, root: mi.Root}
			}
		}
	}
	return hier, nil
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

// v2Hierarchy finds the cgroup2 mount at v2Mount.
func (h *host) v2Hierarchy() (hierarchy, error) {
	infos, err := h.mounts()
	if err != nil {
		return hierarchy{}, err
	}
	mountpoint := h.v2Mount()
	for _, mi := range infos {
		if mi.FSType == "cgroup2" && mi.Mountpoint == mountpoint {
			return hierarchy{mountpoint: mi.Mountpoint, root: mi.Root}, nil
		}
	}
	return hierarchy{}, fmt.Errorf("no cgroup2 filesystem is mounted at %s", mountpoint)
}

// ownCgroups reads the calling process's cgroups (see readProcCgroup).
func (h *host) ownCgroups() (map[string]string, error) {
	return readProcCgroup(h.selfCgroup)
}

// readProcCgroup parses a /proc/<pid>/cgroup file: v1 controller (or
// "name=...") -> path, "" -> the v2 path.
func readProcCgroup(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
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

// holds reports whether dir, a saved path, is a cgroup strictly below the
// hierarchy: a tampered or stale state must not make Destroy or Set act
// outside cgroupfs.
func (h hierarchy) holds(dir string) bool {
	return filepath.IsAbs(dir) && filepath.Clean(dir) == dir && within(h.mountpoint, dir) && dir != h.mountpoint
}
