// Runs in a container process between its set-up and execve: for an exec,
// in the C stage's child before any Go runtime exists; for the container's
// init, through cgo on the init's locked thread. Every call here changes
// the calling thread only (credentials, capabilities, seccomp), which is
// the thread that execs.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "plan.h"
#include "sync.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

// One plan's reading position and what its steps leave for later ones.
struct plan {
	const char *p, *end;
	int sock;
	struct plan_result *res;
	const char *cap_names, *cap_names_end;
	int cwd_refused;
};

// The program PLAN_LOOKPATH found, for PLAN_EXEC: the init looks it up
// before it reports ready and execs it after start, in a later plan.
static char program[4096];

const char *sprout_plan_program(void)
{
	return program;
}

static int failf(struct plan *pl, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failf(struct plan *pl, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pl->res->msg, sizeof(pl->res->msg), fmt, ap);
	va_end(ap);
	pl->res->errnum = errnum;
	return -1;
}

// send_iov sends one datagram, with fd as SCM_RIGHTS when it is not -1.
static int send_iov(int sock, struct iovec *iov, int n, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int sprout_send(int sock, uint32_t type, const void *data, size_t len, int fd)
{
	struct iovec iov[2] = {
		{ .iov_base = &type, .iov_len = sizeof(type) },
		{ .iov_base = (void *)data, .iov_len = len },
	};

	return send_iov(sock, iov, 2, fd);
}

// Readers of one operation's payload; each fails on a short payload.
struct args {
	const char *p, *end;
	int bad;
};

static uint32_t u32(struct args *a)
{
	uint32_t v = 0;

	if (a->end - a->p < 4) {
		a->bad = 1;
		return 0;
	}
	memcpy(&v, a->p, 4);
	a->p += 4;
	return v;
}

static uint64_t u64(struct args *a)
{
	uint64_t v = 0;

	if (a->end - a->p < 8) {
		a->bad = 1;
		return 0;
	}
	memcpy(&v, a->p, 8);
	a->p += 8;
	return v;
}

static const void *bytes(struct args *a, size_t n)
{
	const char *v = a->p;

	if ((size_t)(a->end - a->p) < n) {
		a->bad = 1;
		return NULL;
	}
	a->p += n;
	return v;
}

static const char *str(struct args *a)
{
	const char *v = a->p;
	const char *nul = memchr(a->p, '\0', a->end - a->p);

	if (nul == NULL) {
		a->bad = 1;
		return "";
	}
	a->p = nul + 1;
	return v;
}

static const char *cap_name(struct plan *pl, int n, char *buf, size_t len)
{
	const char *s = pl->cap_names;

	for (int i = 0; s != NULL && s < pl->cap_names_end; i++) {
		if (i == n)
			return s;
		s += strlen(s) + 1;
	}
	snprintf(buf, len, "capability %d", n);
	return buf;
}

int sprout_write_proc(const char *path, const char *value, size_t len)
{
	struct open_how how = { .flags = O_WRONLY | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
	struct statfs st;
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	ssize_t n;

	if (fd < 0)
		return -1;
	if (fstatfs(fd, &st) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (st.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	n = write(fd, value, len);
	if (n >= 0 && (size_t)n != len)
		errno = EIO;
	close(fd);
	return n >= 0 && (size_t)n == len ? 0 : -1;
}

// The pty of process.terminal, made in the container's devpts: its slave
// becomes stdio and the controlling terminal, its master goes over the
// console socket, as runc does. TIOCGPTPEER opens the slave of this very
// master, with no /dev/pts path to race on.
static int console(struct plan *pl, struct args *a)
{
	int sock = (int)u32(a);
	unsigned rows = u32(a), cols = u32(a);
	unsigned ptn = 0;
	int master, slave, unlock = 0;
	char name[64];

	if (a->bad)
		return failf(pl, EPROTO, "plan: bad console operation");
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return failf(pl, errno, "process.terminal: open /dev/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return failf(pl, errno, "process.terminal: unlock pty");
	if (ioctl(master, TIOCGPTN, &ptn) < 0)
		return failf(pl, errno, "process.terminal: pty number");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return failf(pl, errno, "process.terminal: open pty slave");
	if (rows != 0 || cols != 0) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };

		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return failf(pl, errno, "process.consoleSize");
	}
	for (int fd = 0; fd < 3; fd++)
		if (dup3(slave, fd, 0) < 0)
			return failf(pl, errno, "process.terminal: stdio");
	if (slave > 2)
		close(slave);
	if (setsid() < 0)
		return failf(pl, errno, "process.terminal: setsid");
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		return failf(pl, errno, "process.terminal: controlling terminal");
	snprintf(name, sizeof(name), "/dev/pts/%u", ptn);
	// runc's console socket protocol: the pty's name, its master attached.
	{
		struct iovec iov = { .iov_base = name, .iov_len = strlen(name) };

		if (send_iov(sock, &iov, 1, master) < 0)
			return failf(pl, errno, "--console-socket: send pty master");
	}
	close(master);
	close(sock);
	return 0;
}

// executable tells why p cannot be exec'd, as a stat would: 0 if it can.
static int executable(const char *p, const char **why)
{
	struct stat st;

	*why = NULL;
	if (stat(p, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode)) {
		*why = "is a directory";
		return EISDIR;
	}
	if ((st.st_mode & 0111) == 0) {
		*why = "is not executable";
		return EACCES;
	}
	return 0;
}

// lookpath resolves the program the way execvp would, with the PATH of the
// container's environment. Without a PATH there is nowhere to look, as in
// runc (no default list): a bare name is then not found, which an engine
// reports as its "not found" exit status.
static int lookpath(struct plan *pl, struct args *a)
{
	int has_path = (int)u32(a);
	const char *name = str(a), *path = str(a);
	const char *why;
	int e;

	if (a->bad)
		return failf(pl, EPROTO, "plan: bad lookpath operation");
	if (strlen(name) >= sizeof(program))
		return failf(pl, ENAMETOOLONG, "process.args[0]");
	if (strchr(name, '/') != NULL) {
		if ((e = executable(name, &why)) != 0) {
			if (why != NULL)
				return failf(pl, 0, "process.args[0] \"%s\": %s %s", name, name, why);
			return failf(pl, e, "process.args[0] \"%s\": stat %s", name, name);
		}
		snprintf(program, sizeof(program), "%s", name);
		return 0;
	}
	for (const char *dir = path; has_path && *path != '\0';) {
		const char *colon = strchr(dir, ':');
		size_t n = colon ? (size_t)(colon - dir) : strlen(dir);

		int len;

		if (n == 0)
			len = snprintf(program, sizeof(program), "./%s", name);
		else
			len = snprintf(program, sizeof(program), "%.*s/%s", (int)n, dir, name);
		if ((size_t)len < sizeof(program) && executable(program, &why) == 0)
			return 0;
		if (colon == NULL)
			break;
		dir = colon + 1;
	}
	program[0] = '\0';
	if (!has_path || *path == '\0')
		return failf(pl, 0, "process.args[0] \"%s\": executable file not found in $PATH (process.env has no PATH, or an empty one)", name);
	return failf(pl, 0, "process.args[0] \"%s\": executable file not found in $PATH (%s)", name, path);
}

// check_cwd resolves process.cwd inside the container's root without magic
// links, so a cwd like /proc/self/fd/N can never name a directory outside
// it (CVE-2024-21626).
static int check_cwd(struct plan *pl, const char *cwd)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, cwd, &how, sizeof(how));

	if (fd < 0)
		return failf(pl, errno, "process.cwd \"%s\": not a directory in the container", cwd);
	close(fd);
	return 0;
}

// cloexec_from marks every fd from first up close-on-exec, so that no fd of
// the runtime reaches the container's process; kernels before 5.11 lack
// CLOSE_RANGE_CLOEXEC, and there every fd is marked one by one.
static int cloexec_from(struct plan *pl, unsigned first)
{
	if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	for (int fd = (int)first; fd < 65536; fd++)
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
			return failf(pl, errno, "mark fd %d close-on-exec", fd);
	return 0;
}

// chown_stdio gives the process's stdio to its user, as runc does: the pty
// the init made, or a pipe of the caller, belongs to root otherwise, and a
// process that reopens /dev/stdout as another user could not. Only the
// owner changes (devpts may fix the group, tty); /dev/null is left alone,
// and so is a file whose owner cannot be changed from here (not mapped in
// the user namespace, on a read-only filesystem). The null device is told
// by its number: the container's /dev/null may be missing or anything.
static int chown_stdio(struct plan *pl, uid_t uid)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;

		if (fstat(fd, &st) < 0) {
			if (errno == EBADF)
				continue;
			return failf(pl, errno, "stdio fd %d", fd);
		}
		if (st.st_uid == uid || (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)))
			continue;
		if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
			return failf(pl, errno, "process.user.uid %u: give it stdio fd %d", uid, fd);
	}
	return 0;
}

