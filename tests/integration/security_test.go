package integration

// Confinement through real containers: capabilities, seccomp, LSM config,
// and one regression test for each runc escape sprout must not repeat.
// Each escape test builds its hostile rootfs and checks from the host that
// nothing outside the container changed.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/spec"
)

// --- capabilities ---

func TestSecCapabilitiesExact(t *testing.T) {
	bnd := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
		"CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE"}
	// CAP_SYS_ADMIN is permitted but not in the bounding set, and
	// CAP_DAC_OVERRIDE is in the bounding set but not permitted: execve
	// must drop both, each for its own reason.
	prm := []string{"CAP_CHOWN", "CAP_FOWNER", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
		"CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_ADMIN"}
	eff := []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	inh := []string{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT"}
	amb := []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"}
	B, P, I, A := capMask(t, bnd), capMask(t, prm), capMask(t, inh), capMask(t, amb)
	// The process is cat itself, so what it reports are the sets the
	// kernel derived at the init's execve (capabilities(7)): the effective
	// set given is not observable afterwards. For root without file
	// capabilities P' = B|I (limited to P under no_new_privs) | A and
	// E' = P'; for any other uid P' = E' = A. I, A and B pass unchanged.
	for _, tc := range []struct {
		name     string
		uid      uint32
		nnp      bool
		prm, eff uint64
	}{
		{"root no_new_privs", 0, true, (B|I)&P | A, (B|I)&P | A},
		{"root", 0, false, B | I | A, B | I | A},
		{"uid 1000", 1000, true, A, A},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "cat", "/proc/self/status")
			b.spec.Process.User = specs.User{UID: tc.uid, GID: tc.uid}
			b.spec.Process.NoNewPrivileges = tc.nnp
			b.spec.Process.Capabilities = &specs.LinuxCapabilities{
				Bounding: bnd, Effective: eff, Permitted: prm, Inheritable: inh, Ambient: amb,
			}
			got := parseProcCaps(t, r.output(b))
			want := procCaps{Bnd: B, Eff: tc.eff, Prm: tc.prm, Inh: I, Amb: A, NoNewPrivs: "0"}
			if tc.nnp {
				want.NoNewPrivs = "1"
			}
			if got != want {
				t.Fatalf("capabilities in the container:\n got %+v\nwant %+v", fmtCaps(got), fmtCaps(want))
			}
		})
	}
}

func fmtCaps(c procCaps) string {
	return fmt.Sprintf("bnd %016x eff %016x prm %016x inh %016x amb %016x nnp %s", c.Bnd, c.Eff, c.Prm, c.Inh, c.Amb, c.NoNewPrivs)
}

// A capability left out must really be missing, and the same operations
// must work once it is given (or the test could not fail).
func TestSecDroppedCapabilityFails(t *testing.T) {
	script := "touch /tmp/f; chown 1:1 /tmp/f; echo chown=$?; mknod /tmp/n c 1 3; echo mknod=$?"
	for _, tc := range []struct {
		name  string
		caps  []string
		want  string
		owner uint32
		node  bool
	}{
		{"dropped", []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}, "chown=1\nmknod=1\n", 0, false},
		{"granted", []string{"CAP_CHOWN", "CAP_MKNOD", "CAP_KILL"}, "chown=0\nmknod=0\n", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, script)
			b.spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: tc.caps, Effective: tc.caps, Permitted: tc.caps}
			res := r.run(b, "caps-"+tc.name)
			if res.code != 0 || res.stdout != tc.want {
				t.Fatalf("exit %d, stdout %q (want %q), stderr %q", res.code, res.stdout, tc.want, res.stderr)
			}
			if !tc.node && strings.Count(res.stderr, "Operation not permitted") != 2 {
				t.Errorf("chown and mknod should both fail with EPERM: %q", res.stderr)
			}
			var st unix.Stat_t
			if err := unix.Stat(filepath.Join(b.dir, "rootfs/tmp/f"), &st); err != nil || st.Uid != tc.owner {
				t.Errorf("/tmp/f owner %d (%v), want %d", st.Uid, err, tc.owner)
			}
			err := unix.Lstat(filepath.Join(b.dir, "rootfs/tmp/n"), &st)
			if made := err == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == unix.Mkdev(1, 3); made != tc.node {
				t.Errorf("device node made: %v, want %v (%v)", made, tc.node, err)
			}
		})
	}
}

// A non-root process keeps exactly its ambient set through execve and can
// use it; without the ambient capability the same bind must fail.
func TestSecAmbientNonRoot(t *testing.T) {
	script := "grep -E '^Cap(Amb|Eff|Prm):' /proc/self/status; nc -l -p 80 & p=$!; sleep 0.5; kill $p 2>/dev/null && echo bound || echo refused"
	nbs := []string{"CAP_NET_BIND_SERVICE"}
	bit := fmt.Sprintf("%016x", capMask(t, nbs))
	for _, tc := range []struct {
		name    string
		ambient []string
		set     string
		want    string
	}{
		{"ambient", nbs, bit, "bound"},
		{"no ambient", nil, "0000000000000000", "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, script)
			b.spec.Process.User = specs.User{UID: 1000, GID: 1000}
			b.spec.Process.Capabilities = &specs.LinuxCapabilities{
				Bounding: nbs, Effective: nbs, Permitted: nbs, Inheritable: nbs, Ambient: tc.ambient,
			}
			out := r.output(b)
			for _, want := range []string{"CapAmb:\t" + tc.set, "CapEff:\t" + tc.set, "CapPrm:\t" + tc.set, tc.want} {
				if !hasLine(out, want) {
					t.Errorf("missing %q in:\n%s", want, out)
				}
			}
		})
	}
}

