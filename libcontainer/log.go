package libcontainer

import (
	"bytes"
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

// After start connects (or, for exec, from the beginning) the init's
// words to its waiter are plain text until execve closes the socket: an
// error, or debug records each framed by logMark, which no error holds.
const logMark = '\x00'

// notifyFdMarker is the data that carries the seccomp notify fd: a stream
// socket delivers no fd without a byte.
const notifyFdMarker = "seccomp"

// splitLogRecords takes the init's debug records out of what it wrote
// before execve; the rest is its error, if any.
func splitLogRecords(data []byte) (logs []string, rest []byte) {
	for {
		i := bytes.IndexByte(data, logMark)
		if i < 0 {
			return logs, append(rest, data...)
		}
		rest = append(rest, data[:i]...)
		j := bytes.IndexByte(data[i+1:], logMark)
		if j < 0 {
			// A record cut short by the init's death.
			return append(logs, string(data[i+1:])), rest
		}
		logs = append(logs, string(data[i+1:i+1+j]))
		data = data[i+2+j:]
	}
}
