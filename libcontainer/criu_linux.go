package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/libcontainer/criurpc"
)

// minCriuVersion is the oldest criu whose RPC has everything checkpoint
// and restore send (orphan_pts_master, external namespaces): runc's floor.
const minCriuVersion = 30000

// CriuOptions are what checkpoint and restore share.
type CriuOptions struct {
	// Criu names the criu binary ("criu": looked up in $PATH).
	Criu string
	// ImagePath holds the images; WorkPath the logs (default: ImagePath).
	ImagePath, WorkPath string
	TCPEstablished      bool
	ExtUnixSk           bool
	ShellJob            bool
	FileLocks           bool
	AutoDedup           bool
	LazyPages           bool
	// ManageCgroupsMode is soft, full, strict or ignore; empty: criu's
	// default (soft).
	ManageCgroupsMode string
	// EmptyNs lists namespace types ("network") that criu creates empty
	// instead of restoring them.
	EmptyNs []string
}

// criuSwrk is one criu process in service-worker mode, driven over a
// seqpacket socket with the messages of its RPC (package criurpc). It is
// started here, as runc does, because restore has to hand criu fds to
// inherit (the new stdio, external namespaces) and put it in the
// container's cgroups before it restores anything.
type criuSwrk struct {
	cmd  *exec.Cmd
	sock *os.File
	// fd is one that came with criu's last message.
	fd *os.File
	// onNotify answers criu's notifications ("setup-namespaces",
	// "post-restore", ...); fd is the one sent with "orphan-pts-master".
	onNotify func(script string, pid int32, fd *os.File) error
	// ended is set when watchRestored had to kill criu.
	ended atomic.Bool
}

// inPrivateMounts runs fn on a thread of its own in a private copy of the
// mount namespace, where fn opens the image and work directories and
// starts criu: what criu mounts there (its "cgroup yard" of every host
// hierarchy in the work directory, the restore root) goes with the
// namespace when criu and the thread are gone, however they end. Left in
// the host's namespace by a killed criu, a yard would turn a recursive
// removal of the work directory into rmdir of the host's empty cgroups.
func inPrivateMounts(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread exits with the goroutine, and no other
		// goroutine runs in its namespace.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			errc <- fmt.Errorf("private mount namespace for criu: %w", err)
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			errc <- fmt.Errorf("private mount namespace for criu: %w", err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// onHostThread runs fn on another thread, in the host's mount namespace:
// hooks run from criu's notifications see what they would see after create.
func onHostThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- fn() }()
	return <-errc
}

// findCriu resolves the criu binary and checks its version. A criu that
// is missing or older than minCriuVersion gives one error that says what is
// needed.
func findCriu(path string) (bin string, version int, err error) {
	if path == "" {
		path = "criu"
	}
	bin, err = exec.LookPath(path)
	if err != nil {
		return "", 0, fmt.Errorf("criu %q not found: checkpoint and restore need criu %s or newer (install it, or name it with --criu): %w", path, criuVersionString(minCriuVersion), err)
	}
	// A worker answers one request (and its notifications), then exits.
	s, err := startCriu(bin, nil, nil, nil, os.Stderr)
	if err != nil {
		return "", 0, err
	}
	v, err := s.version()
	s.close()
	if err != nil {
		return "", 0, fmt.Errorf("%s: ask its version: %w", bin, err)
	}
	if v < minCriuVersion {
		return "", 0, fmt.Errorf("%s is criu %s: checkpoint and restore need criu %s or newer", bin, criuVersionString(v), criuVersionString(minCriuVersion))
	}
	return bin, v, nil
}

// startCriu starts criu swrk with the given stdio (nil: /dev/null); extra
// become its fds 4, 5, ... (fd 3 is the RPC socket).
func startCriu(bin string, extra []*os.File, stdin, stdout, stderr *os.File) (*criuSwrk, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("criu socket: %w", err)
	}
	local, remote := os.NewFile(uintptr(fds[0]), "criu"), os.NewFile(uintptr(fds[1]), "criu-remote")
	defer remote.Close()
	cmd := &exec.Cmd{
		Path: bin, Args: []string{bin, "swrk", "3"},
		ExtraFiles: append([]*os.File{remote}, extra...),
	}
	// Typed nils would reach exec.Cmd as non-nil interfaces.
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		local.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	return &criuSwrk{cmd: cmd, sock: local}, nil
}