func TestSecUnknownCapability(t *testing.T) {
	const bogus = "CAP_SPROUT_BOGUS"
	for _, field := range []string{"bounding", "effective", "permitted", "inheritable", "ambient"} {
		t.Run(field, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "true")
			good := []string{"CAP_KILL"}
			c := &specs.LinuxCapabilities{Bounding: good, Effective: good, Permitted: good, Inheritable: good, Ambient: good}
			set := map[string]*[]string{"bounding": &c.Bounding, "effective": &c.Effective, "permitted": &c.Permitted,
				"inheritable": &c.Inheritable, "ambient": &c.Ambient}[field]
			*set = append(append([]string(nil), good...), bogus)
			b.spec.Process.Capabilities = c
			b.save(t)
			res := r.sprout("create", "--bundle", b.dir, "badcap")
			if res.code == 0 {
				t.Fatal("create accepted an unknown capability")
			}
			if !strings.Contains(res.stderr, bogus) || !strings.Contains(res.stderr, "process.capabilities."+field) {
				t.Errorf("error %q should name %s and process.capabilities.%s", res.stderr, bogus, field)
			}
			if entries, _ := os.ReadDir(r.root); len(entries) != 0 {
				t.Errorf("state left behind: %v", entries)
			}
		})
	}
}

// --- seccomp ---

func uintp(v uint) *uint { return &v }

// allowList is a Docker-default-like profile body: what busybox and the
// runtime's last steps before execve need, nothing else (mkdir and mkdirat
// are left out on purpose).
var allowList = []string{
	"access", "arch_prctl", "brk", "capget", "capset", "chdir", "chmod", "chown", "clock_getres",
	"clock_gettime", "clock_nanosleep", "clone", "clone3", "close", "close_range", "dup", "dup2",
	"dup3", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "eventfd2", "execve",
	"execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fchdir", "fchmod",
	"fchmodat", "fchown", "fchownat", "fcntl", "fstat", "fstatfs", "fsync", "ftruncate", "futex",
	"getcwd", "getdents64", "getegid", "geteuid", "getgid", "getgroups", "getpgid", "getpgrp",
	"getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresuid", "getrlimit",
	"get_robust_list", "getrusage", "getsid", "gettid", "gettimeofday", "getuid", "getxattr", "ioctl",
	"kill", "lgetxattr", "link", "linkat", "listxattr", "lseek", "lstat", "madvise", "membarrier",
	"mmap", "mprotect", "mremap", "munmap", "nanosleep", "newfstatat", "open", "openat", "openat2",
	"pause", "pipe", "pipe2", "poll", "ppoll", "prctl", "pread64", "prlimit64", "pselect6", "pwrite64",
	"read", "readlink", "readlinkat", "readv", "rename", "renameat", "renameat2", "restart_syscall",
	"rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigreturn",
	"rt_sigsuspend", "rt_sigtimedwait", "sched_getaffinity", "sched_yield", "select",
	"set_robust_list", "set_tid_address", "setgid", "setgroups", "setpgid", "setresgid", "setresuid",
	"setsid", "setuid", "sigaltstack", "stat", "statfs", "statx", "symlink", "symlinkat", "sysinfo",
	"tgkill", "tkill", "umask", "uname", "unlink", "unlinkat", "utimensat", "vfork", "wait4",
	"waitid", "write", "writev",
}

func TestSecSeccompAllowList(t *testing.T) {
	// With no_new_privs the filter comes last before execve; without it,
	// before the capabilities are dropped: both must survive the profile.
	for _, nnp := range []bool{true, false} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "echo started; ls /bin/busybox; grep Seccomp: /proc/self/status; mkdir /tmp/denied; echo mkdir=$?")
			b.spec.Process.NoNewPrivileges = nnp
			b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActErrno,
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
				Syscalls:      []specs.LinuxSyscall{{Names: allowList, Action: specs.ActAllow}},
			}
			res := r.run(b, "allowlist")
			if res.code != 0 || res.stdout != "started\n/bin/busybox\nSeccomp:\t2\nmkdir=1\n" {
				t.Fatalf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stderr, "Operation not permitted") {
				t.Errorf("mkdir should fail with the default EPERM: %q", res.stderr)
			}
			if _, err := os.Lstat(filepath.Join(b.dir, "rootfs/tmp/denied")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the denied mkdir happened: %v", err)
			}
		})
	}
}

func TestSecSeccompErrno(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "mkdir /tmp/d; echo mkdir=$?; ln -s x /tmp/l; echo symlink=$?; touch /tmp/ok && echo touch=0")
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EPERM))},
			{Names: []string{"symlink", "symlinkat"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EXDEV))},
		},
	}
	res := r.run(b, "errno")
	if res.code != 0 || res.stdout != "mkdir=1\nsymlink=1\ntouch=0\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	for _, msg := range []string{"Operation not permitted", "Invalid cross-device link"} {
		if !strings.Contains(res.stderr, msg) {
			t.Errorf("stderr %q lacks %q", res.stderr, msg)
		}
	}
	for _, p := range []string{"tmp/d", "tmp/l"} {
		if _, err := os.Lstat(filepath.Join(b.dir, "rootfs", p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("/%s was created despite the filter: %v", p, err)
		}
	}
}

