// Package capabilities validates the OCI process.capabilities sets and applies
// them to the calling thread of the container init.
//
// Capabilities are per thread on Linux: DropBounding and Apply only change the
// OS thread they run on, so the init must call them from a goroutine locked
// with runtime.LockOSThread on the thread that will execve the container
// process.
package capabilities

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// names is indexed by capability number, as defined in linux/capability.h.
var names = []string{
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

var byName = func() map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i
	}
	return m
}()

const lastCapPath = "/proc/sys/kernel/cap_last_cap"

// Names lists every capability name this package knows, in capability number
// order (Names()[n] is capability n).
func Names() []string {
	return slices.Clone(names)
}

// LastCap returns the highest capability number the running kernel supports,
// read once from /proc/sys/kernel/cap_last_cap since it cannot change at run
// time.
func LastCap() (int, error) {
	return lastCap()
}

var lastCap = sync.OnceValues(func() (int, error) {
	b, err := os.ReadFile(lastCapPath)
	if err != nil {
		return 0, fmt.Errorf("read highest supported capability: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", lastCapPath, err)
	}
	// The v3 capget/capset ABI carries 64 bits per set; a kernel beyond that
	// would need a new ABI this package does not speak.
	if n < 0 || n > 63 {
		return 0, fmt.Errorf("%s: unsupported value %d", lastCapPath, n)
	}
	return n, nil
})

// Set is a validated process.capabilities: one bitmask per capability set,
// bit n standing for capability n.
type Set struct {
	bounding, effective, inheritable, permitted, ambient uint64
	// droppedAmbient are the ambient ones the kernel could not raise.
	droppedAmbient uint64
}

// DroppedAmbient lists the ambient capabilities Parse dropped because they
// are not both permitted and inheritable, or is empty.
func (s *Set) DroppedAmbient() string {
	if s.droppedAmbient == 0 {
		return ""
	}
	return list(s.droppedAmbient)
}

// Parse validates the five capability sets of c by name.
//
// A name that is not a Linux capability (names are matched exactly: upper
// case with the CAP_ prefix, as in the OCI spec) is an error naming the set.
// A capability the running kernel does not support (beyond cap_last_cap) is
// skipped with a warning, as runc does, so one config runs on older kernels.
// An ambient capability that is not both permitted and inheritable cannot be
// raised by the kernel; runc 1.1 silently loses it, Parse drops it and
// names it in DroppedAmbient, not as a warning: runc's own default config
// has such ambient capabilities, and runc runs it without a word. An
// effective capability that is not permitted is an error, since
// capset(2) always rejects that.
//
// A nil c yields an empty Set, which clears all five sets: runc substitutes an
// empty capability config when process.capabilities is absent, and a runc
// 1.1 container without it runs with all five sets empty.
func Parse(c *specs.LinuxCapabilities) (*Set, []string, error) {
	if c == nil {
		return &Set{}, nil, nil
	}
	last, err := LastCap()
	if err != nil {
		return nil, nil, err
	}
	return parse(c, last)
}

func parse(c *specs.LinuxCapabilities, last int) (*Set, []string, error) {
	s := &Set{}
	var warnings []string
	for _, l := range []struct {
		field string
		names []string
		mask  *uint64
	}{
		{"bounding", c.Bounding, &s.bounding},
		{"effective", c.Effective, &s.effective},
		{"inheritable", c.Inheritable, &s.inheritable},
		{"permitted", c.Permitted, &s.permitted},
		{"ambient", c.Ambient, &s.ambient},
	} {
		var skipped uint64
		for _, name := range l.names {
			n, ok := byName[name]
			if !ok {
				return nil, nil, fmt.Errorf("process.capabilities.%s: unknown capability %q", l.field, name)
			}
			if n > last {
				if skipped&(1<<n) == 0 {
					warnings = append(warnings, fmt.Sprintf("process.capabilities.%s: ignoring %s: not supported by the running kernel (cap_last_cap is %d)", l.field, name, last))
				}
				skipped |= 1 << n
				continue
			}
			*l.mask |= 1 << n
		}
	}
	if extra := s.effective &^ s.permitted; extra != 0 {
		return nil, nil, fmt.Errorf("process.capabilities.effective: %s not in process.capabilities.permitted", list(extra))
	}
	if extra := s.ambient &^ (s.permitted & s.inheritable); extra != 0 {
		s.droppedAmbient = extra
		s.ambient &^= extra
	}
	return s, warnings, nil
}

// name also covers capabilities of a kernel newer than this package.
func name(n int) string {
	if n < len(names) {
		return names[n]
	}
	return "capability " + strconv.Itoa(n)
}

func list(mask uint64) string {
	var l []string
	for n := range 64 {
		if mask&(1<<n) != 0 {
			l = append(l, name(n))
		}
	}
	return strings.Join(l, ", ")
}
