package libcontainer

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/libcontainer/criurpc"
	"github.com/sprout-runtime/sprout/spec"
)

// lazyPagesSocket is where `criu lazy-pages` listens, in its work directory.
const lazyPagesSocket = "lazy-pages.socket"

// RestoreOptions are restore's inputs: a container made from the bundle as
// create makes it, whose processes come from criu's images.
type RestoreOptions struct {
	CreateOptions
	CriuOptions
}

// Restore brings a checkpointed container back under opts.ID from the
// bundle's config and the images in opts.ImagePath. The state directory,
// cgroups, hooks and clean-up on failure are create's; criu takes the
// place of the init. The container is running when it returns.
func Restore(root string, opts RestoreOptions) (*Container, error) {
	if opts.ImagePath == "" {
		return nil, fmt.Errorf("--image-path: no image directory given")
	}
	if _, err := os.Stat(filepath.Join(opts.ImagePath, descriptorsFile)); err != nil {
		return nil, fmt.Errorf("--image-path %s: not a checkpoint of a container: %w", opts.ImagePath, err)
	}
	if opts.LazyPages {
		// criu's restore asks the lazy-pages daemon for the memory through
		// this socket in its work directory; runc needs the daemon too.
		work := opts.WorkPath
		if work == "" {
			work = opts.ImagePath
		}
		sock := filepath.Join(work, lazyPagesSocket)
		if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("--lazy-pages: no criu lazy-pages daemon serves these images: %s is not its socket (start `criu lazy-pages --page-server --address ADDRESS --port PORT -D %s` first)", sock, work)
		}
	}
	return create(root, opts.CreateOptions, func(p *parent) error { return p.restore(&opts.CriuOptions) })
}

func (p *parent) restore(o *CriuOptions) error {
	return inPrivateMounts(func() error { return p.restoreWithCriu(o) })
}