func TestSecSeccompArgs(t *testing.T) {
	r := newRuntime(t)
	// kill(2) is refused for SIGUSR1 only; open and openat are refused
	// when O_CREAT is among the flags (SCMP_CMP_MASKED_EQ).
	b := newBundle(t, `trap 'echo got-usr1' USR1; trap 'echo got-usr2' USR2
kill -USR1 $$; echo usr1=$?; kill -USR2 $$; echo usr2=$?
read line </etc/group; echo read=$?; echo x > /tmp/new; echo create=$?`)
	creat := uint64(unix.O_CREAT)
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"kill"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EPERM)),
				Args: []specs.LinuxSeccompArg{{Index: 1, Op: specs.OpEqualTo, Value: uint64(unix.SIGUSR1)}}},
			{Names: []string{"open"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EROFS)),
				Args: []specs.LinuxSeccompArg{{Index: 1, Op: specs.OpMaskedEqual, Value: creat, ValueTwo: creat}}},
			{Names: []string{"openat"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EROFS)),
				Args: []specs.LinuxSeccompArg{{Index: 2, Op: specs.OpMaskedEqual, Value: creat, ValueTwo: creat}}},
		},
	}
	res := r.run(b, "args")
	if want := "usr1=1\ngot-usr2\nusr2=0\nread=0\ncreate=1\n"; res.code != 0 || res.stdout != want {
		t.Fatalf("exit %d, stdout %q (want %q), stderr %q", res.code, res.stdout, want, res.stderr)
	}
	if !strings.Contains(res.stderr, "Read-only file system") {
		t.Errorf("the create should fail with EROFS: %q", res.stderr)
	}
	if _, err := os.Lstat(filepath.Join(b.dir, "rootfs/tmp/new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("/tmp/new was created despite the filter: %v", err)
	}
}

func TestSecSeccompKillProcess(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "mkdir", "/tmp/x")
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActKillProcess}},
	}
	res := r.run(b, "killproc")
	if res.code != 128+int(unix.SIGSYS) {
		t.Fatalf("exit %d, want %d (SIGSYS): stdout %q stderr %q", res.code, 128+int(unix.SIGSYS), res.stdout, res.stderr)
	}
	if _, err := os.Lstat(filepath.Join(b.dir, "rootfs/tmp/x")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("mkdir ran despite the filter: %v", err)
	}
}

// runtime-tools' linux_seccomp blocks getcwd: the runtime must not need it
// once the filter is in place.
func TestSecSeccompBlocksGetcwd(t *testing.T) {
	for _, nnp := range []bool{true, false} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "exec >/tmp/out 2>&1; cd /tmp; echo running; /bin/pwd; echo pwd=$?")
			b.spec.Process.NoNewPrivileges = nnp
			b.spec.Process.Cwd = "/etc"
			b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno}},
			}
			b.save(t)
			r.must("create", "--bundle", b.dir, "nogetcwd")
			r.must("start", "nogetcwd")
			r.waitStatus("nogetcwd", specs.StateStopped)
			out, _ := os.ReadFile(filepath.Join(b.dir, "rootfs/tmp/out"))
			if !strings.HasPrefix(string(out), "running\n") || !strings.HasSuffix(string(out), "pwd=1\n") ||
				!strings.Contains(string(out), "Operation not permitted") {
				t.Fatalf("container output %q: want it running with getcwd refused", out)
			}
			r.must("delete", "nogetcwd")
		})
	}
}

func TestSecSeccompNotify(t *testing.T) {
	r := newRuntime(t)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := startSeccompAgent(t, sock, unix.EDQUOT, 30*time.Second)
	b := newBundle(t, "exec >/tmp/out 2>&1; mkdir /tmp/notified; echo mkdir=$?")
	b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction:    specs.ActAllow,
		ListenerPath:     sock,
		ListenerMetadata: "sprout-test-metadata",
		Syscalls:         []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify}},
	}
	b.save(t)
	const id = "notify"
	r.must("create", "--bundle", b.dir, id)
	pid := r.mustState(id).Pid
	r.must("start", id)
	var rep agentReport
	select {
	case rep = <-agent:
	case <-time.After(40 * time.Second):
		t.Fatal("the seccomp agent never finished")
	}
	if rep.err != nil {
		t.Fatalf("agent: %v", rep.err)
	}
	r.waitStatus(id, specs.StateStopped)
	out, _ := os.ReadFile(filepath.Join(b.dir, "rootfs/tmp/out"))
	if !strings.Contains(string(out), "Disk quota exceeded") || !strings.HasSuffix(string(out), "mkdir=1\n") {
		t.Errorf("container output %q: mkdir should fail with the agent's EDQUOT", out)
	}
	if _, err := os.Lstat(filepath.Join(b.dir, "rootfs/tmp/notified")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the notified mkdir went through: %v", err)
	}
	st := rep.state
	if st.Pid != pid || st.State.Pid != pid || st.State.ID != id || st.Metadata != "sprout-test-metadata" ||
		len(st.Fds) != 1 || st.Fds[0] != specs.SeccompFdName || st.Version == "" {
		t.Errorf("agent got state %+v, want pid %d and id %s", st, pid, id)
	}
	if len(rep.syscalls) != 1 || (rep.syscalls[0] != "mkdir" && rep.syscalls[0] != "mkdirat") {
		t.Errorf("agent was notified of %v, want one mkdir", rep.syscalls)
	}
	if len(rep.parents) != 1 || rep.parents[0] != pid {
		t.Errorf("notifying process had parent %v, want the container's shell %d", rep.parents, pid)
	}
	r.must("delete", id)
}

