package libcontainer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/libcontainer/criurpc"
	"github.com/sprout-runtime/sprout/spec"
)

// Files that checkpoint adds to criu's images for restore. descriptors.json
// is runc's name and format (the init's fds 0-2), so images move between
// the two runtimes.
const (
	descriptorsFile = "descriptors.json"
	extMountsFile   = "sprout-external-mounts.json"
	// extNetNsKey names the network namespace joined by path, as runc does.
	extNetNsKey = "extRootNetNS"
)

// CheckpointOptions are checkpoint's inputs besides the shared ones.
type CheckpointOptions struct {
	CriuOptions
	// ParentPath names the images of a pre-dump, relative to ImagePath.
	ParentPath   string
	LeaveRunning bool
	PreDump      bool
	// StatusFd gets a \0 from criu once the lazy-pages server is ready
	// (-1: none).
	StatusFd int
	// PageServer is ADDRESS:PORT of a page server to send the memory to,
	// or, with LazyPages, to serve it on.
	PageServer string
}

// extMount is one mount of the container whose source criu cannot see
// from inside: restore has to name it on the host.
type extMount struct {
	Dest string `json:"dest"`
	// Kind is bind (spec bind mount), null (a masked file) or cgroup.
	Kind string `json:"kind"`
	// For cgroup: the host's hierarchy mount point and the container's
	// cgroup in it when it was dumped.
	Hierarchy string `json:"hierarchy,omitempty"`
	Root      string `json:"root,omitempty"`
}

// nullImageName is the name of the null device's mounts in the images:
// runc's, so that either runtime restores the other's images.
const nullImageName = "/dev/null"

// imageName is what the images call the mount; runc names bind and
// cgroup mounts by their destination too.
func (m extMount) imageName() string {
	if m.Kind == "null" {
		return nullImageName
	}
	return m.Dest
}

// Checkpoint dumps a running container with criu into o.ImagePath. Unless
// it is left running (or only pre-dumped) the container is gone after it,
// as with runc: restore brings it back under the same or another ID.
func (c *Container) Checkpoint(o CheckpointOptions) error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.unlock()
	if st, err := c.check(OpCheckpoint); err != nil {
		// runc's wording, which names the status.
		return fmt.Errorf("container %s cannot be checkpointed in %s state: %w", c.state.ID, st, ErrNotRunning)
	}
	s, err := c.Spec()
	if err != nil {
		return err
	}
	var ps *criurpc.PageServer
	if o.PageServer != "" {
		i := strings.LastIndexByte(o.PageServer, ':')
		port, err := strconv.ParseUint(o.PageServer[i+1:], 10, 16)
		if i <= 0 || err != nil {
			return fmt.Errorf("--page-server %q: want ADDRESS:PORT", o.PageServer)
		}
		ps = &criurpc.PageServer{Address: strings.Trim(o.PageServer[:i], "[]"), Port: int32(port)}
	}
	bin, version, err := findCriu(o.Criu)
	if err != nil {
		return err
	}
	if err := inPrivateMounts(func() error { return c.dump(&o, s, ps, bin, version) }); err != nil {
		return err
	}
	if o.LeaveRunning || o.PreDump {
		return nil
	}
	// criu killed the tree; what is left is a stopped container's.
	if err := c.kill(); err != nil {
		return err
	}
	return c.destroy()
}

// dump runs criu's dump (or pre-dump) of the container.
func (c *Container) dump(o *CheckpointOptions, s *specs.Spec, ps *criurpc.PageServer, bin string, version int) error {
	img, work, err := openDirs(&o.CriuOptions, true)
	if err != nil {
		return err
	}
	defer img.Close()
	defer work.Close()
	log := "dump.log"
	if o.PreDump {
		log = "pre-dump.log"
	}
	opts, err := commonOpts(&o.CriuOptions, img, work, log)
	if err != nil {
		return err
	}
	opts.Pid = int32(c.state.Pid)
	opts.ConfigFile = criuConfigFile(s.Annotations)
	opts.Root = c.state.Rootfs
	opts.LeaveRunning = o.LeaveRunning || o.PreDump
	opts.ParentImg = o.ParentPath
	if o.LazyPages && o.StatusFd >= 0 {
		// criu opens it, like the image directory, among our fds.
		fd := int32(o.StatusFd)
		opts.StatusFd = &fd
	}
	opts.Ps = ps
	// A pre-dump and the dump after it copy only the pages written since.
	opts.TrackMem = o.PreDump || o.ParentPath != ""
	if cg, err := c.cgroup(); err == nil && cg != nil {
		// Frozen through the cgroup, nothing in the container can fork
		// away from criu while it seizes the tree.
		if dir := cg.Paths()["freezer"]; dir != "" {
			opts.FreezeCgroup = dir
		}
	}
	mounts, err := c.externalMounts(s)
	if err != nil {
		return err
	}
	for _, m := range mounts {
		opts.ExtMnt = append(opts.ExtMnt, criurpc.ExtMount{Key: m.Dest, Val: m.imageName()})
	}
	if ns, ok := spec.Namespaces(s)[specs.NetworkNamespace]; ok && ns.Path != "" {
		var st unix.Stat_t
		if err := unix.Stat(ns.Path, &st); err != nil {
			return fmt.Errorf("linux.namespaces: network path %s: %w", ns.Path, err)
		}
		opts.External = append(opts.External, fmt.Sprintf("net[%d]:%s", st.Ino, extNetNsKey))
	}
	if !o.PreDump {
		if err := writeJSONAtomic(o.ImagePath, extMountsFile, mounts); err != nil {
			return fmt.Errorf("--image-path %s: %w", o.ImagePath, err)
		}
		if err := c.saveDescriptors(o.ImagePath); err != nil {
			return err
		}
	}

	if o.PreDump || o.ParentPath != "" || o.LazyPages {
		err := checkCriuFeatures(bin, &criurpc.Features{MemTrack: o.PreDump || o.ParentPath != "", LazyPages: o.LazyPages})
		if err != nil {
			return fmt.Errorf("checkpoint container %s: %w", c.state.ID, err)
		}
	}
	criu, err := startCriu(bin, nil, nil, nil, os.Stderr)
	if err != nil {
		return err
	}
	typ := criurpc.Dump
	if o.PreDump {
		typ = criurpc.PreDump
	}
	_, err = criu.run(typ, opts)
	criu.close()
	if err != nil {
		return criuLogHint(fmt.Errorf("checkpoint container %s: %w", c.state.ID, err), bin, version, o.WorkPath, log)
	}
	return nil
}

