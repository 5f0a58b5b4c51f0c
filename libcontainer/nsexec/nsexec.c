// Runs before the Go runtime of a re-exec'd sprout starts any thread.
//
// setns() into a mount or user namespace is refused to a multi-threaded
// process, and a new pid or time namespace only applies to children, so a
// container's namespaces are entered here, single-threaded, from an ELF
// constructor. The parent drives this stage over a SOCK_SEQPACKET socket whose
// fd number is in _SPROUT_SYNCFD, with the messages of sync.h; when it is
// unset this file does nothing.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "plan.h"
#include "sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif


#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

// The kernel's struct clone_args, up to the cgroup field (CLONE_ARGS_SIZE_VER2).
struct sprout_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

static int syncfd = -1;

// The fd an exec's process plan arrives on (REC_PLAN_FD), or -1.
static int planfd = -1;

static void send_msg(uint32_t type, const void *data, size_t len)
{
	// A short write is impossible on SOCK_SEQPACKET; nothing to retry.
	if (sprout_send(syncfd, type, data, len, -1) < 0)
		_exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char buf[1024];
	int saved = errno;
	size_t off;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	off = strlen(buf);
	snprintf(buf + off, sizeof(buf) - off, ": %s", strerror(saved));
	send_msg(SYNC_ERROR, buf, strlen(buf));
	_exit(1);
}

static void wait_ack(const char *what)
{
	uint32_t type;
	ssize_t n = recv(syncfd, &type, sizeof(type), 0);

	if (n != sizeof(type) || type != SYNC_ACK) {
		errno = n < 0 ? errno : EPROTO;
		fail("waiting for the parent to %s", what);
	}
}

// join_namespace takes a record of the namespace's clone flag followed by
// its NUL-terminated path.
static void join_namespace(const char *rec, size_t len)
{
	uint32_t type;
	const char *path = rec + 4;
	int fd;

	if (len < 6 || rec[len - 1] != '\0') {
		errno = EPROTO;
		fail("bad namespace record");
	}
	memcpy(&type, rec, 4);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open namespace %s", path);
	if (setns(fd, (int)type) < 0)
		fail("setns %s", path);
	close(fd);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		fail("open %s", path);
	if (write(fd, data, len) != (ssize_t)len)
		fail("write %s", path);
	close(fd);
}

// Moving oneself by writing 0 to a v1 "tasks" file migrates one thread,
// which the kernel does without the global threadgroup lock and its RCU
// grace period: this stage is single-threaded, so that moves the process.
static void join_v1(const char *tasks)
{
	write_file(tasks, "0", 1);
}

// The v2 cgroup.procs fd is opened up front: by the time a slow join is
// needed, this stage may be in the container's mount namespace, where the
// host's cgroup path means nothing.
static int procsfd = -1;

static void join_v2_slow(void)
{
	if (procsfd < 0)
		return;
	if (write(procsfd, "0", 1) != 1)
		fail("join cgroup");
	close(procsfd);
	procsfd = -1;
}

// clone_init creates the container's init as a child of our parent. With
// a v2 cgroup fd it is created straight in that cgroup (CLONE_INTO_CGROUP),
// again sparing a migration; where the kernel refuses, this stage joins
// the cgroup the slow way and forks plainly.
static pid_t clone_init(int cgfd)
{
	if (cgfd >= 0) {
		struct sprout_clone_args args;
		long pid;

		memset(&args, 0, sizeof(args));
		args.flags = CLONE_PARENT | CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgfd;
		pid = syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0)
			return (pid_t)pid;
		join_v2_slow();
	}
	return (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
}

