package libcontainer

// Bind sources of a container with a user namespace, opened by the runtime:
// the container's root is an unprivileged host user that may not reach a
// source host root can, and runc opens sources on the host's side for that
// reason. The runtime opens them in its own thread and hands them to the
// init over the sync socket.

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/spec"
)

// bindSourceIndexes lists the mounts whose source the runtime opens. A
// runtime that is not root can reach no more than its container can, and
// could not join the container's mount namespace. Idmapped mounts are
// always made by the runtime (idmap_linux.go).
func bindSourceIndexes(s *specs.Spec) []int {
	if os.Geteuid() != 0 {
		return nil
	}
	_, userns := spec.Namespaces(s)[specs.UserNamespace]
	var idx []int
	for i, m := range s.Mounts {
		if isBind(m) && (userns || isIDMapped(m)) {
			idx = append(idx, i)
		}
	}
	return idx
}

// openBindSources opens each listed mount's source as host root, from
// inside the init's mount namespace. Not from the runtime's own: a mount
// of the host's namespace cannot be bound into another one, and the
// container's namespace holds copies of the host's mounts that carry the
// locks a user namespace puts on them (read-only stays read-only). A thread
// of its own joins the namespace; it is never unlocked, so it ends with the
// goroutine and nothing else runs in that namespace.
func openBindSources(pid int, s *specs.Spec, bundle string, idx []int) ([]*os.File, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	// The user namespaces are made from here: a child forked by the thread
	// below would start in the container's mount namespace.
	userns := &idmapNamespaces{pid: pid}
	defer userns.close()
	nsFds := map[int]*os.File{}
	for _, i := range idx {
		if !isIDMapped(s.Mounts[i]) {
			continue
		}
		f, err := userns.get(s.Mounts[i])
		if err != nil {
			return nil, fmt.Errorf("mounts[%d] (%s): %w", i, s.Mounts[i].Destination, err)
		}
		nsFds[i] = f
	}
	type result struct {
		files []*os.File
		err   error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		files, err := openInMountNs(pid, s, bundle, idx, nsFds)
		done <- result{files, err}
	}()
	res := <-done
	return res.files, res.err
}

func openInMountNs(pid int, s *specs.Spec, bundle string, idx []int, nsFds map[int]*os.File) ([]*os.File, error) {
	// setns of a mount namespace needs an fs_struct no other thread shares.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("bind sources: unshare fs: %w", err)
	}
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if err != nil {
		return nil, fmt.Errorf("bind sources: %w", err)
	}
	defer ns.Close()
	if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNS); err != nil {
		return nil, fmt.Errorf("bind sources: join the container's mount namespace: %w", err)
	}
	var files []*os.File
	for _, i := range idx {
		src := s.Mounts[i].Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(bundle, src)
		}
		var f *os.File
		var err error
		if ns, ok := nsFds[i]; ok {
			f, err = openIDMapped(src, s.Mounts[i], ns)
		} else {
			f, err = os.OpenFile(src, unix.O_PATH|unix.O_CLOEXEC, 0)
		}
		if err != nil {
			closeAll(files)
			return nil, fmt.Errorf("mounts[%d].source: %w", i, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// sendFds hands files to the init as SYNC_FDS messages, in as many as the
// kernel's per-message limit needs.
func sendFds(sock *os.File, files []*os.File) error {
	for len(files) > 0 {
		n := min(len(files), maxFdsPerMsg)
		fds := make([]int, n)
		for i, f := range files[:n] {
			fds[i] = int(f.Fd())
		}
		if err := sendSync(sock, syncFds, nil, fds...); err != nil {
			return err
		}
		files = files[n:]
	}
	return nil
}

// receiveFds is sendFds' other end, run by the init before it mounts
// anything: it returns n files, close-on-exec.
func receiveFds(sock *os.File, n int) ([]*os.File, error) {
	var files []*os.File
	for len(files) < n {
		m, err := expectSync(int(sock.Fd()), syncFds)
		if err == nil && len(m.fds) == 0 {
			err = fmt.Errorf("expected %d fds, got %d", n, len(files))
		}
		if err != nil {
			closeAll(files)
			return nil, err
		}
		for _, fd := range m.fds {
			files = append(files, os.NewFile(uintptr(fd), "mount-source"))
		}
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