// restoreWithCriu runs criu's restore, in a mount namespace of its own
// (see inPrivateMounts).
func (p *parent) restoreWithCriu(o *CriuOptions) error {
	s := p.spec
	bin, version, err := findCriu(o.Criu)
	if err != nil {
		return err
	}
	img, work, err := openDirs(o, false)
	if err != nil {
		return err
	}
	defer img.Close()
	defer work.Close()
	var stdio []string
	if err := loadImageJSON(o.ImagePath, descriptorsFile, &stdio); err != nil {
		return err
	}
	var mounts []extMount
	if _, err := os.Stat(filepath.Join(o.ImagePath, extMountsFile)); errors.Is(err, os.ErrNotExist) {
		// A checkpoint runc made: its external mounts follow from the config.
		if mounts, err = configExternalMounts(s); err != nil {
			return err
		}
	} else if err := loadImageJSON(o.ImagePath, extMountsFile, &mounts); err != nil {
		return err
	}
	opts, err := commonOpts(o, img, work, "restore.log")
	if err != nil {
		return err
	}
	opts.RstSibling = true
	opts.ConfigFile = criuConfigFile(s.Annotations)
	// Under a host whose mounts are shared (systemd's), the masked files'
	// binds of /dev/null are slaves; criu's newer mount engine (3.17 on)
	// then tries to make the restored ones slaves of the /dev/null given
	// as their source, which the kernel refuses as /dev/null is no mount
	// root ("mnt-v2: Failed to copy sharing from -1:/dev/null": EINVAL).
	// The older engine binds the source as it is. criu before 3.17 knows
	// only that engine and ignores the field.
	opts.MntnsCompatMode = true

	cg, err := cgroups.New(s.Linux.CgroupsPath, p.c.state.ID)
	if err != nil {
		return fmt.Errorf("linux.cgroupsPath: %w", err)
	}
	if err := cg.Apply(-1); err != nil {
		return fmt.Errorf("linux.cgroupsPath: %w", err)
	}
	p.cg = cg
	p.c.state.CgroupPaths = cg.Paths()
	if s.Linux.Resources != nil {
		if err := cg.Set(withDefaultDevices(s)); err != nil {
			return fmt.Errorf("linux.resources: %w", err)
		}
	}
	named := map[string]bool{}
	for _, m := range mounts {
		if named[m.imageName()] {
			continue
		}
		named[m.imageName()] = true
		src, err := p.mountSource(m)
		if err != nil {
			return err
		}
		opts.ExtMnt = append(opts.ExtMnt, criurpc.ExtMount{Key: m.imageName(), Val: src})
	}

	// criu's fds: 0-2 the new stdio, 3 its socket, then the extra files.
	var extra []*os.File
	defer func() {
		for _, f := range extra {
			f.Close()
		}
	}()
	for i, d := range stdio {
		if strings.HasPrefix(d, "pipe:") {
			opts.InheritFd = append(opts.InheritFd, criurpc.InheritFd{Key: d, Fd: int32(i)})
		}
	}
	if ns, ok := spec.Namespaces(s)[specs.NetworkNamespace]; ok && ns.Path != "" {
		f, err := os.Open(ns.Path)
		if err != nil {
			return fmt.Errorf("linux.namespaces: network path %s: %w", ns.Path, err)
		}
		extra = append(extra, f)
		opts.InheritFd = append(opts.InheritFd, criurpc.InheritFd{Key: extNetNsKey, Fd: int32(3 + len(extra))})
	}

	// criu wants the root as a mount point of its own.
	criuRoot := filepath.Join(p.c.dir, "criu-root")
	if err := os.Mkdir(criuRoot, 0o700); err != nil {
		return fmt.Errorf("restore root: %w", err)
	}
	defer os.Remove(criuRoot)
	if err := unix.Mount(p.c.state.Rootfs, criuRoot, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("restore root: bind %s: %w", p.c.state.Rootfs, err)
	}
	defer unix.Unmount(criuRoot, unix.MNT_DETACH)
	opts.Root = criuRoot
	if err := makeRestoreMountpoints(p.c.state.Rootfs, p.c.state.Bundle, s.Mounts); err != nil {
		return err
	}

	criu, err := startCriu(bin, extra, orStd(p.opts.Stdin, os.Stdin), orStd(p.opts.Stdout, os.Stdout), orStd(p.opts.Stderr, os.Stderr))
	if err != nil {
		return err
	}
	// Put in the container's cgroups, criu restores the tree into them: its
	// own cgroups become the root of the dumped ones.
	if err := cg.Apply(criu.pid()); err != nil {
		criu.close()
		return fmt.Errorf("linux.cgroupsPath: move criu in: %w", err)
	}
	roots, err := criuCgroupRoots(criu.pid())
	if err != nil {
		criu.close()
		return err
	}
	opts.CgRoot = roots
	stopWatch := func() {}
	criu.onNotify = func(script string, pid int32, fd *os.File) error {
		if err := p.restoreNotify(script, pid, fd); err != nil {
			return err
		}
		if script == "post-restore" {
			stopWatch = criu.watchRestored(int(pid))
		}
		return nil
	}
	_, err = criu.run(criurpc.Restore, opts)
	stopWatch()
	if cerr := criu.close(); err == nil && cerr != nil && p.pid == 0 {
		err = fmt.Errorf("criu: %w", cerr)
	}
	if err != nil {
		return criuLogHint(fmt.Errorf("restore container %s: %w", p.c.state.ID, err), bin, version, o.WorkPath, "restore.log")
	}
	if p.pid == 0 {
		return fmt.Errorf("restore container %s: criu did not report the restored init", p.c.state.ID)
	}
	return writeJSONAtomic(p.c.dir, stateFile, p.c.state)
}

