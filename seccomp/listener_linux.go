package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SendToListener connects to the seccomp agent at cfg.ListenerPath and sends
// it the notify fd (SCM_RIGHTS) with the JSON container process state, as the
// runtime spec describes. state.Fds and state.Metadata are filled in from the
// fd and cfg.ListenerMetadata, state.Version defaults to the spec version.
// fd stays open: the caller owns it.
func SendToListener(cfg *specs.LinuxSeccomp, fd int, state specs.ContainerProcessState) error {
	if cfg == nil || cfg.ListenerPath == "" {
		return errors.New("linux.seccomp.listenerPath: not set")
	}
	if fd < 0 {
		return fmt.Errorf("linux.seccomp.listenerPath: invalid seccomp notify fd %d", fd)
	}
	state.Fds = []string{specs.SeccompFdName}
	state.Metadata = cfg.ListenerMetadata
	if state.Version == "" {
		state.Version = specs.Version
	}
	payload, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("encoding seccomp container process state: %w", err)
	}
	conn, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: failed to connect with seccomp agent: %w", err)
	}
	// The spec allows one connection per state only; closing it also tells
	// the agent the JSON is complete.
	defer unix.Close(conn)
	if err := unix.Connect(conn, &unix.SockaddrUnix{Name: cfg.ListenerPath}); err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: failed to connect with seccomp agent: %w", err)
	}
	n, err := unix.SendmsgN(conn, payload, unix.UnixRights(fd), nil, 0)
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: sending notify fd to %s: %w", cfg.ListenerPath, err)
	}
	// A stream socket may take only part of a large state; the fd went with
	// the first chunk, which is all the spec asks of later ones.
	for rest := payload[n:]; len(rest) > 0; rest = rest[n:] {
		if n, err = unix.Write(conn, rest); err != nil {
			return fmt.Errorf("linux.seccomp.listenerPath: sending container process state to %s: %w", cfg.ListenerPath, err)
		}
	}
	return nil
}
