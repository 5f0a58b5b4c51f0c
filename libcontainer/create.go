package libcontainer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/spec"
)

// CreateOptions are the inputs of Create besides the bundle's config.
type CreateOptions struct {
	ID     string
	Bundle string
	// ConsoleSocket, when set, receives the pty master of a container
	// whose process.terminal is true.
	ConsoleSocket *os.File
	PidFile       string
	NoPivot       bool
	NoNewKeyring  bool
	// PreserveFds passes the caller's fds 3..3+PreserveFds-1 to the
	// container process.
	PreserveFds int
	// Stdin, Stdout and Stderr become the container's stdio (nil: the
	// caller's own).
	Stdin, Stdout, Stderr *os.File
	// SystemdCgroup makes the container's cgroup a systemd scope.
	SystemdCgroup bool
	// Spec is the bundle's config when the caller has read it already;
	// nil: Create reads config.json.
	Spec *specs.Spec
	// Rootless lets the container go without a cgroup it may not create,
	// as long as its config sets no limit (rootless_linux.go).
	Rootless bool
}

// initConfig is what the parent tells the container's init.
type initConfig struct {
	ID     string      `json:"id"`
	Bundle string      `json:"bundle"`
	Rootfs string      `json:"rootfs"`
	Spec   *specs.Spec `json:"-"`
	// SpecJSON carries Spec, encoded by spec.Marshal.
	SpecJSON     json.RawMessage `json:"spec"`
	NoPivot      bool            `json:"noPivot"`
	NoNewKeyring bool            `json:"noNewKeyring"`
	PreserveFds  int             `json:"preserveFds"`
	CgroupMode   cgroups.Mode    `json:"cgroupMode"`
	// ParentHooks tells the init to stop and let the parent run the
	// prestart and createRuntime hooks.
	ParentHooks bool `json:"parentHooks"`
	// BindSources are the mounts whose sources the parent opened; their
	// fds follow the config on the sync socket, in this order.
	BindSources []int `json:"bindSources,omitempty"`
	// Debug makes the init send its steps to the parent's log.
	Debug bool `json:"debug,omitempty"`
}

// Create sets a container up from the bundle and leaves its init waiting
// for Start. On any error nothing of the container is left behind.
func Create(root string, opts CreateOptions) (*Container, error) {
	return create(root, opts, (*parent).start)
}

// create makes the state directory and runs start, which brings up the
// container's processes (a new init, or restore's criu), under its lock.
func create(root string, opts CreateOptions, start func(*parent) error) (c *Container, err error) {
	bundle, s, rootfs, err := loadCreateSpec(opts)
	if err != nil {
		return nil, err
	}
	dir, lf, err := makeStateDir(root, opts.ID)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	c = &Container{root: root, dir: dir, state: &State{
		ID: opts.ID, Bundle: bundle, Rootfs: rootfs, Created: time.Now().UTC(),
		Annotations: s.Annotations, Hooks: s.Hooks,
	}, spec: s}
	cg, specJSON, err := c.writeFirstState(s, opts.SystemdCgroup)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := &parent{c: c, opts: &opts, spec: s, specJSON: specJSON, cg: cg}
	made := c
	defer func() {
		if err != nil {
			p.abort()
			removeStateDir(dir)
			// The lifecycle goes on to the poststop hooks even when
			// creation fails; they can only warn.
			if s.Hooks != nil {
				st := made.OCIState()
				st.Status = specs.StateStopped
				for _, w := range runHooks(s.Hooks.Poststop, "poststop", st, false) {
					warn("%s", w)
				}
			}
			c = nil
		}
	}()
	if err := start(p); err != nil {
		return nil, err
	}
	if opts.PidFile != "" {
		if err := WritePidFile(opts.PidFile, c.state.Pid); err != nil {
			return nil, err
		}
	}
	// Complete: start may release it from now on (see Status). A restored
	// container runs already and has no start socket.
	if err := os.Rename(filepath.Join(dir, pendingStartSock), filepath.Join(dir, startSock)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("start socket: %w", err)
	}
	return c, nil
}