// restoredExitGrace is how long criu may go on without answering once the
// restored init is exiting.
const restoredExitGrace = 2 * time.Second

// watchRestored ends criu if the restored init (pid, reported by
// post-restore) exits while criu has not answered yet. criu kills the
// tree when its restore fails after that point (a lazy-pages daemon gone
// before criu could tell it the restore had finished), then waits for the
// init, which waits for its children, zombies that criu itself still
// traces: neither moves again. runc hangs there too. Once criu is gone
// its answer reads as EOF, and the caller fails the restore. stop ends
// the watch.
func (s *criuSwrk) watchRestored(pid int) (stop func()) {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		var since time.Time
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				st, err := readProcStat(pid)
				if err == nil && st.state != 'Z' && st.flags&pfExiting == 0 {
					continue
				}
				if since.IsZero() {
					since = now
				} else if now.Sub(since) >= restoredExitGrace {
					s.ended.Store(true)
					s.cmd.Process.Kill()
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

func criuVersionString(v int) string {
	return fmt.Sprintf("%d.%d.%d", v/10000, v/100%100, v%100)
}

func (s *criuSwrk) pid() int { return s.cmd.Process.Pid }

// close ends the worker: criu exits once its socket closes.
func (s *criuSwrk) close() error {
	s.sock.Close()
	return s.cmd.Wait()
}

func (s *criuSwrk) version() (int, error) {
	resp, err := s.call(&criurpc.Req{Type: criurpc.Version})
	if err != nil {
		return 0, err
	}
	if resp.Version == 0 {
		return 0, errors.New("no version in the answer")
	}
	return resp.Version, nil
}

// checkCriuFeatures asks criu whether it and the kernel support what a
// request relies on.
func checkCriuFeatures(bin string, want *criurpc.Features) error {
	s, err := startCriu(bin, nil, nil, nil, os.Stderr)
	if err != nil {
		return err
	}
	resp, err := s.call(&criurpc.Req{Type: criurpc.FeatureCheck, Features: want})
	s.close()
	if err != nil {
		return err
	}
	got := resp.Features
	if got == nil {
		got = &criurpc.Features{}
	}
	var missing []string
	if want.MemTrack && !got.MemTrack {
		missing = append(missing, "memory tracking (soft-dirty pages, needed by --pre-dump and --parent-path)")
	}
	if want.LazyPages && !got.LazyPages {
		missing = append(missing, "lazy pages (userfaultfd, needed by --lazy-pages)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("criu or this kernel lacks %s", strings.Join(missing, " and "))
	}
	return nil
}

// run sends a dump, pre-dump or restore request and serves criu's
// notifications until it answers.
func (s *criuSwrk) run(typ criurpc.ReqType, opts *criurpc.Opts) (*criurpc.Resp, error) {
	req := &criurpc.Req{Type: typ, Opts: opts}
	for {
		resp, err := s.call(req)
		if err != nil {
			return nil, err
		}
		if resp.Type != criurpc.Notify {
			if resp.Type != typ {
				return nil, fmt.Errorf("criu answered %s to %s", resp.Type, typ)
			}
			return resp, nil
		}
		fd := s.fd
		s.fd = nil
		if resp.NotifyScript == "orphan-pts-master" && fd == nil {
			return nil, errors.New("criu orphan-pts-master: no fd sent")
		}
		if s.onNotify != nil {
			err = s.onNotify(resp.NotifyScript, resp.NotifyPid, fd)
		}
		if fd != nil {
			fd.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("criu %s: %w", resp.NotifyScript, err)
		}
		req = &criurpc.Req{Type: criurpc.Notify, NotifySuccess: true}
	}
}

func (s *criuSwrk) call(req *criurpc.Req) (*criurpc.Resp, error) {
	if _, err := s.sock.Write(req.Marshal()); err != nil {
		return nil, fmt.Errorf("send to criu: %w", err)
	}
	// A notification may come with an fd (orphan-pts-master's pty master).
	buf, oob := make([]byte, 64<<10), make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(s.sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("read from criu: %w", err)
	}
	if oobn > 0 {
		if s.fd, err = parseFd(oob[:oobn]); err != nil {
			return nil, fmt.Errorf("read from criu: %w", err)
		}
	}
	if n == 0 {
		if s.ended.Load() {
			return nil, fmt.Errorf("criu had not answered %v after the restored init began to exit, and was ended", restoredExitGrace)
		}
		return nil, errors.New("criu exited without an answer")
	}
	resp, err := criurpc.Unmarshal(buf[:n])
	if err != nil {
		return nil, fmt.Errorf("decode criu's answer: %w", err)
	}
	if !resp.Success {
		msg := resp.CrErrmsg
		if msg == "" {
			msg = "no message"
		}
		return resp, fmt.Errorf("criu failed: %s (errno %d)", strings.TrimSpace(msg), resp.CrErrno)
	}
	return resp, nil
}

func parseFd(oob []byte) (*os.File, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) == 0 {
		return nil, errors.New("bad control message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) == 0 {
		return nil, errors.New("bad control message")
	}
	for _, fd := range fds[1:] {
		unix.Close(fd)
	}
	return os.NewFile(uintptr(fds[0]), "pts-master"), nil
}

// criuLogHint names the criu that failed (a criu older than the kernel
// fails in ways that only its version explains), the first error it logged
// about the container (its answer carries the first of all, often a
// harmless rlimit one), and where its log is.
func criuLogHint(err error, bin string, version int, workDir, log string) error {
	err = fmt.Errorf("%w [%s, criu %s]", err, bin, criuVersionString(version))
	path := filepath.Join(workDir, log)
	data, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.Index(line, "Error ("); i >= 0 && !strings.Contains(line, "RLIMIT_NOFILE") {
			return fmt.Errorf("%w; criu logged: %s (criu's log: %s)", err, line[i:], path)
		}
	}
	return fmt.Errorf("%w (criu's log: %s)", err, path)
}

// openDirs opens the image and work directories whose fds criu takes.
func openDirs(o *CriuOptions, makeImage bool) (img, work *os.File, err error) {
	if o.ImagePath == "" {
		return nil, nil, errors.New("--image-path: no image directory given")
	}
	if makeImage {
		if err := os.MkdirAll(o.ImagePath, 0o700); err != nil {
			return nil, nil, fmt.Errorf("--image-path %s: %w", o.ImagePath, err)
		}
	}
	if img, err = os.Open(o.ImagePath); err != nil {
		return nil, nil, fmt.Errorf("--image-path %s: %w", o.ImagePath, err)
	}
	if o.WorkPath == "" {
		o.WorkPath = o.ImagePath
	}
	if err := os.MkdirAll(o.WorkPath, 0o700); err != nil {
		img.Close()
		return nil, nil, fmt.Errorf("--work-path %s: %w", o.WorkPath, err)
	}
	if work, err = os.Open(o.WorkPath); err != nil {
		img.Close()
		return nil, nil, fmt.Errorf("--work-path %s: %w", o.WorkPath, err)
	}
	return img, work, nil
}

// commonOpts fills what dump and restore requests share.
func commonOpts(o *CriuOptions, img, work *os.File, log string) (*criurpc.Opts, error) {
	opts := &criurpc.Opts{
		ImagesDirFd: int32(img.Fd()), WorkDirFd: int32(work.Fd()), LogLevel: 4, LogFile: log,
		ManageCgroups: true, NotifyScripts: true, ShellJob: o.ShellJob, ExtUnixSk: o.ExtUnixSk,
		TCPEstablished: o.TCPEstablished, FileLocks: o.FileLocks, AutoDedup: o.AutoDedup,
		LazyPages: o.LazyPages, OrphanPtsMaster: true,
	}
	mode := map[string]criurpc.CgMode{"soft": criurpc.CgSoft, "full": criurpc.CgFull, "strict": criurpc.CgStrict, "ignore": criurpc.CgIgnore}
	switch m, ok := mode[o.ManageCgroupsMode]; {
	case o.ManageCgroupsMode == "":
	case ok:
		opts.CgMode = &m
	default:
		return nil, fmt.Errorf("--manage-cgroups-mode %q: want soft, full, strict or ignore", o.ManageCgroupsMode)
	}
	for _, ns := range o.EmptyNs {
		switch ns {
		case "network":
			opts.EmptyNs |= unix.CLONE_NEWNET
		default:
			return nil, fmt.Errorf("--empty-ns %q: only network is supported", ns)
		}
	}
	return opts, nil
}
