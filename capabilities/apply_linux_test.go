package capabilities

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
)

// The helper child runs in one of two stages, chosen by this variable: "init"
// plays the container init (Parse, the plan's bounding drop, setuid, the plan's capset) and then
// execs itself as "exec", which plays the container process.
const stageEnv = "SPROUT_CAPS_TEST_STAGE"

type helperConfig struct {
	Caps *specs.LinuxCapabilities
	UID  int
	Dir  string
	// Revoke is a capability the init removes from its own permitted set
	// before Parse, to play a runtime that lacks it.
	Revoke string
	// PreAmbient is a capability the init raises in its own inheritable and
	// ambient sets before Parse, to play a runtime started with it.
	PreAmbient string
	Port       int
}

// stageReport is what a stage prints as one JSON line. Errnos are 0 when
// the operation succeeded.
type stageReport struct {
	Error    string
	Warnings []string
	Status   map[string]uint64
	Chown    syscall.Errno
	Mknod    syscall.Errno
	Bind     syscall.Errno
}

func TestMain(m *testing.M) {
	switch os.Getenv(stageEnv) {
	case "init":
		initStage()
	case "exec":
		execStage()
	default:
		os.Exit(m.Run())
	}
}

func readConfig() helperConfig {
	var cfg helperConfig
	if err := json.Unmarshal([]byte(os.Getenv("SPROUT_CAPS_TEST_CONFIG")), &cfg); err != nil {
		fail(err)
	}
	return cfg
}

func fail(err error) {
	report(stageReport{Error: err.Error()})
	os.Exit(1)
}

func report(r stageReport) {
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(2)
	}
}

func initStage() {
	runtime.LockOSThread()
	cfg := readConfig()
	if cfg.Revoke != "" {
		if err := revoke(capBit[cfg.Revoke]); err != nil {
			fail(err)
		}
	}
	if cfg.PreAmbient != "" {
		if err := preAmbient(capBit[cfg.PreAmbient]); err != nil {
			fail(err)
		}
	}
	s, warnings, err := Parse(cfg.Caps)
	if err != nil {
		fail(err)
	}
	var bounding nsexec.Plan
	s.PlanBounding(&bounding)
	if err := bounding.Run(-1); err != nil {
		fail(err)
	}
	if cfg.UID != 0 {
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
			fail(err)
		}
		if err := unix.Setgroups(nil); err != nil {
			fail(err)
		}
		if err := unix.Setresgid(cfg.UID, cfg.UID, cfg.UID); err != nil {
			fail(err)
		}
		if err := unix.Setresuid(cfg.UID, cfg.UID, cfg.UID); err != nil {
			fail(err)
		}
	}
	var apply nsexec.Plan
	s.PlanApply(&apply)
	if err := apply.Run(-1); err != nil {
		fail(err)
	}
	r := stageReport{Warnings: warnings}
	r.Status, err = capStatus("/proc/thread-self/status")
	if err != nil {
		fail(err)
	}
	r.Chown = errnoOf(os.Chown(filepath.Join(cfg.Dir, "file"), 1234, 1234))
	r.Mknod = errnoOf(unix.Mknod(filepath.Join(cfg.Dir, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	r.Bind = bindErrno(cfg.Port)
	report(r)
	// Exec from the locked thread, the one whose capabilities were set, as
	// the container init does. /proc/self/exe needs no search permission on
	// the test binary's directory, which the non-root uid may lack.
	env := []string{stageEnv + "=exec", "SPROUT_CAPS_TEST_CONFIG=" + os.Getenv("SPROUT_CAPS_TEST_CONFIG")}
	fail(syscall.Exec("/proc/self/exe", []string{"exec-stage"}, env))
}

func execStage() {
	cfg := readConfig()
	status, err := capStatus("/proc/self/status")
	if err != nil {
		fail(err)
	}
	report(stageReport{Status: status, Bind: bindErrno(cfg.Port)})
	os.Exit(0)
}

// revoke removes capability n from the calling thread's permitted,
// effective and inheritable sets.
func revoke(n uint) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	bit := ^uint32(1 << (n % 32))
	d := &data[n/32]
	d.Effective &= bit
	d.Permitted &= bit
	d.Inheritable &= bit
	return unix.Capset(&hdr, &data[0])
}

// preAmbient adds capability n to the calling thread's inheritable and
// ambient sets.
func preAmbient(n uint) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[n/32].Inheritable |= 1 << (n % 32)
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n), 0, 0)
}