// loadCreateSpec reads and validates the config create is given, or the
// bundle's, before anything exists.
func loadCreateSpec(opts CreateOptions) (bundle string, s *specs.Spec, rootfs string, err error) {
	if err := ValidateID(opts.ID); err != nil {
		return "", nil, "", err
	}
	bundle, err = filepath.Abs(opts.Bundle)
	if err != nil {
		return "", nil, "", fmt.Errorf("bundle %s: %w", opts.Bundle, err)
	}
	s = opts.Spec
	if s == nil {
		if s, err = spec.Load(bundle); err != nil {
			return "", nil, "", err
		}
	}
	if err := validateSpec(s); err != nil {
		return "", nil, "", err
	}
	rootfs, err = spec.RootfsPath(bundle, s.Root.Path)
	if err != nil {
		return "", nil, "", err
	}
	debugf("container %s: config of bundle %s loaded and valid", opts.ID, bundle)
	if s.Process.Terminal && opts.ConsoleSocket == nil {
		return "", nil, "", errors.New("process.terminal is true but no console socket was given")
	}
	return bundle, s, rootfs, nil
}

// makeStateDir makes the container's state directory and returns it
// locked: the lock is held from the first state write on, so that no other
// command sees a half-made container.
func makeStateDir(root, id string) (string, *os.File, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", nil, fmt.Errorf("state root %s: %w", root, err)
	}
	dir := filepath.Join(root, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", nil, fmt.Errorf("container %s already exists", id)
		}
		return "", nil, fmt.Errorf("state directory %s: %w", dir, err)
	}
	lf, err := os.Open(dir)
	if err != nil {
		os.Remove(dir)
		return "", nil, err
	}
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX); err != nil {
		lf.Close()
		os.Remove(dir)
		return "", nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return dir, lf, nil
}

// writeFirstState stores the config and the first state, which names the
// cgroup directories that are about to be made: a create killed from here
// on leaves what delete --force needs. A systemd scope is systemd's to make
// and remove, and has no manager yet.
func (c *Container) writeFirstState(s *specs.Spec, systemdCgroup bool) (cgroups.Manager, []byte, error) {
	var cg cgroups.Manager
	c.state.CgroupOwned = []string{}
	if !systemdCgroup {
		var err error
		if cg, err = cgroups.New(s.Linux.CgroupsPath, c.state.ID); err != nil {
			return nil, nil, fmt.Errorf("linux.cgroupsPath: %w", err)
		}
		c.state.CgroupPaths = cg.Paths()
		c.state.CgroupOwned = missingDirs(c.state.CgroupPaths)
	}
	specJSON, err := writeConfig(c.dir, s)
	if err != nil {
		return nil, nil, fmt.Errorf("write config: %w", err)
	}
	if err := writeJSONAtomic(c.dir, stateFile, c.state); err != nil {
		return nil, nil, fmt.Errorf("write state: %w", err)
	}
	return cg, specJSON, nil
}

// parent drives one container init from the runtime's side.
type parent struct {
	c     *Container
	opts  *CreateOptions
	spec  *specs.Spec
	cg    cgroups.Manager
	stage *stage
	sync  *os.File
	pid   int

	// specJSON is spec as config.json holds it, nil until written.
	specJSON []byte
}

