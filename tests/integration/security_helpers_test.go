package integration

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// capBits numbers capabilities from x/sys's copy of linux/capability.h, so
// the expected masks do not come from the package under test.
var capBits = map[string]uint{
	"CAP_CHOWN":            unix.CAP_CHOWN,
	"CAP_DAC_OVERRIDE":     unix.CAP_DAC_OVERRIDE,
	"CAP_FOWNER":           unix.CAP_FOWNER,
	"CAP_KILL":             unix.CAP_KILL,
	"CAP_SETGID":           unix.CAP_SETGID,
	"CAP_SETUID":           unix.CAP_SETUID,
	"CAP_NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE,
	"CAP_NET_RAW":          unix.CAP_NET_RAW,
	"CAP_SYS_CHROOT":       unix.CAP_SYS_CHROOT,
	"CAP_SYS_ADMIN":        unix.CAP_SYS_ADMIN,
	"CAP_MKNOD":            unix.CAP_MKNOD,
	"CAP_AUDIT_WRITE":      unix.CAP_AUDIT_WRITE,
}

func capMask(t *testing.T, names []string) uint64 {
	t.Helper()
	var m uint64
	for _, n := range names {
		bit, ok := capBits[n]
		if !ok {
			t.Fatalf("capability %s missing from the test's table", n)
		}
		m |= 1 << bit
	}
	return m
}

// procCaps is what /proc/<pid>/status says about a process's privileges.
type procCaps struct {
	Bnd, Eff, Prm, Inh, Amb uint64
	NoNewPrivs              string
}

func parseProcCaps(t *testing.T, status string) procCaps {
	t.Helper()
	fields := map[string]string{}
	for _, l := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	hex := func(k string) uint64 {
		v, err := strconv.ParseUint(fields[k], 16, 64)
		if err != nil {
			t.Fatalf("%s in status %q: %v", k, status, err)
		}
		return v
	}
	return procCaps{
		Bnd: hex("CapBnd"), Eff: hex("CapEff"), Prm: hex("CapPrm"), Inh: hex("CapInh"), Amb: hex("CapAmb"),
		NoNewPrivs: fields["NoNewPrivs"],
	}
}

// privateSprout makes the tests of this process run a copy of the sprout
// binary until the test ends, so a test that attacks the binary can only
// damage the copy. Call it after newRuntime: cleanups run last-first, and
// the runtime's cleanup must run with the intact binary.
func privateSprout(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(sproutBin)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sprout")
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	orig := sproutBin
	sproutBin = path
	t.Cleanup(func() { sproutBin = orig })
	return path
}

// libDirs are where the host's dynamic loader finds libraries; a library
// goes to the same directory in the rootfs, which the loader searches
// without an ld.so.cache.
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// addRuntimeLibs copies the dynamic loader and libraries the sprout binary
// needs into rootfs, so the binary can run inside a busybox container
// however it was linked.
func addRuntimeLibs(t *testing.T, rootfs string) {
	t.Helper()
	copyIn := func(p string) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(rootfs, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	queue := []string{sproutBin}
	for len(queue) > 0 {
		f, err := elf.Open(queue[0])
		if err != nil {
			t.Fatal(err)
		}
		queue = queue[1:]
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				interp, err := io.ReadAll(prog.Open())
				if err != nil {
					t.Fatal(err)
				}
				if p := strings.TrimRight(string(interp), "\x00"); !seen[p] {
					seen[p] = true
					copyIn(p)
				}
			}
		}
		libs, err := f.ImportedLibraries()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, lib := range libs {
			found := false
			for _, dir := range libDirs {
				p := filepath.Join(dir, lib)
				if _, err := os.Stat(p); err != nil {
					continue
				}
				found = true
				if !seen[p] {
					seen[p] = true
					copyIn(p)
					queue = append(queue, p)
				}
				break
			}
			if !found {
				t.Fatalf("library %s of the sprout binary not found in %v", lib, libDirs)
			}
		}
	}
}

func fileDigest(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// treeListing describes every entry under dir (path, type, mode, owner,
// link target or content digest), to prove a host directory unchanged.
func treeListing(t *testing.T, dir string) string {
	t.Helper()
	var sb strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		fmt.Fprintf(&sb, "%s %o %d:%d", strings.TrimPrefix(p, dir), st.Mode, st.Uid, st.Gid)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&sb, " -> %s", l)
		case unix.S_IFREG:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&sb, " %x", sha256.Sum256(data))
		}
		sb.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

var hostMountsUnder = harness.MountsUnder

// replaceMount swaps the config's mount at dest for m, or drops it when m
// is nil.
func replaceMount(b *bundle, dest string, m *specs.Mount) {
	var mounts []specs.Mount
	for _, old := range b.spec.Mounts {
		switch {
		case old.Destination != dest:
			mounts = append(mounts, old)
		case m != nil:
			mounts = append(mounts, *m)
		}
	}
	b.spec.Mounts = mounts
}

