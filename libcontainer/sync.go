package libcontainer

// The parent<->init sync protocol. Message numbers and the bootstrap
// records are defined once, in nsexec/sync.h, for the C stage and for this
// side. Every message is one SOCK_SEQPACKET datagram: a native-endian u32
// type, then the payload; fds go as SCM_RIGHTS on the message that names
// them. Three sockets carry it:
//
//	sync socket (create)
//	  parent                      C stage (nsexec.c)          init (Go)
//	  SYNC_BOOTSTRAP ----------->
//	                 <----------- SYNC_USERMAP (new user namespace only)
//	  SYNC_ACK ----------------->   (uid_map and gid_map written)
//	                 <----------- SYNC_PID, then the stage exits
//	  [initConfig, JSON, on the config pipe] ------------------->
//	  SYNC_FDS (bind sources) ---------------------------------->
//	                 <----------------------------------------- SYNC_HOOKS
//	  SYNC_ACK or SYNC_ERROR ----------------------------------->
//	                 <----------------------------------------- SYNC_READY
//
//	start socket (start.sock, which the init listens on)
//	  starter                                                 init
//	  SYNC_START ---------------------------------------------->
//	                 <----------------------------------------- SYNC_SECCOMP_FD
//	                 <----------------------------------------- EOF: execve
//
//	sync socket (exec): as create up to SYNC_PID, with the config pipe's
//	fd in the bootstrap; then the process plan (plan_linux.go) on that
//	pipe, which the stage's child runs without starting Go, and from the
//	child: SYNC_LOG lines, SYNC_SECCOMP_FD, then SYNC_PLAN_ERROR or EOF at
//	execve.
//
// Any stage may send SYNC_ERROR as its last word, and the init SYNC_LOG
// debug lines at any point; a process plan fails with SYNC_PLAN_ERROR, an
// errno and the failed step, in the init's or the exec'd process's last
// message.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
)

type syncType uint32

const (
	syncBootstrap syncType = nsexec.SyncBootstrap
	syncUsermap   syncType = nsexec.SyncUsermap
	syncAck       syncType = nsexec.SyncAck
	syncPid       syncType = nsexec.SyncPid
	syncError     syncType = nsexec.SyncError
	syncFds       syncType = nsexec.SyncFds
	syncHooks     syncType = nsexec.SyncHooks
	syncReady     syncType = nsexec.SyncReady
	syncStart     syncType = nsexec.SyncStart
	syncSeccompFd syncType = nsexec.SyncSeccompFd
	syncLog       syncType = nsexec.SyncLog
	syncPlanError syncType = nsexec.SyncPlanError
)

var syncNames = map[syncType]string{
	syncBootstrap: "bootstrap", syncUsermap: "usermap", syncAck: "ack", syncPid: "pid",
	syncError: "error", syncFds: "fds", syncHooks: "hooks", syncReady: "ready",
	syncStart: "start", syncSeccompFd: "seccomp-fd", syncLog: "log",
	syncPlanError: "plan-error",
}

func (t syncType) String() string {
	if n, ok := syncNames[t]; ok {
		return n
	}
	return fmt.Sprintf("message type %d", uint32(t))
}

// syncMsg is one message as read; fds are close-on-exec and the reader's
// to close.
type syncMsg struct {
	typ  syncType
	data []byte
	fds  []int
}

// maxFdsPerMsg is the kernel's limit of fds in one message (SCM_MAX_FD).
const maxFdsPerMsg = 253

// sendSync sends one message on the socket f.
func sendSync(f *os.File, typ syncType, data []byte, fds ...int) error {
	buf := binary.NativeEndian.AppendUint32(make([]byte, 0, 4+len(data)), uint32(typ))
	buf = append(buf, data...)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(int(f.Fd()), buf, oob, nil, 0); err != nil {
		return fmt.Errorf("send %s: %w", typ, err)
	}
	return nil
}

// recvSync reads one message from the socket fd; io.EOF once the other
// end is closed (by exit or, for the init, by execve).
func recvSync(fd int) (syncMsg, error) {
	buf := make([]byte, nsexec.SyncMsgMax)
	oob := make([]byte, unix.CmsgSpace(4*maxFdsPerMsg))
	for {
		n, oobn, flags, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return syncMsg{}, err
		}
		m := syncMsg{}
		if oobn > 0 {
			if m.fds, err = parseRights(oob[:oobn]); err != nil {
				return syncMsg{}, err
			}
		}
		switch {
		case n == 0 && oobn == 0:
			return syncMsg{}, io.EOF
		case flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0:
			closeFds(m.fds)
			return syncMsg{}, errors.New("sync message cut short")
		case n < 4:
			closeFds(m.fds)
			return syncMsg{}, fmt.Errorf("sync message of %d bytes", n)
		}
		m.typ = syncType(binary.NativeEndian.Uint32(buf))
		m.data = buf[4:n]
		return m, nil
	}
}

// expectSync reads one message of the type want. A SYNC_ERROR becomes the
// error it carries.
func expectSync(fd int, want syncType) (syncMsg, error) {
	m, err := recvSync(fd)
	if err != nil {
		return m, err
	}
	if err := m.unexpected(want); err != nil {
		closeFds(m.fds)
		return syncMsg{}, err
	}
	return m, nil
}

// unexpected is the error for a message that is not of the type want.
func (m syncMsg) unexpected(want syncType) error {
	switch m.typ {
	case want:
		return nil
	case syncError:
		return errors.New(string(m.data))
	}
	return fmt.Errorf("expected %s, got %s", want, m.typ)
}

func parseRights(oob []byte) ([]int, error) {
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("sync control message: %w", err)
	}
	var fds []int
	for i := range cmsgs {
		got, err := unix.ParseUnixRights(&cmsgs[i])
		if err != nil {
			closeFds(fds)
			return nil, fmt.Errorf("sync control message: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeFds(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