func (p *parent) start() error {
	s := p.spec
	listener, err := listenStart(p.c.dir)
	if err != nil {
		return err
	}
	defer listener.Close()
	cmd, sync, cfgW, _, err := spawnInit(spawnOpts{
		preserveFds: p.opts.PreserveFds, start: listener, console: p.opts.ConsoleSocket,
		stdin: p.opts.Stdin, stdout: p.opts.Stdout, stderr: p.opts.Stderr,
	})
	if err != nil {
		return err
	}
	defer cfgW.Close()
	listener.Close()
	p.stage, p.sync = cmd, sync

	// The stage execs and starts up while the cgroups are made: it waits
	// for the bootstrap, which names them. The cgroup exists before any
	// process is in it; the stage joins it itself (see nsexec.c).
	makeCgroup := p.makeCgroup
	if p.opts.SystemdCgroup {
		makeCgroup = p.makeScope
	}
	cg, err := makeCgroup()
	if err != nil {
		return err
	}
	p.cg = cg
	if cg != nil {
		p.c.state.CgroupPaths = cg.Paths()
	} else {
		// Rootless without a cgroup: nothing was made.
		p.c.state.CgroupPaths, p.c.state.CgroupOwned = nil, []string{}
	}
	debugf("container %s: cgroups %v", p.c.state.ID, p.c.state.CgroupPaths)
	debugf("container %s: namespaces %s", p.c.state.ID, describeNamespaces(s.Linux.Namespaces))
	if err := sendSync(p.sync, syncBootstrap, buildBootstrap(s.Linux.Namespaces, s.Linux.TimeOffsets, p.c.state.CgroupPaths, -1)); err != nil {
		return fmt.Errorf("container init: %w", err)
	}
	if err := p.waitPid(); err != nil {
		return err
	}
	if err := p.c.recordNamespaces(p.pid, s.Linux.Namespaces); err != nil {
		return err
	}
	// The init's network namespace exists and it runs nothing of the
	// bundle's yet: the devices are there before any hook or process.
	if err := moveNetDevices(p.pid, s.Linux.NetDevices); err != nil {
		return err
	}
	bindSources := bindSourceIndexes(s)
	sources, err := openBindSources(p.pid, s, p.c.state.Bundle, bindSources)
	if err != nil {
		return err
	}
	defer closeAll(sources)

	cfg := initConfig{
		ID: p.c.state.ID, Bundle: p.c.state.Bundle, Rootfs: p.c.state.Rootfs, Spec: s, SpecJSON: p.specJSON,
		NoPivot: p.opts.NoPivot, NoNewKeyring: p.opts.NoNewKeyring, PreserveFds: p.opts.PreserveFds,
		CgroupMode: cgroups.DetectMode(),
		//lint:ignore SA1019 prestart is deprecated but still in the spec, and runc runs it
		ParentHooks: s.Hooks != nil && (len(s.Hooks.Prestart) > 0 || len(s.Hooks.CreateRuntime) > 0),
		BindSources: bindSources,
		Debug:       Debug != nil,
	}
	if err := sendInitConfig(cfgW, &cfg); err != nil {
		return fmt.Errorf("send config to init: %w", err)
	}
	cfgW.Close()
	if err := sendFds(p.sync, sources); err != nil {
		return fmt.Errorf("send bind sources to init: %w", err)
	}
	// Written while the init sets up; the lock keeps other commands out
	// until create is done.
	if err := writeJSONAtomic(p.c.dir, stateFile, p.c.state); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := p.waitReady(cfg.ParentHooks); err != nil {
		return err
	}
	// The limits apply once the init, runtime code, is set up and before
	// anything of the container's runs, as in runc: a pids.limit of 1 must
	// not starve the init of threads.
	// Even without linux.resources: the device rules always apply.
	if p.cg != nil {
		if err := p.cg.Set(p.resources()); err != nil {
			return fmt.Errorf("linux.resources: %w", err)
		}
	}
	return nil
}

// sendInitConfig encodes cfg.Spec into cfg.SpecJSON unless the caller has
// it encoded already.
func sendInitConfig(w io.Writer, cfg *initConfig) error {
	if cfg.SpecJSON == nil {
		data, err := spec.Marshal(cfg.Spec)
		if err != nil {
			return err
		}
		cfg.SpecJSON = data
	}
	return json.NewEncoder(w).Encode(cfg)
}

func orStd(f, std *os.File) *os.File {
	if f != nil {
		return f
	}
	return std
}

// waitPid serves the pre-Go stage of the init until it reports the PID of
// the container's init, then reaps that stage.
func (p *parent) waitPid() error {
	for {
		m, err := recvSync(int(p.sync.Fd()))
		if err != nil {
			p.stage.Wait()
			if errors.Is(err, io.EOF) {
				return errors.New("container init exited while entering its namespaces")
			}
			return fmt.Errorf("container init: %w", err)
		}
		closeFds(m.fds)
		switch m.typ {
		case syncUsermap:
			if err := p.writeIDMaps(p.stage.pid); err != nil {
				return err
			}
			if err := sendSync(p.sync, syncAck, nil); err != nil {
				return fmt.Errorf("container init: %w", err)
			}
		case syncPid:
			if len(m.data) != 4 {
				return fmt.Errorf("container init: pid message of %d bytes", len(m.data))
			}
			return p.gotPid(int(binary.NativeEndian.Uint32(m.data)))
		case syncError:
			// From the stage, or from the init before its Go part
			// started.
			p.stage.Wait()
			return errors.New(string(m.data))
		default:
			return fmt.Errorf("container init: unexpected %s", m.typ)
		}
	}
}