// seccomp installs a compiled filter; without SECCOMP_FILTER_FLAG_TSYNC on
// the calling thread only. The notify fd goes to whoever waits at once: a
// profile may notify on a syscall made before execve, and only the
// listener can answer it.
static int seccomp(struct plan *pl, struct args *a)
{
	uint64_t flags = u64(a);
	uint32_t n = u32(a);
	const struct sock_filter *insns = bytes(a, (size_t)n * sizeof(struct sock_filter));
	const char *label = str(a);
	struct sock_fprog prog;
	long r;

	if (a->bad)
		return failf(pl, EPROTO, "plan: bad seccomp operation");
	prog.len = (unsigned short)n;
	prog.filter = (struct sock_filter *)insns;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0) {
		if (errno == EACCES)
			return failf(pl, errno, "%s (needs no_new_privs or CAP_SYS_ADMIN)", label);
		if (errno == ESRCH && (flags & SECCOMP_FILTER_FLAG_TSYNC))
			return failf(pl, errno, "linux.seccomp.flags: SECCOMP_FILTER_FLAG_TSYNC: another thread of the process has an incompatible filter");
		return failf(pl, errno, "%s", label);
	}
	if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		int e = sprout_send(pl->sock, SYNC_SECCOMP_FD, NULL, 0, (int)r) < 0 ? errno : 0;

		close((int)r);
		if (e != 0)
			return failf(pl, e, "linux.seccomp.listenerPath: hand over notify fd");
		return 0;
	}
	if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && r != 0)
		return failf(pl, 0, "linux.seccomp.flags: SECCOMP_FILTER_FLAG_TSYNC: thread %ld has an incompatible filter", r);
	return 0;
}