// run_exec_plan turns this child into the exec'd process without a Go
// runtime ever starting in the container: the parent sends the process
// plan on planfd and closes it. Only a failure returns here, as
// SYNC_PLAN_ERROR: the errno, then what failed.
static void __attribute__((noreturn)) run_exec_plan(void)
{
	static struct plan_result res;
	size_t cap = 64 * 1024, len = 0;
	char *plan = malloc(cap);
	ssize_t n;

	if (plan == NULL)
		fail("read the process plan");
	for (;;) {
		if (len == cap) {
			char *bigger = realloc(plan, cap * 2);

			if (bigger == NULL)
				fail("read the process plan");
			plan = bigger;
			cap *= 2;
		}
		n = read(planfd, plan + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("read the process plan");
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(planfd);
	sprout_run_plan(plan, len, syncfd, &res);
	{
		char msg[4 + sizeof(res.msg)];
		uint32_t e = (uint32_t)res.errnum;
		size_t n = strlen(res.msg);

		memcpy(msg, &e, 4);
		memcpy(msg + 4, res.msg, n);
		sprout_send(syncfd, SYNC_PLAN_ERROR, msg, 4 + n, -1);
	}
	_exit(1);
}

__attribute__((constructor)) static void nsexec(void)
{
	const char *env = getenv("_SPROUT_SYNCFD");
	static char msgbuf[SYNC_MSG_MAX];
	const char *buf = msgbuf + 4, *cur = buf, *data = NULL;
	uint32_t flags = 0;
	const char *offsets = NULL;
	size_t offsets_len = 0;
	const uint32_t newcgroup = CLONE_NEWCGROUP;
	int cgnsfd = -1;
	int cgfd = -1;
	ssize_t n;
	uint32_t type, upid, rec = 0, len = 0;
	int r;
	pid_t pid;

	if (env == NULL)
		return;
	syncfd = atoi(env);
	if (syncfd < 3)
		_exit(1);

	n = recv(syncfd, msgbuf, sizeof(msgbuf), 0);
	if (n < 0)
		fail("read bootstrap data");
	// The parent gave up before sending it (a cgroup it could not make):
	// going on would clone an init nobody waits for.
	if (n == 0)
		_exit(1);
	memcpy(&type, msgbuf, sizeof(type));
	if (n < 4 || type != SYNC_BOOTSTRAP) {
		errno = EPROTO;
		fail("expected the bootstrap message");
	}
	n -= 4;

	// The cgroup records come first, then the user namespace if one is
	// joined, so that the namespaces joined after it are entered with its
	// credentials.
	while ((r = sprout_next_record(&cur, buf + n, &rec, &data, &len)) > 0) {
		switch (rec) {
		case REC_CLONE_FLAGS:
			if (len != 4) {
				errno = EPROTO;
				fail("bootstrap clone flags");
			}
			memcpy(&flags, data, 4);
			break;
		case REC_USERNS_PATH:
			// Inside the user namespace the host's cgroup files are no
			// longer ours to write: finish joining the cgroup first.
			if (cgfd >= 0) {
				join_v2_slow();
				close(cgfd);
				cgfd = -1;
			}
			join_namespace(data, len);
			break;
		case REC_NS_PATH:
			// A cgroup namespace is entered by the init itself, once it is
			// in its cgroup: from inside the namespace the cgroup is out of
			// reach for CLONE_INTO_CGROUP.
			if (len > 5 && memcmp(data, &newcgroup, 4) == 0) {
				// Opened now: the path may not resolve once this stage is
				// in the container's mount namespace.
				cgnsfd = open(data + 4, O_RDONLY | O_CLOEXEC);
				if (cgnsfd < 0)
					fail("open namespace %s", data + 4);
				break;
			}
			join_namespace(data, len);
			break;
		case REC_CGROUP_TASKS:
			join_v1(data);
			break;
		case REC_CGROUP_DIR: {
			char path[4096];

			cgfd = open(data, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (cgfd < 0)
				fail("open cgroup %s", data);
			snprintf(path, sizeof(path), "%s/cgroup.procs", data);
			procsfd = open(path, O_WRONLY | O_CLOEXEC);
			if (procsfd < 0)
				fail("open %s", path);
			break;
		}
		case REC_PLAN_FD:
			if (len != 4) {
				errno = EPROTO;
				fail("bootstrap plan fd");
			}
			memcpy(&planfd, data, 4);
			break;
		case REC_TIME_OFFSETS:
			offsets = data;
			offsets_len = len;
			break;
		default:
			errno = EPROTO;
			fail("unknown bootstrap record %u", rec);
		}
	}
	if (r < 0) {
		errno = EPROTO;
		fail("bootstrap record %u overruns the message", rec);
	}

	if ((flags & CLONE_NEWUSER) && cgfd >= 0) {
		join_v2_slow();
		close(cgfd);
		cgfd = -1;
	}
	if (flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0)
			fail("unshare user namespace");
		// The parent writes uid_map and gid_map: a process cannot map IDs it
		// does not own from inside the namespace.
		send_msg(SYNC_USERMAP, NULL, 0);
		wait_ack("write the ID mappings");
	}
	// The cgroup namespace waits for the init, which may only be in its
	// v2 cgroup once created.
	if (unshare(flags & ~(CLONE_NEWUSER | CLONE_NEWCGROUP)) < 0)
		fail("unshare namespaces 0x%x", flags & ~(CLONE_NEWUSER | CLONE_NEWCGROUP));
	// Before taking the namespace's root: a change of uid makes this stage
	// non-dumpable, its /proc/self files then belong to the host's root,
	// whom the new user namespace does not map, and the offsets could no
	// longer be opened.
	if (offsets != NULL)
		write_file("/proc/self/timens_offsets", offsets, offsets_len);
	if (flags & CLONE_NEWUSER) {
		// Without a mapping for root this fails, and the init then keeps
		// running as the overflow user until it sets process.user.
		if (setresgid(0, 0, 0) == 0)
			setresuid(0, 0, 0);
	}

	// CLONE_PARENT makes the init a child of the sprout that started this
	// stage, so that `run` can wait for it and this stage can simply exit.
	pid = clone_init(cgfd);
	if (pid < 0)
		fail("clone the container init");
	if (pid == 0) {
		// The cgroup fds must not be reachable from the container, not even
		// as /proc/self/fd/N for process.cwd (CVE-2024-21626).
		if (cgfd >= 0)
			close(cgfd);
		if (procsfd >= 0)
			close(procsfd);
		if ((flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
			fail("unshare cgroup namespace");
		if (cgnsfd >= 0) {
			if (setns(cgnsfd, CLONE_NEWCGROUP) < 0)
				fail("join cgroup namespace");
			close(cgnsfd);
		}
		if (planfd >= 0)
			run_exec_plan();
		// The Go runtime starts next, in the new namespaces.
		return;
	}
	if (procsfd >= 0)
		close(procsfd);
	upid = (uint32_t)pid;
	send_msg(SYNC_PID, &upid, sizeof(upid));
	_exit(0);
}
