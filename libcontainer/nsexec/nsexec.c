// Runs before the Go runtime of a re-exec'd sprout starts any thread.
//
// setns() into a mount or user namespace is refused to a multi-threaded
// process, and a new pid or time namespace only applies to children, so a
// container's namespaces are entered here, single-threaded, from an ELF
// constructor. The parent drives this stage over a SOCK_SEQPACKET socket whose
// fd number is in _SPROUT_SYNCFD; when it is unset this file does nothing.
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

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

// Record types of the bootstrap message; keep in step with bootstrap.go.
enum {
	REC_END = 0,
	REC_CLONE_FLAGS = 1,
	REC_NS_PATH = 2,
	REC_TIME_OFFSETS = 3,
};

#define BOOTSTRAP_MAX (64 * 1024)

static int syncfd = -1;

static void send_msg(const char *msg)
{
	// A short write is impossible on SOCK_SEQPACKET; nothing to retry.
	if (send(syncfd, msg, strlen(msg), MSG_NOSIGNAL) < 0)
		_exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char buf[1024] = "error ";
	size_t off = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + off, sizeof(buf) - off, fmt, ap);
	va_end(ap);
	off = strlen(buf);
	snprintf(buf + off, sizeof(buf) - off, ": %s", strerror(errno));
	send_msg(buf);
	_exit(1);
}

static void wait_ack(const char *what)
{
	char buf[16];
	ssize_t n = recv(syncfd, buf, sizeof(buf), 0);

	if (n != 3 || memcmp(buf, "ack", 3) != 0) {
		errno = n < 0 ? errno : EPROTO;
		fail("waiting for the parent to %s", what);
	}
}

static void join_namespace(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail("open namespace %s", path);
	if (setns(fd, 0) < 0)
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

__attribute__((constructor)) static void nsexec(void)
{
	const char *env = getenv("_SPROUT_SYNCFD");
	static char buf[BOOTSTRAP_MAX];
	uint32_t flags = 0;
	const char *offsets = NULL;
	size_t offsets_len = 0;
	ssize_t n;
	size_t off;
	char msg[32];
	pid_t pid;

	if (env == NULL)
		return;
	syncfd = atoi(env);
	if (syncfd < 3)
		_exit(1);

	n = recv(syncfd, buf, sizeof(buf), 0);
	if (n < 0)
		fail("read bootstrap data");

	// The user namespace, if joined, comes first in the message so that the
	// namespaces joined after it are entered with its credentials.
	for (off = 0; off + 8 <= (size_t)n;) {
		uint32_t type, len;

		memcpy(&type, buf + off, 4);
		memcpy(&len, buf + off + 4, 4);
		off += 8;
		if (type == REC_END)
			break;
		if (len > (size_t)n - off) {
			errno = EPROTO;
			fail("bootstrap record %u overruns the message", type);
		}
		switch (type) {
		case REC_CLONE_FLAGS:
			if (len != 4) {
				errno = EPROTO;
				fail("bootstrap clone flags");
			}
			memcpy(&flags, buf + off, 4);
			break;
		case REC_NS_PATH:
			// The sender NUL-terminates paths.
			join_namespace(buf + off);
			break;
		case REC_TIME_OFFSETS:
			offsets = buf + off;
			offsets_len = len;
			break;
		default:
			errno = EPROTO;
			fail("unknown bootstrap record %u", type);
		}
		off += len;
	}

	if (flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0)
			fail("unshare user namespace");
		// The parent writes uid_map and gid_map: a process cannot map IDs it
		// does not own from inside the namespace.
		send_msg("usermap");
		wait_ack("write the ID mappings");
		// Without a mapping for root this fails, and the init then keeps
		// running as the overflow user until it sets process.user.
		if (setresgid(0, 0, 0) == 0)
			setresuid(0, 0, 0);
	}
	if (unshare(flags & ~CLONE_NEWUSER) < 0)
		fail("unshare namespaces 0x%x", flags & ~CLONE_NEWUSER);
	if (offsets != NULL)
		write_file("/proc/self/timens_offsets", offsets, offsets_len);

	// CLONE_PARENT makes the init a child of the sprout that started this
	// stage, so that `run` can wait for it and this stage can simply exit.
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		fail("clone the container init");
	if (pid == 0) {
		// The Go runtime starts next, in the new namespaces.
		return;
	}
	snprintf(msg, sizeof(msg), "pid %d", pid);
	send_msg(msg);
	_exit(0);
}