// --- LSMs (neither is enabled on the hosts this suite targets) ---

func apparmorOn() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.HasPrefix(string(b), "Y")
}

func selinuxOn() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}

func TestSecLSMWithoutLSM(t *testing.T) {
	for _, tc := range []struct {
		field string
		on    bool
		set   func(p *specs.Process)
	}{
		{"process.apparmorProfile", apparmorOn(), func(p *specs.Process) { p.ApparmorProfile = "sprout-test" }},
		{"process.selinuxLabel", selinuxOn(), func(p *specs.Process) { p.SelinuxLabel = "system_u:system_r:container_t:s0" }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			if tc.on {
				t.Skipf("the LSM behind %s is enabled on this host", tc.field)
			}
			r := newRuntime(t)
			b := newBundle(t, "true")
			tc.set(b.spec.Process)
			b.save(t)
			res := r.sprout("create", "--bundle", b.dir, "lsm")
			if res.code == 0 {
				t.Fatalf("create accepted %s on a host without the LSM", tc.field)
			}
			if !strings.Contains(res.stderr, tc.field) {
				t.Errorf("error %q does not name %s", res.stderr, tc.field)
			}
			if entries, _ := os.ReadDir(r.root); len(entries) != 0 {
				t.Errorf("state left behind: %v", entries)
			}
		})
	}
}

func TestSecMountLabelWithoutSELinux(t *testing.T) {
	if selinuxOn() {
		t.Skip("SELinux is enabled on this host")
	}
	r := newRuntime(t)
	b := newBundle(t, "cat /proc/self/mountinfo")
	b.spec.Linux.MountLabel = "system_u:object_r:container_file_t:s0:c1,c2"
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs"})
	out := r.output(b)
	if strings.Contains(out, "context=") {
		t.Errorf("mount label reached the kernel:\n%s", out)
	}
	if mountLine(out, "/data") == nil {
		t.Errorf("the tmpfs was not mounted:\n%s", out)
	}
}

// --- escapes that hit runc ---

// exeAttack runs in a container as root with the default capabilities: it
// waits for a process of its pid namespace that runs something other than
// busybox and that it may inspect, keeps that process's exe open, and once
// told to (/tmp/go) writes through it. Its findings go to /tmp/got and
// /tmp/result. "command" keeps a failed open (the process just exited)
// from ending the shell.
const exeAttack = `while :; do
  for d in /proc/[0-9]*; do
    [ "${d#/proc/}" = "$$" ] && continue
    [ -r $d/exe ] || continue
    cmp -s $d/exe /bin/busybox && continue
    command exec 3<$d/exe 2>/dev/null || continue
    echo ${d#/proc/} > /tmp/got
    until [ -e /tmp/go ]; do usleep 20000; done
    if printf PWNED 1<>/proc/self/fd/3; then echo written; else echo refused; fi > /tmp/result 2>&1
    exit 0
  done
  usleep 20000
done`

// startExeAttacker starts a container running exeAttack and returns its
// bundle and init pid.
func startExeAttacker(t *testing.T, r *runtime, id string) (*bundle, int) {
	t.Helper()
	b := newBundle(t, exeAttack)
	addRuntimeLibs(t, filepath.Join(b.dir, "rootfs"))
	b.save(t)
	r.must("create", "--bundle", b.dir, id)
	pid := r.mustState(id).Pid
	r.must("start", id)
	return b, pid
}

