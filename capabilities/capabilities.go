// Package capabilities validates the OCI process.capabilities sets and adds
// their application to a container process's plan (libcontainer/nsexec).
//
// Capabilities are per thread on Linux: the plan changes only the OS thread
// it runs on, which is the one that execs the container process.
package capabilities

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The names and numbers come from moby/sys/capability, which follows
// linux/capability.h; the OCI spec spells a name as the header does
// (CAP_CHOWN), the library as capability(7)'s text (chown).
func capName(c capability.Cap) string {
	return "CAP_" + strings.ToUpper(c.String())
}

// byName is built on first use: only the commands that read a config need
// it, not every start of the binary.
var byName = sync.OnceValue(func() map[string]int {
	known := capability.ListKnown()
	m := make(map[string]int, len(known))
	for _, c := range known {
		m[capName(c)] = int(c)
	}
	return m
})

// Names lists every capability name this package knows, in capability number
// order (Names()[n] is capability n).
func Names() []string {
	known := capability.ListKnown()
	l := make([]string, len(known))
	for i, c := range known {
		l[i] = capName(c)
	}
	return l
}

// LastCap returns the highest capability number the running kernel supports.
// The library finds it once per process with PR_CAPBSET_READ (two calls on
// a current kernel) rather than by reading /proc/sys/kernel/cap_last_cap.
func LastCap() (int, error) {
	last, err := capability.LastCap()
	if err != nil {
		return 0, fmt.Errorf("highest supported capability: %w", err)
	}
	return int(last), nil
}

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
			n, ok := byName()[name]
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

// name also covers capabilities of a kernel newer than the library, which
// it calls "unknown".
func name(n int) string {
	if c := capability.Cap(n); c.String() != "unknown" {
		return capName(c)
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