// devFromRootfs makes the container's /dev a bind of the rootfs's own /dev,
// so that whatever the image planted there stays visible to the runtime.
func devFromRootfs(b *bundle) {
	replaceMount(b, "/dev", &specs.Mount{
		Destination: "/dev", Type: "bind", Source: filepath.Join(b.dir, "rootfs/dev"), Options: []string{"rbind"},
	})
}

// pollFile polls for a file the container writes into its rootfs.
func pollFile(t *testing.T, path string, timeout time.Duration) ([]byte, bool) {
	t.Helper()
	return harness.PollFile(path, timeout)
}

// processGone tells whether pid has exited (reaped or a zombie).
func processGone(pid int) bool { return !harness.Alive(pid) }

// listenConsole is a --console-socket that hands the pty master it
// receives to the test. The channel closes without a value if none came.
func listenConsole(t *testing.T) (string, <-chan *os.File) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *os.File, 1)
	go func() {
		defer close(ch)
		conn, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		defer conn.Close()
		// A runtime that connects and never sends must not hang cleanup.
		conn.SetDeadline(time.Now().Add(time.Minute))
		_, fds, err := harness.RecvFds(conn)
		if err != nil || len(fds) == 0 {
			return
		}
		for _, fd := range fds[1:] {
			unix.Close(fd)
		}
		// Non-blocking, so that reads from the master honour deadlines.
		unix.SetNonblock(fds[0], true)
		ch <- os.NewFile(uintptr(fds[0]), "pty-master")
	}()
	t.Cleanup(func() {
		ln.Close()
		if f, ok := <-ch; ok {
			f.Close()
		}
	})
	return path, ch
}

// readPty reads what the container writes to its terminal until the slave
// side closes or the timeout passes.
func readPty(master *os.File, timeout time.Duration) string {
	master.SetReadDeadline(time.Now().Add(timeout))
	data, _ := io.ReadAll(master)
	return string(data)
}

// agentReport is what the test's seccomp agent saw.
type agentReport struct {
	state    specs.ContainerProcessState
	fds      int
	syscalls []string
	// parents are the PPids of the notifying processes, read while each
	// waited for its answer.
	parents []int
	err     error
}

// startSeccompAgent listens at sock like a seccomp agent: it takes the
// notify fd and the container process state from the runtime, answers
// every notification with errno, and reports once the container's last
// process has gone (the notify fd hangs up) or the timeout passes.
func startSeccompAgent(t *testing.T, sock string, errno unix.Errno, timeout time.Duration) <-chan agentReport {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan agentReport, 1)
	go func() {
		defer ln.Close()
		rep := agentReport{}
		rep.err = serveAgent(ln, errno, time.Now().Add(timeout), &rep)
		done <- rep
	}()
	t.Cleanup(func() { ln.Close() })
	return done
}

func serveAgent(ln *net.UnixListener, errno unix.Errno, deadline time.Time, rep *agentReport) error {
	if err := ln.SetDeadline(deadline); err != nil {
		return err
	}
	conn, err := ln.AcceptUnix()
	if err != nil {
		return fmt.Errorf("no connection from the runtime: %w", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	first, fds, err := harness.RecvFds(conn)
	if err != nil {
		return err
	}
	for _, fd := range fds {
		defer unix.Close(fd)
	}
	rest, err := io.ReadAll(conn)
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	rep.fds = len(fds)
	if err := json.Unmarshal(append(first, rest...), &rep.state); err != nil {
		return fmt.Errorf("decode state %q: %w", append(first, rest...), err)
	}
	if len(fds) != 1 {
		return fmt.Errorf("got %d fds with the state, want 1", len(fds))
	}
	fd := fds[0]
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, int(time.Until(deadline).Milliseconds()))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll notify fd: %w", err)
		}
		if n == 0 {
			return errors.New("timed out: the container never finished")
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			// POLLHUP: no process uses the filter any more.
			return nil
		}
		req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(fd))
		if err != nil {
			return fmt.Errorf("NotifReceive: %w", err)
		}
		name, err := req.Data.Syscall.GetName()
		if err != nil {
			name = fmt.Sprintf("syscall %d", req.Data.Syscall)
		}
		rep.syscalls = append(rep.syscalls, name)
		if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", req.Pid)); err == nil {
			for _, l := range strings.Split(string(status), "\n") {
				if v, ok := strings.CutPrefix(l, "PPid:"); ok {
					ppid, _ := strconv.Atoi(strings.TrimSpace(v))
					rep.parents = append(rep.parents, ppid)
				}
			}
		}
		resp := &libseccomp.ScmpNotifResp{ID: req.ID, Error: int32(errno)}
		if err := libseccomp.NotifRespond(libseccomp.ScmpFd(fd), resp); err != nil {
			return fmt.Errorf("NotifRespond: %w", err)
		}
	}
}
