package spec

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Rlimits maps the OCI names of process.rlimits to resource numbers.
var Rlimits = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK": unix.RLIMIT_STACK,
}

// MountOptions is a mount's options split the way the kernel takes them.
type MountOptions struct {
	Flags       uintptr // for mount(2)
	ClearFlags  uintptr // flags an option explicitly turns off (rw, suid, ...)
	Propagation []uintptr
	// Recursive attributes (rro, rnosuid...) for mount_setattr(2).
	RecAttrSet, RecAttrClr uint64
	Data                   []string
	Bind                   bool
	Recursive              bool
	// CopyUp fills a new tmpfs with what the directory it covers holds.
	CopyUp bool
	// IDMap makes the bind an idmapped mount (the top mount, or every
	// mount of the tree with IDMapRecursive).
	IDMap, IDMapRecursive bool
}

type flagOpt struct {
	clear bool
	flag  uintptr
}

// acl and noacl are mount(2)'s MS_POSIXACL, as runc passes them: as data
// a filesystem that takes no such option (tmpfs) refuses the mount.
var flagOpts = map[string]flagOpt{
	"acl": {false, unix.MS_POSIXACL}, "noacl": {true, unix.MS_POSIXACL},
	"async": {true, unix.MS_SYNCHRONOUS}, "atime": {true, unix.MS_NOATIME}, "defaults": {false, 0},
	"dev": {true, unix.MS_NODEV}, "diratime": {true, unix.MS_NODIRATIME}, "dirsync": {false, unix.MS_DIRSYNC},
	"exec": {true, unix.MS_NOEXEC}, "iversion": {false, unix.MS_I_VERSION}, "lazytime": {false, unix.MS_LAZYTIME},
	"loud": {true, unix.MS_SILENT}, "mand": {false, unix.MS_MANDLOCK}, "noatime": {false, unix.MS_NOATIME},
	"nodev": {false, unix.MS_NODEV}, "nodiratime": {false, unix.MS_NODIRATIME}, "noexec": {false, unix.MS_NOEXEC},
	"noiversion": {true, unix.MS_I_VERSION}, "nolazytime": {true, unix.MS_LAZYTIME}, "nomand": {true, unix.MS_MANDLOCK},
	"norelatime": {true, unix.MS_RELATIME}, "nostrictatime": {true, unix.MS_STRICTATIME}, "nosuid": {false, unix.MS_NOSUID},
	"nosymfollow": {false, unix.MS_NOSYMFOLLOW}, "relatime": {false, unix.MS_RELATIME}, "ro": {false, unix.MS_RDONLY},
	"rw": {true, unix.MS_RDONLY}, "silent": {false, unix.MS_SILENT}, "strictatime": {false, unix.MS_STRICTATIME},
	"suid": {true, unix.MS_NOSUID}, "symfollow": {true, unix.MS_NOSYMFOLLOW}, "sync": {false, unix.MS_SYNCHRONOUS},
}

var propagationOpts = map[string]uintptr{
	"private": unix.MS_PRIVATE, "shared": unix.MS_SHARED, "slave": unix.MS_SLAVE, "unbindable": unix.MS_UNBINDABLE,
	"rprivate": unix.MS_PRIVATE | unix.MS_REC, "rshared": unix.MS_SHARED | unix.MS_REC,
	"rslave": unix.MS_SLAVE | unix.MS_REC, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

type recOpt struct {
	clear bool
	attr  uint64
}

var recursiveOpts = map[string]recOpt{
	"rro": {false, unix.MOUNT_ATTR_RDONLY}, "rrw": {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid": {false, unix.MOUNT_ATTR_NOSUID}, "rsuid": {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev": {false, unix.MOUNT_ATTR_NODEV}, "rdev": {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec": {false, unix.MOUNT_ATTR_NOEXEC}, "rexec": {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime": {false, unix.MOUNT_ATTR_NODIRATIME}, "rdiratime": {true, unix.MOUNT_ATTR_NODIRATIME},
	"rnosymfollow": {false, unix.MOUNT_ATTR_NOSYMFOLLOW}, "rsymfollow": {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// recAtimeOpts are the recursive access-time options. The access time is
// one setting, not flags: mount_setattr(2) takes it with all of
// MOUNT_ATTR__ATIME cleared. Turning noatime or strictatime off (ratime,
// rnostrictatime) gives the kernel's default, relatime; turning relatime
// off, with noatime not asked for, leaves strictatime.
var recAtimeOpts = map[string]uint64{
	"rnoatime": unix.MOUNT_ATTR_NOATIME, "rstrictatime": unix.MOUNT_ATTR_STRICTATIME,
	"rrelatime": unix.MOUNT_ATTR_RELATIME, "ratime": unix.MOUNT_ATTR_RELATIME,
	"rnostrictatime": unix.MOUNT_ATTR_RELATIME, "rnorelatime": unix.MOUNT_ATTR_STRICTATIME,
}

// ParseMountOptions splits OCI mount options into mount flags, propagation
// changes, recursive attributes and filesystem data. Anything it does not
// know is passed to the filesystem as data, as runc does.
func ParseMountOptions(opts []string) MountOptions {
	var m MountOptions
	for _, o := range opts {
		if f, ok := flagOpts[o]; ok {
			if f.clear {
				m.Flags &^= f.flag
				m.ClearFlags |= f.flag
			} else {
				m.Flags |= f.flag
				m.ClearFlags &^= f.flag
			}
			continue
		}
		if p, ok := propagationOpts[o]; ok {
			m.Propagation = append(m.Propagation, p)
			continue
		}
		if r, ok := recursiveOpts[o]; ok {
			if r.clear {
				m.RecAttrClr |= r.attr
				m.RecAttrSet &^= r.attr
			} else {
				m.RecAttrSet |= r.attr
				m.RecAttrClr &^= r.attr
			}
			continue
		}
		if a, ok := recAtimeOpts[o]; ok {
			m.RecAttrSet = m.RecAttrSet&^unix.MOUNT_ATTR__ATIME | a
			m.RecAttrClr |= unix.MOUNT_ATTR__ATIME
			continue
		}
		switch o {
		case "bind":
			m.Bind = true
		case "rbind":
			m.Bind, m.Recursive = true, true
		case "tmpcopyup":
			m.CopyUp = true
		case "idmap":
			m.IDMap = true
		case "ridmap":
			m.IDMap, m.IDMapRecursive = true, true
		default:
			m.Data = append(m.Data, o)
		}
	}
	return m
}

func validateMountOptions(opts []string) error {
	for _, o := range opts {
		if o == "" {
			return fmt.Errorf("empty mount option")
		}
		if strings.ContainsRune(o, 0) {
			return fmt.Errorf("mount option %q contains a NUL byte", o)
		}
	}
	return nil
}