// saveDescriptors records what the init's stdio were, so that restore can
// hand its own stdio to criu in their place.
func (c *Container) saveDescriptors(dir string) error {
	fds := make([]string, 3)
	for i := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", c.state.Pid, i))
		if err != nil {
			return fmt.Errorf("container %s: stdio: %w", c.state.ID, err)
		}
		fds[i] = link
	}
	if err := writeJSONAtomic(dir, descriptorsFile, fds); err != nil {
		return fmt.Errorf("--image-path %s: %w", dir, err)
	}
	return nil
}

// externalMounts lists the container's mounts whose source lies outside
// it, from its init's own mount table: the config's bind mounts, the null
// device over masked files, and the binds of its cgroups.
func (c *Container) externalMounts(s *specs.Spec) ([]extMount, error) {
	path := "/proc/" + strconv.Itoa(c.state.Pid) + "/mountinfo"
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", c.state.ID, err)
	}
	defer f.Close()
	binds := map[string]bool{}
	for _, m := range s.Mounts {
		if isBind(m) {
			binds[mountPointIn(c.state.Rootfs, m.Destination)] = true
		}
	}
	masked := map[string]bool{}
	for _, p := range s.Linux.MaskedPaths {
		masked[filepath.Clean("/"+p)] = true
	}
	hierarchies, err := cgroupHierarchies()
	if err != nil {
		return nil, err
	}
	var out []extMount
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint opts [optional...] - fstype source superopts
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, fl := range fields {
			if fl == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		root, dest, fstype := unescapeMountinfo(fields[3]), unescapeMountinfo(fields[4]), fields[sep+1]
		if seen[dest] {
			continue
		}
		switch {
		case binds[dest]:
			out = append(out, extMount{Dest: dest, Kind: "bind"})
		case masked[dest] && fstype == "devtmpfs":
			out = append(out, extMount{Dest: dest, Kind: "null"})
		case (fstype == "cgroup" || fstype == "cgroup2") && root != "/":
			h, ok := hierarchies[filepath.Base(dest)]
			if fstype == "cgroup2" && !ok {
				h, ok = hierarchies[""]
			}
			if !ok {
				return nil, fmt.Errorf("container %s: cgroup mount %s: no such hierarchy on the host", c.state.ID, dest)
			}
			out = append(out, extMount{Dest: dest, Kind: "cgroup", Hierarchy: h, Root: root})
		default:
			continue
		}
		seen[dest] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("container %s: %s: %w", c.state.ID, path, err)
	}
	return out, nil
}

// cgroupHierarchies maps the base name of each host cgroup mount under
// /sys/fs/cgroup to its mount point; "" is the cgroup2 one.
func cgroupHierarchies() (map[string]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i, fl := range fields {
			if fl != "-" || i+1 >= len(fields) || len(fields) < 5 {
				continue
			}
			mp := unescapeMountinfo(fields[4])
			switch fields[i+1] {
			case "cgroup":
				out[filepath.Base(mp)] = mp
			case "cgroup2":
				out[filepath.Base(mp)] = mp
				if _, ok := out[""]; !ok || mp == "/sys/fs/cgroup" {
					out[""] = mp
				}
			}
			break
		}
	}
	return out, sc.Err()
}

// unescapeMountinfo undoes the octal escapes (\040 for a space) of
// /proc/*/mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// loadImageJSON reads one of the files checkpoint added to the images.
func loadImageJSON(dir, name string, v any) error {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("--image-path %s: %w", dir, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("--image-path %s: parse %s: %w", dir, name, err)
	}
	return nil
}