// finishExeAttack lets the attacker write once nothing runs the binary any
// more, then checks the binary from the host.
func finishExeAttack(t *testing.T, attacker *bundle, grabbed bool, bin, digest string) {
	t.Helper()
	if grabbed {
		if err := os.WriteFile(filepath.Join(attacker.dir, "rootfs/tmp/go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		res, _ := pollFile(t, filepath.Join(attacker.dir, "rootfs/tmp/result"), 10*time.Second)
		t.Logf("attacker's write: %q", res)
	}
	if fileDigest(t, bin) != digest {
		t.Errorf("CVE-2019-5736: a container rewrote the host's sprout binary %s through /proc/<pid>/exe", bin)
	}
}

// releaseFifo opens the read end of a FIFO the runtime's binary blocks on
// in the container; closing it is the caller's.
func releaseFifo(t *testing.T, fifo string) *os.File {
	t.Helper()
	rd, err := os.OpenFile(fifo, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// CVE-2019-5736: the container overwrites the runtime's binary through
// /proc/<pid>/exe of a process running it. Each case attacks a copy of the
// binary.
func TestSecCVE20195736RuntimeBinary(t *testing.T) {
	t.Run("created init", func(t *testing.T) {
		r := newRuntime(t)
		privateSprout(t)
		b := newBundle(t, "true")
		b.save(t)
		r.must("create", "--bundle", b.dir, "exe-created")
		defer r.must("delete", "--force", "exe-created")
		pid := r.mustState("exe-created").Pid
		exe := fmt.Sprintf("/proc/%d/exe", pid)
		target, _ := os.Readlink(exe)
		t.Logf("the waiting init runs %s", target)
		fd, err := unix.Open(exe, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
			t.Fatalf("%s (%s) opened for writing while the init waits for start", exe, target)
		}
		if !errors.Is(err, unix.ETXTBSY) && !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EROFS) && !errors.Is(err, unix.EPERM) {
			t.Fatalf("open %s for writing: %v, want ETXTBSY, EACCES, EROFS or EPERM", exe, err)
		}
	})

	// The victim container's process is the runtime's binary itself
	// (args[0] /proc/self/exe resolves to the init's executable), kept
	// alive by a FIFO; it runs in the attacker's pid namespace with the
	// attacker's capabilities.
	t.Run("process is /proc/self/exe", func(t *testing.T) {
		r := newRuntime(t)
		bin := privateSprout(t)
		digest := fileDigest(t, bin)
		attacker, apid := startExeAttacker(t, r, "exe-attacker")
		victim := newBundle(t, "/proc/self/exe", "--log", "/tmp/fifo", "list")
		for i, ns := range victim.spec.Linux.Namespaces {
			if ns.Type == specs.PIDNamespace {
				victim.spec.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/pid", apid)
			}
		}
		addRuntimeLibs(t, filepath.Join(victim.dir, "rootfs"))
		fifo := filepath.Join(victim.dir, "rootfs/tmp/fifo")
		if err := unix.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		victim.save(t)
		r.must("create", "--bundle", victim.dir, "exe-victim")
		vpid := r.mustState("exe-victim").Pid
		r.must("start", "exe-victim")

		got, grabbed := pollFile(t, filepath.Join(attacker.dir, "rootfs/tmp/got"), 10*time.Second)
		if grabbed {
			t.Logf("the attacker opened /proc/%s/exe", strings.TrimSpace(string(got)))
		}
		// Let the victim go: it opens its log, lists, exits.
		defer releaseFifo(t, fifo).Close()
		deadline := time.Now().Add(10 * time.Second)
		for !processGone(vpid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !processGone(vpid) {
			t.Fatalf("the victim (pid %d) never exited", vpid)
		}
		finishExeAttack(t, attacker, grabbed, bin, digest)
	})

	// The original attack: a process exec'd into the container turns into
	// the runtime's binary.
	t.Run("exec of /proc/self/exe", func(t *testing.T) {
		r := newRuntime(t)
		if res := r.sprout("exec", "--help"); res.code != 0 {
			t.Skip("this sprout has no exec command")
		}
		bin := privateSprout(t)
		digest := fileDigest(t, bin)
		attacker, _ := startExeAttacker(t, r, "exe-exec")
		if res := r.sprout("exec", "exe-exec", "true"); res.code != 0 {
			t.Fatalf("sprout exec cannot run a process, so the attack cannot be staged: exit %d: %s", res.code, strings.TrimSpace(res.stderr))
		}
		fifo := filepath.Join(attacker.dir, "rootfs/tmp/fifo")
		if err := unix.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "--root", r.root, "exec", "exe-exec", "/proc/self/exe", "--log", "/tmp/fifo", "list")
		out, err := os.CreateTemp(t.TempDir(), "exec-out")
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		got, grabbed := pollFile(t, filepath.Join(attacker.dir, "rootfs/tmp/got"), 10*time.Second)
		if grabbed {
			t.Logf("the attacker opened /proc/%s/exe", strings.TrimSpace(string(got)))
		}
		defer releaseFifo(t, fifo).Close()
		select {
		case err := <-done:
			msg, _ := os.ReadFile(out.Name())
			t.Logf("sprout exec: %v: %q", err, msg)
			if err != nil {
				t.Errorf("sprout exec of /proc/self/exe failed, so the attack was never tried: %v: %s", err, msg)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatal("sprout exec never returned")
		}
		finishExeAttack(t, attacker, grabbed, bin, digest)
	})
}

// CVE-2024-21626: a cwd through a leaked fd of the init lands on the host.
func TestSecCVE202421626LeakedFdCwd(t *testing.T) {
	r := newRuntime(t)
	// Inside: the cwd must be reachable from the container's root and be
	// what that path names there.
	script := `c=$(stat -c %d:%i .); p=$(/bin/pwd 2>/dev/null)
case "$p" in /*) [ "$(stat -c %d:%i "$p" 2>/dev/null)" = "$c" ] && { echo "inside $p"; exit 0; } ;; esac
echo "OUTSIDE pwd=$p cwd=$(readlink /proc/self/cwd)"; ls -a .. | tr '\n' ' '`
	for n := 3; n <= 20; n++ {
		cwd := fmt.Sprintf("/proc/self/fd/%d", n)
		t.Run(cwd, func(t *testing.T) {
			b := newBundle(t, script)
			b.spec.Process.Cwd = cwd
			res := r.run(b, fmt.Sprintf("cwd%d", n))
			switch {
			case res.code != 0 && strings.Contains(res.stderr, "process.cwd"):
				t.Logf("refused: %s", strings.TrimSpace(res.stderr))
			case res.code == 0 && strings.HasPrefix(res.stdout, "inside /"):
				t.Logf("ran in %s", strings.TrimSpace(res.stdout))
			default:
				t.Errorf("CVE-2024-21626: process.cwd %s: exit %d, stdout %q, stderr %q", cwd, res.code, res.stdout, res.stderr)
			}
		})
	}
}

// CVE-2021-30465: a mount destination that is, or races to become, a
// symlink leading out of the rootfs.
func TestSecCVE202130465SymlinkDestination(t *testing.T) {
	volume := t.TempDir()
	if err := os.WriteFile(filepath.Join(volume, "vol-file"), []byte("volume\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mounts := func(dest string) []specs.Mount {
		return []specs.Mount{
			{Destination: dest + "/sub", Type: "tmpfs", Source: "tmpfs"},
			{Destination: dest + "/vol", Type: "bind", Source: volume, Options: []string{"rbind"}},
		}
	}

	// Links are resolved inside the rootfs, as the kernel resolves a path
	// within a root: an absolute one from the rootfs, ".." past the top
	// stays at the top. With the target present there the mounts land on
	// it, and a dangling one may only be refused (pathrs does not create
	// through dangling links).
	for _, link := range []struct{ name, prefix string }{
		{"absolute link", "/"},
		{"relative link climbing out", strings.Repeat("../", 20)},
		{"absolute link climbing out", "/../../../"},
	} {
		for _, dangling := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, dangling=%v", link.name, dangling), func(t *testing.T) {
				r := newRuntime(t)
				outside := t.TempDir()
				b := newBundle(t, "grep -c ' "+outside+"/sub ' /proc/self/mountinfo; cat /evil/vol/vol-file")
				if err := os.Symlink(link.prefix+strings.TrimPrefix(outside, "/"), filepath.Join(b.dir, "rootfs/evil")); err != nil {
					t.Fatal(err)
				}
				if !dangling {
					if err := os.MkdirAll(filepath.Join(b.dir, "rootfs", outside), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				b.spec.Mounts = append(b.spec.Mounts, mounts("/evil")...)
				res := r.run(b, "link")
				switch {
				case res.code == 0 && res.stdout == "1\nvolume\n":
					if _, err := os.Stat(filepath.Join(b.dir, "rootfs", outside, "sub")); err != nil {
						t.Errorf("no mount point inside the rootfs: %v", err)
					}
				case res.code != 0 && dangling && strings.Contains(res.stderr, "/evil/sub"):
					t.Logf("refused: %s", strings.TrimSpace(res.stderr))
				default:
					t.Errorf("the mounts did not land on the link's target inside the rootfs: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
				}
				assertEmpty(t, outside)
			})
		}
	}

	// /dst flips between a directory and a climbing symlink while
	// containers are created, so any check-then-use on the path loses.
	t.Run("race", func(t *testing.T) {
		r := newRuntime(t)
		outside := t.TempDir()
		b := newBundle(t, "true")
		rootfs := filepath.Join(b.dir, "rootfs")
		if err := os.Mkdir(filepath.Join(rootfs, "dst"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(strings.Repeat("../", 20)+strings.TrimPrefix(outside, "/"), filepath.Join(rootfs, "dst-link")); err != nil {
			t.Fatal(err)
		}
		b.spec.Mounts = append(b.spec.Mounts, mounts("/dst")...)
		b.save(t)
		stop := make(chan struct{})
		swapped := make(chan int)
		go func() {
			n := 0
			defer func() { swapped <- n }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if unix.Renameat2(unix.AT_FDCWD, filepath.Join(rootfs, "dst"), unix.AT_FDCWD, filepath.Join(rootfs, "dst-link"), unix.RENAME_EXCHANGE) == nil {
					n++
				}
			}
		}()
		runs, ok := 0, 0
		for end := time.Now().Add(6 * time.Second); time.Now().Before(end); runs++ {
			if res := r.sprout("run", "--bundle", b.dir, fmt.Sprintf("race%d", runs)); res.code == 0 {
				ok++
			}
		}
		close(stop)
		n := <-swapped
		t.Logf("%d creates (%d succeeded) against %d swaps", runs, ok, n)
		assertEmpty(t, outside)
		if m := hostMountsUnder(t, b.dir); len(m) != 0 {
			t.Errorf("mounts left on the host: %v", m)
		}
	})
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Errorf("host directory %s changed: %v %v", dir, entries, err)
	}
	if m := hostMountsUnder(t, dir); len(m) != 0 {
		t.Errorf("host mounts under %s: %v", dir, m)
	}
}

// CVE-2019-16884 / CVE-2023-27561: procfs (or sysfs) mounted through a
// symlink of the rootfs lands where nothing protects it.
func TestSecCVE201916884ProcSymlink(t *testing.T) {
	for _, tc := range []struct {
		name, dir, link string
	}{
		{"proc absolute", "proc", "/evil"},
		{"proc relative", "proc", "evil"},
		{"proc climbing", "proc", "../../../../../../evil"},
		{"sys absolute", "sys", "/evil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "true")
			rootfs := filepath.Join(b.dir, "rootfs")
			if err := os.Remove(filepath.Join(rootfs, tc.dir)); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(rootfs, "evil"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(tc.link, filepath.Join(rootfs, tc.dir)); err != nil {
				t.Fatal(err)
			}
			res := r.run(b, "procsym")
			if res.code == 0 {
				t.Fatalf("the container ran with /%s a symlink to %s", tc.dir, tc.link)
			}
			if !strings.Contains(res.stderr, "/"+tc.dir) {
				t.Errorf("error %q does not name /%s", res.stderr, tc.dir)
			}
			assertEmpty(t, filepath.Join(rootfs, "evil"))
		})
	}
}

// CVE-2025-52881's limits on mounts over /proc hold for where a mount
// lands, not for the name it is given: a rootfs symlink to /proc (or one
// climbing to it) carries no mount over /proc/sys, as runc refuses it,
// while the files lxcfs provides may still be bound through one.
func TestSecProcMountThroughSymlink(t *testing.T) {
	for _, tc := range []struct {
		name, link, target string
		mount              specs.Mount
		lands              string // "" for allowed
	}{
		{"bind over core_pattern, absolute link", "x", "/proc",
			specs.Mount{Destination: "/x/sys/kernel/core_pattern", Type: "bind", Options: []string{"bind"}}, "/proc/sys/kernel/core_pattern"},
		{"bind over core_pattern, climbing link", "x", "../../../proc/sys",
			specs.Mount{Destination: "/x/kernel/core_pattern", Type: "bind", Options: []string{"bind"}}, "/proc/sys/kernel/core_pattern"},
		{"tmpfs over /proc/sys", "x", "/../proc",
			specs.Mount{Destination: "/x/sys", Type: "tmpfs", Source: "tmpfs"}, "/proc/sys"},
		{"tmpfs over /proc", "x", "/proc",
			specs.Mount{Destination: "/x", Type: "tmpfs", Source: "tmpfs"}, "/proc"},
		{"bind over uptime, as lxcfs", "x", "../../proc",
			specs.Mount{Destination: "/x/uptime", Type: "bind", Options: []string{"bind"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			decoy := filepath.Join(t.TempDir(), "decoy")
			if err := os.WriteFile(decoy, []byte("decoy\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			b := newBundle(t, "cat /proc/uptime; grep -c ' /proc/uptime ' /proc/self/mountinfo")
			mustSymlink(t, tc.target, filepath.Join(b.dir, "rootfs", tc.link))
			m := tc.mount
			if m.Type == "bind" {
				m.Source = decoy
			}
			b.spec.Mounts = append(b.spec.Mounts, m)
			res := r.run(b, "procsym")
			if tc.lands == "" {
				if res.code != 0 || res.stdout != "decoy\n1\n" {
					t.Fatalf("bind through a link onto an lxcfs file: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
				}
				return
			}
			if res.code == 0 || res.stdout != "" {
				t.Fatalf("the container ran with %s on %s through /%s -> %s: stdout %q", m.Type, tc.lands, tc.link, tc.target, res.stdout)
			}
			if !strings.Contains(res.stderr, m.Destination) || !strings.Contains(res.stderr, "resolves to "+tc.lands+" in the rootfs") {
				t.Errorf("error %q does not name %s and where it lands, %s", res.stderr, m.Destination, tc.lands)
			}
		})
	}
}

// CVE-2025-31133: the masked paths are masked with whatever the rootfs
// calls /dev/null.
func TestSecCVE202531133MaskDevNull(t *testing.T) {
	coreBefore, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		t.Fatal(err)
	}
	// The masked files this kernel has (the directories get a tmpfs).
	var files []string
	for _, p := range spec.Default(false).Linux.MaskedPaths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		t.Skip("the host has none of the default masked files")
	}
	list := strings.Join(files, " ")
	// Only stat and read: if a mask were the host's core_pattern, a write
	// would change the host.
	readOnly := "stat -c '%n %F %t:%T' " + list + "; cat " + files[0] + " | wc -c"
	writes := readOnly + "; for f in " + list + "; do echo pwned > $f; done; echo wrote"
	for _, tc := range []struct {
		name   string
		script string
		plant  func(t *testing.T, b *bundle, secret string)
	}{
		{"symlink to host file, /dev bound from rootfs", writes, func(t *testing.T, b *bundle, secret string) {
			devFromRootfs(b)
			mustSymlink(t, secret, filepath.Join(b.dir, "rootfs/dev/null"))
		}},
		{"climbing symlink, /dev bound from rootfs", writes, func(t *testing.T, b *bundle, secret string) {
			devFromRootfs(b)
			mustSymlink(t, strings.Repeat("../", 20)+strings.TrimPrefix(secret, "/"), filepath.Join(b.dir, "rootfs/dev/null"))
		}},
		{"symlink to core_pattern, /dev bound from rootfs", readOnly, func(t *testing.T, b *bundle, _ string) {
			devFromRootfs(b)
			mustSymlink(t, "/proc/sys/kernel/core_pattern", filepath.Join(b.dir, "rootfs/dev/null"))
		}},
		{"regular file, /dev bound from rootfs", writes, func(t *testing.T, b *bundle, _ string) {
			devFromRootfs(b)
			if err := os.WriteFile(filepath.Join(b.dir, "rootfs/dev/null"), []byte("fake null\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink to host file, /dev not a tmpfs", writes, func(t *testing.T, b *bundle, secret string) {
			replaceMount(b, "/dev", nil)
			mustSymlink(t, secret, filepath.Join(b.dir, "rootfs/dev/null"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			hostDir := t.TempDir()
			secret := filepath.Join(hostDir, "secret")
			if err := os.WriteFile(secret, []byte("host secret\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			b := newBundle(t, tc.script)
			tc.plant(t, b, secret)
			hostBefore := treeListing(t, hostDir)
			res := r.run(b, "devnull")
			if res.code != 0 {
				t.Fatalf("exit %d: stdout %q stderr %q", res.code, res.stdout, res.stderr)
			}
			want := []string{"0"}
			for _, f := range files {
				want = append(want, f+" character special file 1:3")
			}
			for _, want := range want {
				if !hasLine(res.stdout, want) {
					t.Errorf("masked paths not the null device: missing %q in %q", want, res.stdout)
				}
			}
			if after := treeListing(t, hostDir); after != hostBefore {
				t.Errorf("host files changed:\nbefore %s\nafter  %s", hostBefore, after)
			}
			if core, _ := os.ReadFile("/proc/sys/kernel/core_pattern"); string(core) != string(coreBefore) {
				t.Errorf("host core_pattern changed from %q to %q", coreBefore, core)
			}
		})
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	os.Remove(link)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// CVE-2025-52565: the pty is bound at /dev/console, which the rootfs may
// have made a symlink.
func TestSecCVE202552565ConsoleSymlink(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, b *bundle, secret string)
	}{
		{"symlink to host file", func(t *testing.T, b *bundle, secret string) {
			mustSymlink(t, secret, filepath.Join(b.dir, "rootfs/dev/console"))
		}},
		{"climbing symlink", func(t *testing.T, b *bundle, secret string) {
			mustSymlink(t, strings.Repeat("../", 20)+strings.TrimPrefix(secret, "/"), filepath.Join(b.dir, "rootfs/dev/console"))
		}},
		{"symlink to core_pattern", func(t *testing.T, b *bundle, _ string) {
			mustSymlink(t, "/proc/sys/kernel/core_pattern", filepath.Join(b.dir, "rootfs/dev/console"))
		}},
		{"directory", func(t *testing.T, b *bundle, _ string) {
			if err := os.Mkdir(filepath.Join(b.dir, "rootfs/dev/console"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		// Controls: a console the init may use, so the accepted path runs.
		{"absent", func(*testing.T, *bundle, string) {}},
		{"regular file", func(t *testing.T, b *bundle, _ string) {
			if err := os.WriteFile(filepath.Join(b.dir, "rootfs/dev/console"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			hostDir := t.TempDir()
			secret := filepath.Join(hostDir, "secret")
			if err := os.WriteFile(secret, []byte("host secret\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			b := newBundle(t, "stat -c '%F %t' /dev/console; grep -c -e /proc/sys/kernel/core_pattern -e "+hostDir+" /proc/self/mountinfo")
			b.spec.Process.Terminal = true
			devFromRootfs(b)
			// An image with its own /dev carries the devpts ptmx link.
			mustSymlink(t, "pts/ptmx", filepath.Join(b.dir, "rootfs/dev/ptmx"))
			tc.plant(t, b, secret)
			b.save(t)
			hostBefore := treeListing(t, hostDir)
			sock, masters := listenConsole(t)
			res := r.sprout("create", "--bundle", b.dir, "--console-socket", sock, "console")
			if res.code == 0 {
				// Accepted: the console must then be the pty, bound
				// nowhere else.
				master := <-masters
				if master == nil {
					t.Fatal("create succeeded but sent no pty master")
				}
				r.must("start", "console")
				out := readPty(master, 10*time.Second)
				master.Close()
				r.waitStatus("console", specs.StateStopped)
				r.must("delete", "console")
				t.Logf("accepted; the container saw %q", out)
				// The pty major is 136 (0x88).
				if !strings.Contains(out, "character special file 88") || !hasLine(out, "0") {
					t.Errorf("/dev/console is not only the pty: %q", out)
				}
			} else {
				t.Logf("refused: %s", strings.TrimSpace(res.stderr))
				if !strings.Contains(res.stderr, "/dev/console") {
					t.Errorf("error %q does not name /dev/console", res.stderr)
				}
			}
			if after := treeListing(t, hostDir); after != hostBefore {
				t.Errorf("host files changed:\nbefore %s\nafter  %s", hostBefore, after)
			}
			if m := hostMountsUnder(t, hostDir); len(m) != 0 {
				t.Errorf("pty bound on the host: %v", m)
			}
		})
	}
}

// CVE-2025-52881: the runtime's own procfs writes (linux.sysctl,
// process.oomScoreAdj) redirected to another file by a bind mount or a
// symlink.
func TestSecCVE202552881ProcWrites(t *testing.T) {
	oom := 789
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, b *bundle, vol string)
	}{
		{"sysctl over a bind mount", func(t *testing.T, b *bundle, vol string) {
			b.spec.Linux.Sysctl = map[string]string{"kernel.shmmni": "4242"}
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{
				Destination: "/proc/sys/kernel/shmmni", Type: "bind", Source: filepath.Join(vol, "decoy"), Options: []string{"bind"},
			})
		}},
		{"oom_score_adj over a bind mount", func(t *testing.T, b *bundle, vol string) {
			b.spec.Process.OOMScoreAdj = &oom
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{
				Destination: "/proc/self/oom_score_adj", Type: "bind", Source: filepath.Join(vol, "decoy"), Options: []string{"bind"},
			})
		}},
		{"sysctl through a symlink, no procfs", func(t *testing.T, b *bundle, vol string) {
			b.spec.Linux.Sysctl = map[string]string{"kernel.shmmni": "4242"}
			replaceMount(b, "/proc", nil)
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/vol", Type: "bind", Source: vol, Options: []string{"rbind"}})
			dir := filepath.Join(b.dir, "rootfs/proc/sys/kernel")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			mustSymlink(t, "/vol/decoy", filepath.Join(dir, "shmmni"))
		}},
		{"oom_score_adj through a symlink, no procfs", func(t *testing.T, b *bundle, vol string) {
			b.spec.Process.OOMScoreAdj = &oom
			replaceMount(b, "/proc", nil)
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/vol", Type: "bind", Source: vol, Options: []string{"rbind"}})
			mustSymlink(t, "/vol", filepath.Join(b.dir, "rootfs/proc/self"))
			if err := os.WriteFile(filepath.Join(vol, "oom_score_adj"), []byte("decoy\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			vol := t.TempDir()
			if err := os.WriteFile(filepath.Join(vol, "decoy"), []byte("decoy\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			b := newBundle(t, "true")
			tc.setup(t, b, vol)
			before := treeListing(t, vol)
			res := r.run(b, "procwrite")
			t.Logf("exit %d, stderr %q", res.code, strings.TrimSpace(res.stderr))
			if after := treeListing(t, vol); after != before {
				t.Errorf("CVE-2025-52881: the runtime's procfs write landed in a host file:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
