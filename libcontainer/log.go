package libcontainer

import "fmt"

// Warn receives the warnings of operations that go on despite a problem
// (a failing poststart hook, a capability the kernel does not know). The CLI
// points it at its log; the library itself never prints.
var Warn = func(msg string) {}

func warn(format string, args ...any) {
	Warn(fmt.Sprintf(format, args...))
}
