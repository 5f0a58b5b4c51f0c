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
// An exec names the config pipe in its bootstrap (REC_PLAN_FD); after
// SYNC_PID the parent writes the process plan there, and the stage's
// child runs it, sending SYNC_SECCOMP_FD if any, then SYNC_PLAN_ERROR or
// EOF at execve.
//
// SYNC_LOG (a debug line) and SYNC_ERROR (the reason it gives up, the
// last message) may come from the init at any point; SYNC_PLAN_ERROR is
// SYNC_ERROR from a process plan (plan.c): a u32 errno (0: none), then the
// text, which the Go side completes with the errno's wording.
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
	SYNC_PLAN_ERROR = 12,
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
	REC_PLAN_FD = 7,        // u32 fd: the init reads its process plan there
	                        // and runs it instead of starting Go (exec)
};

// Operations of a process plan (plan.c), the steps between an init's
// set-up and its execve. Same framing as the bootstrap records; the Go
// side (libcontainer/plan_linux.go) decides what runs and in which order,
// plan.c only makes the system calls. "label" is a NUL-terminated text
// naming the config field, which errors start with.
enum sprout_plan_op {
	PLAN_END = 0,
	PLAN_SETSID = 1,          // a session of its own
	PLAN_CONSOLE = 2,         // i32 console socket fd, u16 rows, u16 cols (0: keep)
	PLAN_LOOKPATH = 3,        // u8 has PATH, name\0, PATH\0
	PLAN_CHECK_CWD = 4,       // path\0
	PLAN_CLOEXEC_FROM = 5,    // u32 first fd
	PLAN_RLIMIT = 6,          // u32 resource, u64 soft, u64 hard, label
	PLAN_CHDIR = 7,           // u8 later, path\0: later runs only if the first was refused
	PLAN_CHOWN_STDIO = 8,     // u32 uid
	PLAN_SCHED_ATTR = 9,      // struct sched_attr (56 bytes), label
	PLAN_IOPRIO = 10,         // u32 ioprio value, label
	PLAN_MEMPOLICY = 11,      // u32 mode, u32 words, u64 mask[words], label
	PLAN_SECCOMP = 12,        // u64 flags, u32 instructions, struct sock_filter[], label
	PLAN_CAP_NAMES = 13,      // capability names by number, each NUL-terminated
	PLAN_CAP_BOUNDING = 14,   // u64 capabilities to keep
	PLAN_USER = 15,           // u32 uid, u32 gid, u32 count, u32 gids[count]
	PLAN_CAPSET = 16,         // u64 effective, permitted, inheritable, ambient
	PLAN_NO_NEW_PRIVS = 17,
	PLAN_UMASK = 18,          // u32 mask
	PLAN_WRITE_PROC = 19,     // path\0, value\0, label
	PLAN_PERSONALITY = 20,    // u32 persona, label
	PLAN_AFFINITY = 21,       // u32 bytes, mask, label
	PLAN_LOG = 22,            // a debug line for whoever waits
	PLAN_EXEC = 23,           // u32 argc, args\0..., env\0...: execve of the looked-up path
};

// The largest datagram either side sends or reads.
#define SYNC_MSG_MAX (64 * 1024)

#endif