// restoreNotify runs what create runs around an init at the same points of
// criu's restore: the prestart and createRuntime hooks once the namespaces
// exist (as runc does), the state once the init is back.
func (p *parent) restoreNotify(script string, pid int32, fd *os.File) error {
	switch script {
	case "setup-namespaces":
		h := p.spec.Hooks
		if h == nil {
			return nil
		}
		st := p.c.OCIState()
		st.Status = specs.StateCreated
		st.Pid = int(pid)
		return onHostThread(func() error {
			//lint:ignore SA1019 prestart is deprecated but still in the spec, and runc runs it
			if err := runHooksStrict(h.Prestart, "prestart", st); err != nil {
				return err
			}
			return runHooksStrict(h.CreateRuntime, "createRuntime", st)
		})
	case "post-restore":
		start, _, err := processStartTime(int(pid))
		if err != nil {
			return fmt.Errorf("restored init %d: %w", pid, err)
		}
		p.pid = int(pid)
		p.c.state.Pid, p.c.state.PidStart = int(pid), start
		return writeJSONAtomic(p.c.dir, stateFile, p.c.state)
	case "orphan-pts-master":
		if p.opts.ConsoleSocket == nil {
			return nil
		}
		rights := unix.UnixRights(int(fd.Fd()))
		if err := unix.Sendmsg(int(p.opts.ConsoleSocket.Fd()), []byte("/dev/ptmx"), rights, nil, 0); err != nil {
			return fmt.Errorf("--console-socket: send the pty master: %w", err)
		}
	}
	return nil
}

// mountSource names on the host what an external mount of the checkpoint
// is bound from now.
func (p *parent) mountSource(m extMount) (string, error) {
	switch m.Kind {
	case "null":
		return "/dev/null", nil
	case "bind":
		for i, sm := range p.spec.Mounts {
			if mountPointIn(p.c.state.Rootfs, sm.Destination) != m.Dest {
				continue
			}
			src := sm.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(p.c.state.Bundle, src)
			}
			if _, err := os.Stat(src); err != nil {
				return "", fmt.Errorf("mounts[%d].source: %w", i, err)
			}
			return src, nil
		}
		return "", fmt.Errorf("checkpoint has a bind mount on %s, the config has none", m.Dest)
	case "cgroup":
		// The container's cgroup in that hierarchy, which may have moved.
		for _, dir := range p.c.state.CgroupPaths {
			if strings.HasPrefix(dir, m.Hierarchy+"/") {
				return dir, nil
			}
		}
		return filepath.Join(m.Hierarchy, m.Root), nil
	}
	return "", fmt.Errorf("checkpoint: unknown kind %q of external mount %s", m.Kind, m.Dest)
}

// configExternalMounts names the external mounts of a checkpoint runc
// made, which records none: runc names the config's bind mounts and the
// cgroup hierarchies under a cgroup mount by their destination, and every
// masked file by the null device. criu binds only those its images use.
func configExternalMounts(s *specs.Spec) ([]extMount, error) {
	out := []extMount{{Dest: nullImageName, Kind: "null"}}
	_, cgroupns := spec.Namespaces(s)[specs.CgroupNamespace]
	for _, m := range s.Mounts {
		dest := filepath.Clean("/" + m.Destination)
		switch {
		case isBind(m):
			out = append(out, extMount{Dest: dest, Kind: "bind"})
		case m.Type == "cgroup" && !cgroupns:
			hierarchies, err := cgroupHierarchies()
			if err != nil {
				return nil, err
			}
			for base, h := range hierarchies {
				if base != "" {
					out = append(out, extMount{Dest: filepath.Join(dest, base), Kind: "cgroup", Hierarchy: h})
				}
			}
		}
	}
	return out, nil
}

// criuCgroupRoots maps the container's dumped cgroups, hierarchy by
// hierarchy, to the cgroups criu is in: the container's new ones, or where
// restore runs in a hierarchy sprout makes no cgroup in (nothing new is
// created there). criu names a v1 hierarchy by its controllers; its cgroup
// v2 one only matches the root given for all.
func criuCgroupRoots(pid int) ([]criurpc.CgroupRoot, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return nil, fmt.Errorf("criu's cgroups: %w", err)
	}
	defer f.Close()
	var out []criurpc.CgroupRoot
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 {
			out = append(out, criurpc.CgroupRoot{Ctrl: parts[1], Path: parts[2]})
		}
	}
	return out, sc.Err()
}
