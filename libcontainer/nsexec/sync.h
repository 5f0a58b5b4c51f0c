// The parent<->init sync protocol, shared by nsexec.c and the Go side
// (libcontainer/sync.go reads these numbers through cgo, so the two cannot
// drift apart).
//
// Every message is one SOCK_SEQPACKET datagram: a 32-bit message type in
// native byte order, then the payload. Text payloads are not
// NUL-terminated; fds travel as SCM_RIGHTS on the datagram that names them.
// The conversation, in order (libcontainer/sync.go has the diagram):
//
//   parent -> stage   SYNC_BOOTSTRAP  records (below)
//   stage  -> parent  SYNC_USERMAP    with a new user namespace
//   parent -> stage   SYNC_ACK        the ID maps are written
//   stage  -> parent  SYNC_PID        the init's pid, u32
//   parent -> init    SYNC_FDS        bind sources (SCM_RIGHTS), if any
//   init   -> parent  SYNC_HOOKS      prestart/createRuntime hooks, if any
//   parent -> init    SYNC_ACK / SYNC_ERROR
//   init   -> parent  SYNC_READY      set up, listening for start
//   starter-> init    SYNC_START      on the start socket
//   init   -> waiter  SYNC_SECCOMP_FD the notify fd (SCM_RIGHTS), if any
//   init   -> waiter  EOF             execve closed the socket
//
// SYNC_LOG (a debug line) and SYNC_ERROR (the reason it gives up, the
// last message) may come from the init at any point.
#ifndef SPROUT_SYNC_H
#define SPROUT_SYNC_H

enum sprout_sync_type {
	SYNC_BOOTSTRAP = 1,
	SYNC_USERMAP = 2,
	SYNC_ACK = 3,
	SYNC_PID = 4,
	SYNC_ERROR = 5,
	SYNC_FDS = 6,
	SYNC_HOOKS = 7,
	SYNC_READY = 8,
	SYNC_START = 9,
	SYNC_SECCOMP_FD = 10,
	SYNC_LOG = 11,
};

// Records of a SYNC_BOOTSTRAP payload: a 32-bit type and a 32-bit length,
// native byte order, then that many bytes; REC_END closes the list.
enum sprout_bootstrap_record {
	REC_END = 0,
	REC_CLONE_FLAGS = 1,    // u32 flags of the namespaces to create
	REC_NS_PATH = 2,        // u32 clone flag of the type, NUL-terminated path
	REC_TIME_OFFSETS = 3,   // the text for /proc/self/timens_offsets
	REC_CGROUP_TASKS = 4,   // NUL-terminated path of a v1 "tasks" file
	REC_CGROUP_DIR = 5,     // NUL-terminated path of a v2 cgroup
	REC_USERNS_PATH = 6,    // as REC_NS_PATH, for the user namespace
};

// The largest datagram either side sends or reads.
#define SYNC_MSG_MAX (64 * 1024)

#endif
