// Package nsexec enters a container's namespaces before the Go runtime
// starts: importing it links an ELF constructor (nsexec.c) into the binary.
// The constructor is inert unless the process was started by libcontainer
// with the _SPROUT_SYNCFD environment variable set.
//
// The constants below are sync.h's, read through cgo: the C stage and the
// Go side of the sync protocol use one definition of each number.
package nsexec

// #cgo CFLAGS: -Wall -O2
// #include "sync.h"
import "C"

// Message types of the sync protocol (sync.h).
const (
	SyncBootstrap = C.SYNC_BOOTSTRAP
	SyncUsermap   = C.SYNC_USERMAP
	SyncAck       = C.SYNC_ACK
	SyncPid       = C.SYNC_PID
	SyncError     = C.SYNC_ERROR
	SyncFds       = C.SYNC_FDS
	SyncHooks     = C.SYNC_HOOKS
	SyncReady     = C.SYNC_READY
	SyncStart     = C.SYNC_START
	SyncSeccompFd = C.SYNC_SECCOMP_FD
	SyncLog       = C.SYNC_LOG
	SyncPlanError = C.SYNC_PLAN_ERROR

	// SyncMsgMax is the largest datagram either side sends or reads.
	SyncMsgMax = C.SYNC_MSG_MAX
)

// Records of a SyncBootstrap payload (sync.h).
const (
	RecEnd         = C.REC_END
	RecCloneFlags  = C.REC_CLONE_FLAGS
	RecNsPath      = C.REC_NS_PATH
	RecTimeOffsets = C.REC_TIME_OFFSETS
	RecCgroupTasks = C.REC_CGROUP_TASKS
	RecCgroupDir   = C.REC_CGROUP_DIR
	RecUsernsPath  = C.REC_USERNS_PATH
	RecPlanFd      = C.REC_PLAN_FD
)
