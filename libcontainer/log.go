package libcontainer

import "fmt"

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