// bindErrno binds a TCP socket to a privileged loopback port. EADDRINUSE
// also means the capability check passed, as the kernel checks it first.
func bindErrno(port int) syscall.Errno {
	if port == 0 {
		return 0
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return errnoOf(err)
	}
	defer unix.Close(fd)
	err = unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	if errors.Is(err, unix.EADDRINUSE) {
		return 0
	}
	return errnoOf(err)
}

func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}

// capStatus reads the Cap* lines of a /proc status file.
func capStatus(path string) (map[string]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(k, "Cap") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		m[k] = n
	}
	return m, sc.Err()
}

// runHelper runs the init stage with cfg and returns the reports of the
// init and exec stages (the latter nil when the init failed).
func runHelper(t *testing.T, cfg helperConfig) (*stageReport, *stageReport) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("changing capabilities and uid needs root")
	}
	dir, err := os.MkdirTemp("", "sprout-caps-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// The non-root uid must reach the files and create the device node.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Dir = dir
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = []string{stageEnv + "=init", "SPROUT_CAPS_TEST_CONFIG=" + string(b)}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	dec := json.NewDecoder(bytes.NewReader(out))
	var first, second stageReport
	if err := dec.Decode(&first); err != nil {
		t.Fatalf("helper: %v (run: %v), stdout %q, stderr %q", err, runErr, out, stderr.String())
	}
	if first.Error != "" {
		return &first, nil
	}
	if err := dec.Decode(&second); err != nil || runErr != nil || second.Error != "" {
		t.Fatalf("exec stage: decode %v, run %v, report %+v, stderr %q", err, runErr, second, stderr.String())
	}
	return &first, &second
}

// requireHeld skips when the test process itself lacks a capability the test
// needs to hand out.
func requireHeld(t *testing.T, caps ...string) {
	t.Helper()
	st, err := capStatus("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range caps {
		if st["CapPrm"]&st["CapBnd"]&mask(t, c) == 0 {
			t.Skipf("the test process does not hold %s", c)
		}
	}
}

// privilegedPort returns a port binding which needs CAP_NET_BIND_SERVICE, or
// 0 when the kernel grants every port to everyone.
func privilegedPort(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		t.Logf("no ip_unprivileged_port_start, not testing bind: %v", err)
		return 0
	}
	start, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if start < 2 {
		t.Logf("ip_unprivileged_port_start is %d, not testing bind", start)
		return 0
	}
	return start - 1
}

func checkMasks(t *testing.T, stage string, got map[string]uint64, want map[string]uint64) {
	t.Helper()
	for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		v, ok := got[k]
		if !ok {
			t.Errorf("%s: status has no %s", stage, k)
			continue
		}
		if v != want[k] {
			t.Errorf("%s: %s = %016x, want %016x", stage, k, v, want[k])
		}
	}
}

func checkErrno(t *testing.T, op string, got, want syscall.Errno) {
	t.Helper()
	if got != want {
		t.Errorf("%s: errno %d (%v), want %d (%v)", op, got, got, want, want)
	}
}