// cap_bounding drops from the bounding set every capability not kept,
// including those of a kernel newer than the runtime (EINVAL ends the
// list). Dropping needs CAP_SETPCAP, so this runs while still root; a
// refused drop of a capability already absent is no failure, so a plan
// that drops nothing needs no privilege. Dropping first and reading only
// on refusal spares a prctl per capability, each of which the host's LSMs
// see.
static int cap_bounding(struct plan *pl, uint64_t keep)
{
	char buf[32];

	for (int n = 0; n < 64; n++) {
		if (keep & (1ULL << n))
			continue;
		if (prctl(PR_CAPBSET_DROP, n, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			break;
		if (errno == EPERM && prctl(PR_CAPBSET_READ, n, 0, 0, 0) == 0)
			continue;
		return failf(pl, errno, "process.capabilities.bounding: drop %s", cap_name(pl, n, buf, sizeof(buf)));
	}
	return 0;
}

// set_user switches to process.user, keeping the capabilities across the
// uid change (PLAN_CAPSET restores exactly the requested ones after it).
// The raw system calls change the calling thread only, as the capabilities
// do: it is the thread that execs.
static int set_user(struct plan *pl, struct args *a)
{
	uint32_t uid = u32(a), gid = u32(a), n = u32(a);
	const uint32_t *raw = bytes(a, (size_t)n * 4);
	gid_t gids[1024];

	if (a->bad || n > 1024)
		return failf(pl, EPROTO, "plan: bad user operation");
	for (uint32_t i = 0; i < n; i++)
		memcpy(&gids[i], raw + i, 4);
	// With setgroups denied (an unprivileged user namespace) only an empty
	// request can be honoured, and it already is.
	if (syscall(SYS_setgroups, (size_t)n, gids) < 0 && (n > 0 || errno != EPERM))
		return failf(pl, errno, "process.user.additionalGids");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return failf(pl, errno, "keep capabilities");
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		return failf(pl, errno, "process.user.gid %u", gid);
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		return failf(pl, errno, "process.user.uid %u", uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return failf(pl, errno, "keep capabilities");
	return 0;
}

static void cap_list(struct plan *pl, uint64_t mask, char *out, size_t len)
{
	char buf[32];
	size_t off = 0;

	out[0] = '\0';
	for (int n = 0; n < 64 && off < len; n++) {
		if (!(mask & (1ULL << n)))
			continue;
		off += snprintf(out + off, len - off, "%s%s", off ? ", " : "", cap_name(pl, n, buf, sizeof(buf)));
	}
}

// capset_error explains a refused capset by the capset(2) rule the plan
// breaks: an EPERM alone does not tell which capability the runtime lacks.
static int capset_error(struct plan *pl, int e, uint64_t inh, uint64_t perm)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint64_t have_perm, have_inh, have_eff, bounding = 0;
	char names[512];

	if (e != EPERM || syscall(SYS_capget, &hdr, d) < 0)
		return failf(pl, e, "set effective, permitted and inheritable capabilities");
	have_perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	have_inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	have_eff = d[0].effective | (uint64_t)d[1].effective << 32;
	if (perm & ~have_perm) {
		cap_list(pl, perm & ~have_perm, names, sizeof(names));
		return failf(pl, e, "process.capabilities.permitted: %s not held by the runtime", names);
	}
	if (!(have_eff & (1ULL << CAP_SETPCAP)) && (inh & ~(have_inh | have_perm))) {
		cap_list(pl, inh & ~(have_inh | have_perm), names, sizeof(names));
		return failf(pl, e, "process.capabilities.inheritable: %s not held by the runtime", names);
	}
	for (int n = 0; n < 64; n++) {
		int in = prctl(PR_CAPBSET_READ, n, 0, 0, 0);

		if (in < 0)
			break;
		if (in == 1)
			bounding |= 1ULL << n;
	}
	if (inh & ~(have_inh | bounding)) {
		cap_list(pl, inh & ~(have_inh | bounding), names, sizeof(names));
		return failf(pl, e, "process.capabilities.inheritable: %s not in the bounding set", names);
	}
	return failf(pl, e, "set effective, permitted and inheritable capabilities");
}

// cap_set sets the effective, permitted and inheritable sets, then replaces
// the ambient set, which may hold capabilities the runtime was started with.
static int cap_set(struct plan *pl, struct args *a)
{
	uint64_t eff = u64(a), perm = u64(a), inh = u64(a), amb = u64(a);
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ .effective = (uint32_t)eff, .permitted = (uint32_t)perm, .inheritable = (uint32_t)inh },
		{ .effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(perm >> 32), .inheritable = (uint32_t)(inh >> 32) },
	};
	char buf[32];

	if (a->bad)
		return failf(pl, EPROTO, "plan: bad capset operation");
	if (syscall(SYS_capset, &hdr, d) < 0)
		return capset_error(pl, errno, inh, perm);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return failf(pl, errno, "process.capabilities.ambient: clear");
	for (int n = 0; n < 64; n++) {
		if (!(amb & (1ULL << n)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, n, 0, 0) < 0)
			return failf(pl, errno, "process.capabilities.ambient: raise %s", cap_name(pl, n, buf, sizeof(buf)));
	}
	return 0;
}

