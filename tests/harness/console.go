package harness

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// RecvFds reads one message from conn and the fds that came with it, as
// the peer of a --console-socket or a seccomp agent's socket does.
func RecvFds(conn *net.UnixConn) ([]byte, []int, error) {
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4*8))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, fmt.Errorf("recvmsg: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, nil, fmt.Errorf("control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			return nil, nil, fmt.Errorf("SCM_RIGHTS: %w", err)
		}
		fds = append(fds, got...)
	}
	return buf[:n], fds, nil
}

// ReadUntil reads from a pty master until done says the output so far is
// enough, for timeout at most, and returns the output; the error is the
// read's that ended it first.
func ReadUntil(master *os.File, timeout time.Duration, done func(out string) bool) (string, error) {
	var out strings.Builder
	buf := make([]byte, 4096)
	if err := master.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	for !done(out.String()) {
		n, err := master.Read(buf)
		out.Write(buf[:max(n, 0)])
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return out.String(), err
		}
	}
	return out.String(), nil
}
