package libcontainer

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Warn receives the warnings of operations that go on despite a problem
// (a failing poststart hook, a capability the kernel does not know). The CLI
// points it at its log; the library itself never prints.
var Warn = func(msg string) {}

func warn(format string, args ...any) {
	Warn(fmt.Sprintf(format, args...))
}

// Debug, when set (the CLI's --debug), receives each step of an operation:
// the config loaded, the cgroups and namespaces, the init's mounts, the
// hooks run, the exec. Unset it costs nothing.
var Debug func(msg string)

func debugf(format string, args ...any) {
	if Debug != nil {
		Debug(fmt.Sprintf(format, args...))
	}
}

// describeNamespaces names each namespace and whether it is new or joined,
// for the debug log.
func describeNamespaces(ns []specs.LinuxNamespace) string {
	parts := make([]string, 0, len(ns))
	for _, n := range ns {
		if n.Path != "" {
			parts = append(parts, fmt.Sprintf("%s (join %s)", n.Type, n.Path))
		} else {
			parts = append(parts, fmt.Sprintf("%s (new)", n.Type))
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
