package libcontainer

// The /dev nodes and links the container's init creates, and the device
// cgroup rules the parent sets so that the container can use them.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var defaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
}

var devLinks = [][2]string{
	{"/proc/self/fd", "/dev/fd"},
	{"/proc/self/fd/0", "/dev/stdin"},
	{"/proc/self/fd/1", "/dev/stdout"},
	{"/proc/self/fd/2", "/dev/stderr"},
	{"pts/ptmx", "/dev/ptmx"},
}

func (r *rootfs) createDevices() error {
	devs := append([]specs.LinuxDevice(nil), defaultDevices...)
	for i := range devs {
		devs[i].FileMode = new(os.FileMode(0o666))
		devs[i].UID, devs[i].GID = new(uint32(0)), new(uint32(0))
	}
	for _, d := range r.spec.Linux.Devices {
		replaced := false
		for i := range devs {
			if devs[i].Path == d.Path {
				devs[i], replaced = d, true
			}
		}
		if !replaced {
			devs = append(devs, d)
		}
	}
	for _, d := range devs {
		if err := r.createDevice(d); err != nil {
			return fmt.Errorf("linux.devices %s: %w", d.Path, err)
		}
	}
	for _, l := range devLinks {
		if err := r.symlink(l[0], l[1]); err != nil {
			return fmt.Errorf("/dev link %s: %w", l[1], err)
		}
	}
	return nil
}

func (r *rootfs) createDevice(d specs.LinuxDevice) error {
	dir, err := mkdirAllInRoot(r.root, filepath.Dir(d.Path))
	if err != nil {
		return err
	}
	defer dir.Close()
	base := filepath.Base(d.Path)
	if r.userNs {
		// mknod is refused in a user namespace: bind the host's node.
		target, err := r.mkfileTarget(d.Path)
		if err != nil {
			return err
		}
		defer target.Close()
		src, err := os.OpenFile(d.Path, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("host device: %w", err)
		}
		defer src.Close()
		return bindFd(int(src.Fd()), int(target.Fd()), false)
	}
	var mode uint32
	switch d.Type {
	case "c", "u":
		mode = unix.S_IFCHR
	case "b":
		mode = unix.S_IFBLK
	case "p":
		mode = unix.S_IFIFO
	default:
		return fmt.Errorf("unknown type %q", d.Type)
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	if err := unix.Unlinkat(int(dir.Fd()), base, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return &os.PathError{Op: "unlinkat", Path: d.Path, Err: err}
	}
	if err := unix.Mknodat(int(dir.Fd()), base, mode|perm, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))); err != nil {
		return &os.PathError{Op: "mknodat", Path: d.Path, Err: err}
	}
	// mknod applies the umask; the config's mode is meant exactly.
	if err := unix.Fchmodat(int(dir.Fd()), base, perm, 0); err != nil {
		return &os.PathError{Op: "fchmodat", Path: d.Path, Err: err}
	}
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	if err := unix.Fchownat(int(dir.Fd()), base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "fchownat", Path: d.Path, Err: err}
	}
	return nil
}

func (r *rootfs) symlink(target, link string) error {
	dir, err := mkdirAllInRoot(r.root, filepath.Dir(link))
	if err != nil {
		return err
	}
	defer dir.Close()
	err = unix.Symlinkat(target, int(dir.Fd()), filepath.Base(link))
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}

// denyAllDevices starts every container's device rules: what the config
// and the defaults do not allow is denied, as in runc, whether or not the
// config has linux.resources at all.
var denyAllDevices = specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}

// defaultDeviceRules are the devices every container may use whatever its
// config says, runc's list: the nodes the runtime itself creates in /dev,
// the pty devices, tun, and mknod of any node (opening it is still denied).
// The host's console (5:1) is not among them: a terminal's /dev/console is
// its pty.
var defaultDeviceRules = []specs.LinuxDeviceCgroup{
	{Allow: true, Type: "c", Access: "m"},
	{Allow: true, Type: "b", Access: "m"},
	{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(3)), Access: "rwm"},
	{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(5)), Access: "rwm"},
	{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(7)), Access: "rwm"},
	{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(8)), Access: "rwm"},
	{Allow: true, Type: "c", Major: new(int64(1)), Minor: new(int64(9)), Access: "rwm"},
	{Allow: true, Type: "c", Major: new(int64(5)), Minor: new(int64(0)), Access: "rwm"},
	{Allow: true, Type: "c", Major: new(int64(5)), Minor: new(int64(2)), Access: "rwm"},
	{Allow: true, Type: "c", Major: new(int64(136)), Access: "rwm"},
	{Allow: true, Type: "c", Major: new(int64(10)), Minor: new(int64(200)), Access: "rwm"},
}

// withDefaultDevices returns the container's resources with the device
// rules completed as runc does: deny everything, then the config's rules in
// their order, then the defaults. The nodes of linux.devices get no rule of
// their own: the config allows them in linux.resources.devices, or they are
// created but cannot be opened.
func withDefaultDevices(s *specs.Spec) *specs.LinuxResources {
	var r specs.LinuxResources
	if s.Linux.Resources != nil {
		r = *s.Linux.Resources
	}
	rules := make([]specs.LinuxDeviceCgroup, 0, 1+len(r.Devices)+len(defaultDeviceRules))
	rules = append(rules, denyAllDevices)
	rules = append(rules, r.Devices...)
	rules = append(rules, defaultDeviceRules...)
	r.Devices = rules
	return &r
}