func TestApplyRoot(t *testing.T) {
	requireHeld(t, "CAP_SETPCAP", "CAP_CHOWN", "CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE",
		"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE")
	port := privilegedPort(t)
	// Capabilities 32 and up live in the second capset word; the runtime's
	// own ambient CAP_CHECKPOINT_RESTORE stays permitted and inheritable, so
	// only Apply's clear removes it.
	initRep, execRep := runHelper(t, helperConfig{
		Port:       port,
		PreAmbient: "CAP_CHECKPOINT_RESTORE",
		Caps: &specs.LinuxCapabilities{
			Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_AUDIT_WRITE", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"},
			Effective:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_CHECKPOINT_RESTORE"},
			Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_PERFMON", "CAP_CHECKPOINT_RESTORE"},
			Inheritable: []string{"CAP_KILL", "CAP_CHECKPOINT_RESTORE"},
			Ambient:     []string{"CAP_KILL"},
		},
	})
	if initRep.Error != "" {
		t.Fatalf("init: %s", initRep.Error)
	}
	bnd := mask(t, "CAP_CHOWN", "CAP_KILL", "CAP_AUDIT_WRITE", "CAP_BPF", "CAP_CHECKPOINT_RESTORE")
	inh := mask(t, "CAP_KILL", "CAP_CHECKPOINT_RESTORE")
	amb := mask(t, "CAP_KILL")
	checkMasks(t, "init", initRep.Status, map[string]uint64{
		"CapBnd": bnd,
		"CapEff": mask(t, "CAP_CHOWN", "CAP_KILL", "CAP_CHECKPOINT_RESTORE"),
		"CapPrm": mask(t, "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_PERFMON", "CAP_CHECKPOINT_RESTORE"),
		"CapInh": inh,
		"CapAmb": amb,
	})
	checkErrno(t, "chown with CAP_CHOWN", initRep.Chown, 0)
	checkErrno(t, "mknod without CAP_MKNOD", initRep.Mknod, syscall.EPERM)
	if port != 0 {
		checkErrno(t, "bind without effective CAP_NET_BIND_SERVICE", initRep.Bind, syscall.EACCES)
	}
	// execve as root grants the bounding and inheritable sets (capabilities(7)),
	// so the container's root gets exactly its bounding set here.
	checkMasks(t, "exec", execRep.Status, map[string]uint64{
		"CapBnd": bnd,
		"CapEff": bnd | inh,
		"CapPrm": bnd | inh,
		"CapInh": inh,
		"CapAmb": amb,
	})
	if port != 0 {
		checkErrno(t, "bind after exec without CAP_NET_BIND_SERVICE in bounding", execRep.Bind, syscall.EACCES)
	}
}

func TestApplyMknod(t *testing.T) {
	requireHeld(t, "CAP_SETPCAP", "CAP_MKNOD")
	l := []string{"CAP_MKNOD"}
	initRep, _ := runHelper(t, helperConfig{Caps: &specs.LinuxCapabilities{Bounding: l, Effective: l, Permitted: l}})
	if initRep.Error != "" {
		t.Fatalf("init: %s", initRep.Error)
	}
	m := mask(t, "CAP_MKNOD")
	checkMasks(t, "init", initRep.Status, map[string]uint64{"CapBnd": m, "CapEff": m, "CapPrm": m})
	checkErrno(t, "mknod with CAP_MKNOD", initRep.Mknod, 0)
	checkErrno(t, "chown without CAP_CHOWN", initRep.Chown, syscall.EPERM)
}

func TestApplyNil(t *testing.T) {
	requireHeld(t, "CAP_SETPCAP")
	initRep, execRep := runHelper(t, helperConfig{})
	if initRep.Error != "" {
		t.Fatalf("init: %s", initRep.Error)
	}
	checkMasks(t, "init", initRep.Status, map[string]uint64{})
	checkMasks(t, "exec", execRep.Status, map[string]uint64{})
	checkErrno(t, "chown without capabilities", initRep.Chown, syscall.EPERM)
	checkErrno(t, "mknod without capabilities", initRep.Mknod, syscall.EPERM)
}