// gotPid records the init's PID, reaps the stage that cloned it, and
// applies what is written from the host before the init runs anything of
// the bundle's.
func (p *parent) gotPid(pid int) error {
	// Recording the PID now lets abort kill the init if the stage fails
	// to exit cleanly.
	p.pid = pid
	if err := p.stage.Wait(); err != nil {
		return fmt.Errorf("container init stage: %w", err)
	}
	start, _, err := processStartTime(pid)
	if err != nil {
		return fmt.Errorf("container init %d: %w", pid, err)
	}
	p.c.state.Pid, p.c.state.PidStart = pid, start
	debugf("container %s: init is pid %d, in its namespaces", p.c.state.ID, pid)
	// Written from here through the host's procfs: the init is waiting
	// for its config and has run nothing of the bundle's.
	if adj := p.spec.Process.OOMScoreAdj; adj != nil {
		if err := writeProc(fmt.Sprintf("/proc/%d/oom_score_adj", pid), strconv.Itoa(*adj)); err != nil {
			return fmt.Errorf("process.oomScoreAdj: %w", err)
		}
	}
	return nil
}

// waitReady serves the Go part of the init until it is set up and waiting
// for Start.
func (p *parent) waitReady(hooks bool) error {
	for {
		m, err := recvSync(int(p.sync.Fd()))
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("container init exited during set-up%s", p.reapInit())
		}
		if err != nil {
			return fmt.Errorf("read from init: %w", err)
		}
		closeFds(m.fds)
		switch m.typ {
		case syncHooks:
			if !hooks {
				return errors.New("init asked for hooks that are not configured")
			}
			if err := p.runParentHooks(); err != nil {
				if serr := sendSync(p.sync, syncError, []byte(err.Error())); serr != nil {
					return fmt.Errorf("%w (telling the init: %v)", err, serr)
				}
				return err
			}
			if err := sendSync(p.sync, syncAck, nil); err != nil {
				return fmt.Errorf("container init: %w", err)
			}
		case syncLog:
			debugf("container %s: init: %s", p.c.state.ID, m.data)
		case syncReady:
			debugf("container %s: init set up, waiting for start", p.c.state.ID)
			p.sync.Close()
			return nil
		case syncError:
			return errors.New(string(m.data))
		default:
			return fmt.Errorf("container init: unexpected %s", m.typ)
		}
	}
}

// runParentHooks runs the hooks that run in the runtime's namespaces while
// the init waits.
func (p *parent) runParentHooks() error {
	// The runtime environment exists by now: runtime.md says these hooks
	// see "created".
	st := p.c.OCIState()
	st.Status = specs.StateCreated
	st.Pid = p.pid
	//lint:ignore SA1019 prestart is deprecated but still in the spec, and runc runs it
	if err := runHooksStrict(p.spec.Hooks.Prestart, "prestart", st); err != nil {
		return err
	}
	return runHooksStrict(p.spec.Hooks.CreateRuntime, "createRuntime", st)
}

// reapInit tells how an init that closed its sync socket during set-up
// ended, reaping it (it is this process's child): ": exit status 1" and the
// like, or nothing if that cannot be known.
func (p *parent) reapInit() string {
	if p.pid <= 0 {
		return ""
	}
	ws, err := WaitPid(p.pid)
	if err != nil {
		return ""
	}
	// Reaped: the PID may be reused, and abort must not kill it.
	p.pid = 0
	if how := exitText(ws); how != "" {
		return ": " + how
	}
	return ""
}

// abort undoes a failed create or exec: the init and its stage die, and
// the cgroup goes if this parent made it.
func (p *parent) abort() {
	if p.sync != nil {
		p.sync.Close()
	}
	if p.stage != nil {
		p.stage.kill()
	}
	if p.pid > 0 {
		unix.Kill(p.pid, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(p.pid, &ws, 0, nil)
	}
	if p.cg != nil {
		p.c.removeCgroups()
	}
}

// listenStart makes the socket that Start connects to. Going through
// /proc/self/fd keeps the address short whatever the length of the root.
func listenStart(dir string) (*os.File, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("start socket: %w", err)
	}
	addr := &unix.SockaddrUnix{Name: fmt.Sprintf("/proc/self/fd/%d/%s", d.Fd(), pendingStartSock)}
	if err := unix.Bind(fd, addr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("start socket in %s: %w", dir, err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("start socket in %s: %w", dir, err)
	}
	return os.NewFile(uintptr(fd), "start"), nil
}