// exec_program execs what PLAN_LOOKPATH found, with the plan's arguments
// and environment: pointers into the plan, which stays valid until execve.
static int exec_program(struct plan *pl, struct args *a)
{
	uint32_t argc = u32(a);
	char **argv, **envp;
	size_t nenv = 0;
	const char *q;

	if (a->bad || argc == 0)
		return failf(pl, EPROTO, "plan: bad exec operation");
	for (q = a->p; q < a->end; q += strlen(q) + 1)
		nenv++;
	argv = calloc(nenv + 2, sizeof(char *));
	envp = calloc(nenv + 1, sizeof(char *));
	if (argv == NULL || envp == NULL)
		return failf(pl, ENOMEM, "exec %s", program);
	for (uint32_t i = 0; i < argc; i++)
		argv[i] = (char *)str(a);
	for (size_t i = 0; a->p < a->end; i++)
		envp[i] = (char *)str(a);
	if (a->bad)
		return failf(pl, EPROTO, "plan: bad exec operation");
	execve(program, argv, envp);
	return failf(pl, errno, "exec %s", program);
}

static int run_op(struct plan *pl, uint32_t op, struct args *a)
{
	switch (op) {
	case PLAN_SETSID:
		// A session of its own, as runc gives every container process:
		// criu refuses a tree whose session leader is outside it.
		if (setsid() < 0)
			return failf(pl, errno, "setsid");
		return 0;
	case PLAN_CONSOLE:
		return console(pl, a);
	case PLAN_LOOKPATH:
		return lookpath(pl, a);
	case PLAN_CHECK_CWD:
		return check_cwd(pl, str(a));
	case PLAN_CLOEXEC_FROM:
		return cloexec_from(pl, u32(a));
	case PLAN_RLIMIT: {
		struct { uint64_t cur, max; } rl;
		uint32_t res = u32(a);
		const char *label;

		rl.cur = u64(a);
		rl.max = u64(a);
		label = str(a);

		if (syscall(SYS_prlimit64, 0, res, &rl, NULL) < 0)
			return failf(pl, errno, "%s", label);
		return 0;
	}
	case PLAN_CHDIR: {
		uint32_t later = u32(a);
		const char *path = str(a);

		if (later && !pl->cwd_refused)
			return 0;
		if (chdir(path) == 0)
			return 0;
		// As root first, as runc does: the runtime may reach a cwd that the
		// process's user cannot, and the user one that root cannot (a
		// root-squashed volume), so a refusal is retried once the user is set.
		if (!later && (errno == EACCES || errno == EPERM)) {
			pl->cwd_refused = 1;
			return 0;
		}
		return failf(pl, errno, "process.cwd \"%s\"", path);
	}
	case PLAN_CHOWN_STDIO:
		return chown_stdio(pl, u32(a));
	case PLAN_SCHED_ATTR: {
		const void *attr = bytes(a, 56);
		const char *label = str(a);

		if (attr == NULL || syscall(SYS_sched_setattr, 0, attr, 0) < 0)
			return failf(pl, attr ? errno : EPROTO, "%s", label);
		return 0;
	}
	case PLAN_IOPRIO: {
		// IOPRIO_WHO_PROCESS with 0: the calling thread.
		uint32_t prio = u32(a);
		const char *label = str(a);

		if (syscall(SYS_ioprio_set, 1, 0, prio) < 0)
			return failf(pl, errno, "%s", label);
		return 0;
	}
	case PLAN_MEMPOLICY: {
		uint32_t mode = u32(a), words = u32(a);
		const void *mask = bytes(a, (size_t)words * 8);
		const char *label = str(a);

		// The kernel reads maxnode-1 bits.
		if (syscall(SYS_set_mempolicy, mode, words ? mask : NULL, words ? words * 64 + 1 : 0) < 0)
			return failf(pl, errno, "%s", label);
		return 0;
	}
	case PLAN_SECCOMP:
		return seccomp(pl, a);
	case PLAN_CAP_NAMES:
		pl->cap_names = a->p;
		pl->cap_names_end = a->end;
		a->p = a->end;
		return 0;
	case PLAN_CAP_BOUNDING:
		return cap_bounding(pl, u64(a));
	case PLAN_USER:
		return set_user(pl, a);
	case PLAN_CAPSET:
		return cap_set(pl, a);
	case PLAN_NO_NEW_PRIVS:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return failf(pl, errno, "process.noNewPrivileges");
		return 0;
	case PLAN_UMASK:
		umask(u32(a));
		return 0;
	case PLAN_WRITE_PROC: {
		const char *path = str(a), *value = str(a), *label = str(a);

		if (sprout_write_proc(path, value, strlen(value)) < 0)
			return failf(pl, errno, "%s \"%s\": %s", label, value, path);
		return 0;
	}
	case PLAN_PERSONALITY: {
		uint32_t persona = u32(a);
		const char *label = str(a);

		if (syscall(SYS_personality, persona) < 0)
			return failf(pl, errno, "%s", label);
		return 0;
	}
	case PLAN_AFFINITY: {
		uint32_t n = u32(a);
		const void *mask = bytes(a, n);
		const char *label = str(a);

		if (mask == NULL || syscall(SYS_sched_setaffinity, 0, n, mask) < 0)
			return failf(pl, mask ? errno : EPROTO, "%s", label);
		return 0;
	}
	case PLAN_LOG:
		sprout_send(pl->sock, SYNC_LOG, a->p, a->end - a->p, -1);
		a->p = a->end;
		return 0;
	case PLAN_EXEC:
		return exec_program(pl, a);
	default:
		return failf(pl, EPROTO, "plan: unknown operation %u", op);
	}
}

int sprout_next_record(const char **p, const char *end, uint32_t *type, const char **data, uint32_t *len)
{
	if (end - *p < 8)
		return 0;
	memcpy(type, *p, 4);
	memcpy(len, *p + 4, 4);
	*p += 8;
	if (*type == 0)
		return 0;
	if (*len > (size_t)(end - *p))
		return -1;
	*data = *p;
	*p += *len;
	return 1;
}

int sprout_run_plan(const char *buf, size_t len, int sock, struct plan_result *res)
{
	struct plan pl = { .p = buf, .end = buf + len, .sock = sock, .res = res };
	const char *data;
	uint32_t op, n;
	int r;

	res->errnum = 0;
	res->msg[0] = '\0';
	while ((r = sprout_next_record(&pl.p, pl.end, &op, &data, &n)) > 0) {
		struct args a = { .p = data, .end = data + n };

		if (run_op(&pl, op, &a) < 0)
			return -1;
		if (a.bad)
			return failf(&pl, EPROTO, "plan: operation %u is too short", op);
	}
	if (r < 0)
		return failf(&pl, EPROTO, "plan: operation %u overruns the plan", op);
	return 0;
}