func TestApplyNonRootAmbient(t *testing.T) {
	requireHeld(t, "CAP_SETPCAP", "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL")
	port := privilegedPort(t)
	initRep, execRep := runHelper(t, helperConfig{
		UID:  1000,
		Port: port,
		Caps: &specs.LinuxCapabilities{
			Bounding:    []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"},
			Effective:   []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"},
			Permitted:   []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"},
			Inheritable: []string{"CAP_NET_BIND_SERVICE", "CAP_KILL"},
			Ambient:     []string{"CAP_NET_BIND_SERVICE"},
		},
	})
	if initRep.Error != "" {
		t.Fatalf("init: %s", initRep.Error)
	}
	bnd := mask(t, "CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL")
	amb := mask(t, "CAP_NET_BIND_SERVICE")
	inh := mask(t, "CAP_NET_BIND_SERVICE", "CAP_KILL")
	checkMasks(t, "init", initRep.Status, map[string]uint64{
		"CapBnd": bnd,
		"CapEff": mask(t, "CAP_CHOWN", "CAP_NET_BIND_SERVICE"),
		"CapPrm": mask(t, "CAP_CHOWN", "CAP_NET_BIND_SERVICE"),
		"CapInh": inh,
		"CapAmb": amb,
	})
	checkErrno(t, "chown as uid 1000 with CAP_CHOWN", initRep.Chown, 0)
	checkErrno(t, "mknod as uid 1000 without CAP_MKNOD", initRep.Mknod, syscall.EPERM)
	if port != 0 {
		checkErrno(t, "bind as uid 1000 with CAP_NET_BIND_SERVICE", initRep.Bind, 0)
	}
	// Only the ambient set survives the execve of a plain binary by a
	// non-root user.
	checkMasks(t, "exec", execRep.Status, map[string]uint64{
		"CapBnd": bnd,
		"CapEff": amb,
		"CapPrm": amb,
		"CapInh": inh,
		"CapAmb": amb,
	})
	if port != 0 {
		checkErrno(t, "bind after exec with ambient CAP_NET_BIND_SERVICE", execRep.Bind, 0)
	}
}

func TestApplyNonRootWithoutAmbient(t *testing.T) {
	requireHeld(t, "CAP_SETPCAP", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE")
	port := privilegedPort(t)
	l := []string{"CAP_NET_BIND_SERVICE"}
	initRep, execRep := runHelper(t, helperConfig{
		UID:  1000,
		Port: port,
		Caps: &specs.LinuxCapabilities{Bounding: l, Effective: l, Permitted: l, Inheritable: l},
	})
	if initRep.Error != "" {
		t.Fatalf("init: %s", initRep.Error)
	}
	m := mask(t, "CAP_NET_BIND_SERVICE")
	checkMasks(t, "init", initRep.Status, map[string]uint64{"CapBnd": m, "CapEff": m, "CapPrm": m, "CapInh": m})
	checkMasks(t, "exec", execRep.Status, map[string]uint64{"CapBnd": m, "CapInh": m})
	if port != 0 {
		checkErrno(t, "bind after exec without ambient CAP_NET_BIND_SERVICE", execRep.Bind, syscall.EACCES)
	}
}

func TestApplyNotHeld(t *testing.T) {
	requireHeld(t, "CAP_SETPCAP", "CAP_KILL", "CAP_CHOWN")
	l := []string{"CAP_KILL", "CAP_CHOWN"}
	initRep, _ := runHelper(t, helperConfig{
		Revoke: "CAP_KILL",
		Caps:   &specs.LinuxCapabilities{Bounding: l, Effective: l, Permitted: l},
	})
	want := "process.capabilities.permitted: CAP_KILL not held by the runtime"
	if !strings.Contains(initRep.Error, want) {
		t.Fatalf("init error %q, want it to contain %q", initRep.Error, want)
	}
}

func TestApplyInheritableOutsideBounding(t *testing.T) {
	requireHeld(t, "CAP_SETPCAP", "CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN")
	initRep, _ := runHelper(t, helperConfig{
		UID: 1000,
		Caps: &specs.LinuxCapabilities{
			Bounding:    []string{"CAP_CHOWN"},
			Permitted:   []string{"CAP_CHOWN", "CAP_KILL"},
			Inheritable: []string{"CAP_KILL"},
		},
	})
	want := "process.capabilities.inheritable: CAP_KILL not in the bounding set"
	if !strings.Contains(initRep.Error, want) {
		t.Fatalf("init error %q, want it to contain %q", initRep.Error, want)
	}
}
