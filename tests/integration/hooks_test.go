package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// recorderScript is what every recording hook runs, through a busybox
// called as "sh": it keeps what the runtime gave the hook ($1 names the
// hook, records go under the directory $2) and appends the name to the
// order file. It uses nothing but $BB, so it works the same in the host's
// and in the container's mount namespace and without PATH.
const recorderScript = `name=$1 out=$2
$BB cat > "$out/$name.json"
printf '%s\n' "$0" "$@" > "$out/$name.args"
$BB env > "$out/$name.env"
for ns in mnt net pid; do echo "$ns $($BB readlink /proc/self/ns/$ns)"; done > "$out/$name.ns"
$BB stat -c %d:%i / > "$out/$name.root"
$BB cat /proc/self/mountinfo > "$out/$name.mountinfo"
pid=$($BB sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$out/$name.json")
if [ -n "$pid" ]; then
	$BB tr '\0' ' ' < /proc/$pid/cmdline > "$out/$name.cmdline"
	$BB readlink /proc/$pid/ns/net > "$out/$name.pidnet"
fi
for p in $CHECK; do if [ -e "$p" ]; then echo "$p present"; else echo "$p absent"; fi; done > "$out/$name.check"
echo "$name" >> "$out/order"
`

// hookKit gives a bundle the means to run hooks on both sides: a busybox
// on the host outside the rootfs (only the runtime namespace can resolve
// it) and one inside the rootfs that the host does not have at that path
// (only the container's mount namespace can resolve it). Records go to a
// directory of the rootfs, which both sides can write.
type hookKit struct {
	hostBB string
	outDir string // on the host
}

const (
	ctBB  = "/hookbin/busybox"
	ctOut = "/hookout"
)

func newHookKit(t *testing.T, b *bundle) *hookKit {
	t.Helper()
	data, err := os.ReadFile(harness.Busybox)
	if err != nil {
		t.Fatal(err)
	}
	k := &hookKit{hostBB: filepath.Join(t.TempDir(), "busybox"), outDir: filepath.Join(b.dir, "rootfs", ctOut)}
	if err := os.WriteFile(k.hostBB, data, 0o755); err != nil {
		t.Fatal(err)
	}
	inner := filepath.Join(b.dir, "rootfs", ctBB)
	if err := os.MkdirAll(filepath.Dir(inner), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inner, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ctBB); err == nil {
		t.Fatalf("%s exists on the host: it would not tell the namespaces apart", ctBB)
	}
	if err := os.MkdirAll(k.outDir, 0o777); err != nil {
		t.Fatal(err)
	}
	b.spec.Hooks = &specs.Hooks{}
	return k
}

// inContainer tells whether the hooks of phase resolve their path in the
// container's mount namespace (config.md, "POSIX-platform Hooks": only
// startContainer does).
func inContainer(phase string) bool { return phase == "startContainer" }

// shellHook makes a hook of phase that runs script with busybox as "sh",
// so that the hook works only if args[0] reaches the program as argv[0].
func (k *hookKit) shellHook(phase, script string, env []string, scriptArgs ...string) specs.Hook {
	bb := k.hostBB
	if inContainer(phase) {
		bb = ctBB
	}
	timeout := 10
	return specs.Hook{
		Path:    bb,
		Args:    append([]string{"sh", "-c", script}, scriptArgs...),
		Env:     append([]string{"BB=" + bb}, env...),
		Timeout: &timeout,
	}
}

// recorder makes a hook of phase that records under the name given.
func (k *hookKit) recorder(phase, name string, env ...string) specs.Hook {
	out := k.outDir
	if inContainer(phase) {
		out = ctOut
	}
	return k.shellHook(phase, recorderScript, append([]string{"HOOK_MARK=two words=x"}, env...), "argv0-"+name, name, out, "last arg")
}

func addHook(h *specs.Hooks, phase string, hook specs.Hook) {
	switch phase {
	case "prestart":
		//lint:ignore SA1019 deprecated, still in the spec and still run by sprout
		h.Prestart = append(h.Prestart, hook)
	case "createRuntime":
		h.CreateRuntime = append(h.CreateRuntime, hook)
	case "createContainer":
		h.CreateContainer = append(h.CreateContainer, hook)
	case "startContainer":
		h.StartContainer = append(h.StartContainer, hook)
	case "poststart":
		h.Poststart = append(h.Poststart, hook)
	case "poststop":
		h.Poststop = append(h.Poststop, hook)
	default:
		panic("unknown hook phase " + phase)
	}
}

func (k *hookKit) order(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(k.outDir, "order"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

func (k *hookKit) record(t *testing.T, name, kind string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(k.outDir, name+"."+kind))
	if err != nil {
		t.Fatalf("hook %s left no %s record: %v", name, kind, err)
	}
	return string(data)
}

func (k *hookKit) state(t *testing.T, name string) specs.State {
	t.Helper()
	var st specs.State
	if err := json.Unmarshal([]byte(k.record(t, name, "json")), &st); err != nil {
		t.Fatalf("hook %s: state on stdin: %v", name, err)
	}
	return st
}

func nsOf(t *testing.T, pid string) string {
	t.Helper()
	var sb strings.Builder
	for _, n := range []string{"mnt", "net", "pid"} {
		l, err := os.Readlink("/proc/" + pid + "/ns/" + n)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%s %s\n", n, l)
	}
	return sb.String()
}

func devIno(t *testing.T, path string) string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

// innerPid is the PID the container's init has in its own pid namespace.
func innerPid(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "NSpid:" {
			n, err := strconv.Atoi(f[len(f)-1])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no NSpid in /proc/%d/status", pid)
	return 0
}

// mountedAt tells whether mountinfo has a mount of fstype at point.
func mountedAt(mountinfo, point, fstype string) bool {
	for _, l := range strings.Split(mountinfo, "\n") {
		pre, post, ok := strings.Cut(l, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if ok && len(f) > 4 && len(g) > 0 && f[4] == point && g[0] == fstype {
			return true
		}
	}
	return false
}

var hookPhases = []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}

// wantHookStatus is the status each hook must find in its state. The state
// definitions in runtime.md tie `creating` to step 2 of the lifecycle only
// ("the container is being created") and `created` to "after step 2 ...
// the container process has neither exited nor executed the user-specified
// program": prestart, createRuntime and createContainer are steps 3 to 5,
// so `created`, which is also what the runtime-tools hooks_stdin
// validation expects of prestart.
var wantHookStatus = map[string]specs.ContainerState{
	"prestart":        specs.StateCreated,
	"createRuntime":   specs.StateCreated,
	"createContainer": specs.StateCreated,
	"startContainer":  specs.StateCreated,
	"poststart":       specs.StateRunning,
	"poststop":        specs.StateStopped,
}

func hookNames(phases ...string) []string {
	var names []string
	for _, p := range phases {
		names = append(names, p+"-1", p+"-2")
	}
	return names
}

func TestHookLifecycle(t *testing.T) {
	// Hooks get the environment of their config entry and nothing of the
	// runtime's.
	t.Setenv("SPROUT_HOOK_LEAK", "leaked")
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	id := "hooks"
	cgName := fmt.Sprintf("sprout-hooktest-%d", time.Now().UnixNano())
	b.spec.Linux.CgroupsPath = "/" + cgName
	b.spec.Annotations = map[string]string{"org.sprout.test": "hook state"}
	k := newHookKit(t, b)
	cgDirs, _ := filepath.Glob("/sys/fs/cgroup/*")
	cgDirs = append(cgDirs, "/sys/fs/cgroup")
	for i := range cgDirs {
		cgDirs[i] = filepath.Join(cgDirs[i], cgName)
	}
	check := "CHECK=" + filepath.Join(r.root, id) + " " + strings.Join(cgDirs, " ")
	for _, phase := range hookPhases {
		for _, n := range []string{"1", "2"} {
			var env []string
			if phase == "poststop" {
				env = append(env, check)
			}
			addHook(b.spec.Hooks, phase, k.recorder(phase, phase+"-"+n, env...))
		}
	}
	b.save(t)
	log := filepath.Join(t.TempDir(), "log")

	r.must("--log", log, "create", "--bundle", b.dir, id)
	if got, want := k.order(t), hookNames("prestart", "createRuntime", "createContainer"); !equalStrings(got, want) {
		t.Fatalf("hooks run by create: %v, want %v", got, want)
	}
	hostPid := r.mustState(id).Pid
	if len(cgroupsNamed(cgName)) == 0 {
		t.Fatal("the created container has no cgroup: the poststop check would mean nothing")
	}
	ctNs := nsOf(t, strconv.Itoa(hostPid))
	hostNs := nsOf(t, "self")
	if ctNs == hostNs {
		t.Fatal("the container shares the host's namespaces: the namespace checks would mean nothing")
	}
	ctPid := innerPid(t, hostPid)

	r.must("--log", log, "start", id)
	if got, want := k.order(t), hookNames("prestart", "createRuntime", "createContainer", "startContainer", "poststart"); !equalStrings(got, want) {
		t.Fatalf("hooks run by create and start: %v, want %v", got, want)
	}

	r.must("kill", id, "KILL")
	r.waitStatus(id, specs.StateStopped)
	r.must("--log", log, "delete", id)
	if got, want := k.order(t), hookNames(hookPhases...); !equalStrings(got, want) {
		t.Fatalf("hooks run by create, start and delete: %v, want %v", got, want)
	}

	for _, phase := range hookPhases {
		for _, name := range hookNames(phase) {
			st := k.state(t, name)
			if st.Version != specs.Version || st.ID != id || st.Bundle != b.dir || st.Annotations["org.sprout.test"] != "hook state" {
				t.Errorf("%s: state %+v: want ociVersion %s, id %s, bundle %s and the annotations", name, st, specs.Version, id, b.dir)
			}
			if st.Status != wantHookStatus[phase] {
				t.Errorf("%s: status %q, want %q", name, st.Status, wantHookStatus[phase])
			}
			// runtime.md: the pid as seen by the runtime for hooks in the
			// runtime namespace, as seen by the container for the others.
			switch phase {
			case "prestart", "createRuntime", "poststart":
				if st.Pid != hostPid {
					t.Errorf("%s: pid %d, want the init's pid on the host, %d", name, st.Pid, hostPid)
				}
				// What the pid is for: reaching the container's
				// namespaces, e.g. to set its network up.
				if got, want := "net "+k.record(t, name, "pidnet"), ctNs; !strings.Contains(want, got) {
					t.Errorf("%s: the pid's network namespace is %q, want the container's", name, strings.TrimSpace(got))
				}
			case "createContainer", "startContainer":
				if st.Pid != ctPid {
					t.Errorf("%s: pid %d, want the init's pid in the container, %d", name, st.Pid, ctPid)
				}
			}

			wantArgs := []string{"argv0-" + name, name, k.outDir, "last arg"}
			if inContainer(phase) {
				wantArgs[2] = ctOut
			}
			if got := strings.Split(strings.TrimSuffix(k.record(t, name, "args"), "\n"), "\n"); !equalStrings(got, wantArgs) {
				t.Errorf("%s: args %q, want %q", name, got, wantArgs)
			}
			env := k.record(t, name, "env")
			if !hasLine(env, "HOOK_MARK=two words=x") || strings.Contains(env, "SPROUT_HOOK_LEAK") {
				t.Errorf("%s: environment %q: want HOOK_MARK from the config and nothing of the runtime's", name, env)
			}

			ns := k.record(t, name, "ns")
			wantNs, where := hostNs, "the runtime's"
			if phase == "createContainer" || phase == "startContainer" {
				wantNs, where = ctNs, "the container's"
			}
			if ns != wantNs {
				t.Errorf("%s: namespaces\n%s want %s\n%s", name, ns, where, wantNs)
			}
		}
	}

	// createContainer: before pivot_root, after the mounts.
	if got, host := k.record(t, "createContainer-1", "root"), devIno(t, "/"); strings.TrimSpace(got) != host {
		t.Errorf("createContainer: / is %s, want the host's / (%s): it must run before pivot_root", strings.TrimSpace(got), host)
	}
	if mi := k.record(t, "createContainer-1", "mountinfo"); !mountedAt(mi, filepath.Join(b.dir, "rootfs", "proc"), "proc") {
		t.Errorf("createContainer: the container's /proc is not mounted yet")
	}
	// startContainer: after pivot_root, before the process is executed.
	if got, rootfs := k.record(t, "startContainer-1", "root"), devIno(t, filepath.Join(b.dir, "rootfs")); strings.TrimSpace(got) != rootfs {
		t.Errorf("startContainer: / is %s, want the rootfs (%s)", strings.TrimSpace(got), rootfs)
	}
	if got := k.record(t, "startContainer-1", "cmdline"); got == "sleep 1000 " {
		t.Errorf("startContainer: the container process already runs %q", got)
	}
	// poststart: after the process is executed.
	if got := k.record(t, "poststart-1", "cmdline"); got != "sleep 1000 " {
		t.Errorf("poststart: the container process runs %q, want the user program", got)
	}
	// poststop: after the container is deleted.
	for _, l := range strings.Split(strings.TrimSpace(k.record(t, "poststop-1", "check")), "\n") {
		if !strings.HasSuffix(l, " absent") {
			t.Errorf("poststop: %s: want the container's state and cgroup gone", l)
		}
	}
	if data, _ := os.ReadFile(log); strings.Contains(string(data), " hook ") {
		t.Errorf("hooks that succeeded logged: %s", data)
	}
}

// cgroupsNamed lists the cgroups called name at the top of every
// hierarchy, v1 or v2.
func cgroupsNamed(name string) []string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + name)
	if fi, err := os.Stat("/sys/fs/cgroup/" + name); err == nil && fi.IsDir() {
		dirs = append(dirs, "/sys/fs/cgroup/"+name)
	}
	return dirs
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// sleeperAlive tells whether a process with mark in its environment lives.
func sleeperAlive(mark string) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		for _, v := range strings.Split(string(env), "\x00") {
			if v == mark {
				return true
			}
		}
	}
	return false
}

// failingHook makes a hook of phase that fails (exit status 7, or by
// outliving its timeout of 1s) after recording which of the container's
// cgroups exist, so that the test knows there was something to clean up.
func (k *hookKit) failingHook(phase string, timeout bool, cgName, mark string) specs.Hook {
	out := k.outDir
	if inContainer(phase) {
		out = ctOut
	}
	script := `for d in /sys/fs/cgroup/*/$CG /sys/fs/cgroup/$CG; do [ -d "$d" ] && echo "$d"; done > "$1/cgroups"
echo started > "$1/started"
`
	if timeout {
		script += "exec $BB sleep 600\n"
	} else {
		script += "echo hook-failed-on-purpose >&2\nexit 7\n"
	}
	h := k.shellHook(phase, script, []string{"CG=" + cgName, mark}, "sh", out)
	if timeout {
		one := 1
		h.Timeout = &one
	}
	return h
}

func TestHookFailure(t *testing.T) {
	for _, phase := range []string{"prestart", "createRuntime", "createContainer", "startContainer"} {
		for _, timeout := range []bool{false, true} {
			name := phase + "/exit-status"
			if timeout {
				name = phase + "/timeout"
			}
			t.Run(name, func(t *testing.T) {
				r := newRuntime(t)
				b := newBundle(t, "touch /process-ran; exec sleep 1000")
				cgName := fmt.Sprintf("sprout-hookfail-%d", time.Now().UnixNano())
				b.spec.Linux.CgroupsPath = "/" + cgName
				k := newHookKit(t, b)
				mark := "HOOK_SLEEPER=" + cgName
				addHook(b.spec.Hooks, phase, k.failingHook(phase, timeout, cgName, mark))
				// A hook after the failing one must not run.
				addHook(b.spec.Hooks, phase, k.recorder(phase, "after"))
				b.save(t)
				id := "hookfail"

				begin := time.Now()
				res := r.sprout("create", "--bundle", b.dir, id)
				if phase == "startContainer" {
					if res.code != 0 {
						t.Fatalf("create: exit %d: %s", res.code, res.stderr)
					}
					if len(cgroupsNamed(cgName)) == 0 {
						t.Fatal("the created container has no cgroup: the cleanup check would mean nothing")
					}
					begin = time.Now()
					res = r.sprout("start", id)
				}
				elapsed := time.Since(begin)
				if res.code == 0 {
					t.Fatalf("the operation succeeded despite a failing %s hook", phase)
				}
				msg := strings.TrimSpace(res.stderr)
				if strings.Contains(msg, "\n") || !strings.Contains(msg, phase) {
					t.Errorf("error %q: want one line naming the %s hook", msg, phase)
				}
				if timeout {
					if elapsed > 8*time.Second {
						t.Errorf("the hook with a 1s timeout held the operation for %v", elapsed)
					}
					if !strings.Contains(msg, "timeout") {
						t.Errorf("error %q does not say the hook timed out", msg)
					}
				}
				if _, err := os.Stat(filepath.Join(k.outDir, "started")); err != nil {
					t.Fatalf("the failing hook never ran: %v", err)
				}
				if data, _ := os.ReadFile(filepath.Join(k.outDir, "cgroups")); phase != "startContainer" && len(strings.TrimSpace(string(data))) == 0 {
					t.Errorf("the container's cgroup did not exist while the hook ran: the cleanup check would mean nothing")
				}
				if sleeperAlive(mark) {
					t.Errorf("the hook outlived its timeout")
				}
				if got := k.order(t); len(got) != 0 {
					t.Errorf("hooks ran after the failing one: %v", got)
				}
				if _, err := os.Stat(filepath.Join(b.dir, "rootfs/process-ran")); err == nil {
					t.Errorf("the container process ran")
				}
				if m := harness.MountsUnder(t, b.dir); len(m) != 0 {
					t.Errorf("mounts left in the host's mount table: %v", m)
				}
				if left := harness.ContainerProcesses(cgName, filepath.Join(b.dir, "rootfs")); len(left) != 0 {
					t.Errorf("processes of the container left: %v", left)
				}
				if left := cgroupsNamed(cgName); len(left) != 0 {
					t.Errorf("cgroups left: %v", left)
				}
				if entries, _ := os.ReadDir(r.root); len(entries) != 0 {
					t.Errorf("state left under the root: %v", entries)
				}
			})
		}
	}
}

// TestHookFailureRunsPoststop: runtime.md, lifecycle steps 3 to 9: a
// failing prestart, createRuntime, createContainer, startContainer or
// poststart hook makes the runtime stop the container and continue at step
// 12, and step 13 runs the poststop hooks.
func TestHookFailureRunsPoststop(t *testing.T) {
	for _, phase := range []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart"} {
		t.Run(phase, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "sleep", "1000")
			cgName := fmt.Sprintf("sprout-hookfail-%d", time.Now().UnixNano())
			b.spec.Linux.CgroupsPath = "/" + cgName
			k := newHookKit(t, b)
			addHook(b.spec.Hooks, phase, k.failingHook(phase, false, cgName, "HOOK_SLEEPER="+cgName))
			addHook(b.spec.Hooks, "poststop", k.recorder("poststop", "poststop"))
			b.save(t)
			res := r.sprout("create", "--bundle", b.dir, "hookstop")
			if phase == "startContainer" || phase == "poststart" {
				if res.code != 0 {
					t.Fatalf("create: exit %d: %s", res.code, res.stderr)
				}
				res = r.sprout("start", "hookstop")
			}
			if res.code == 0 {
				t.Fatalf("the operation succeeded despite a failing %s hook", phase)
			}
			if got := k.order(t); !equalStrings(got, []string{"poststop"}) {
				t.Fatalf("hooks run after the failing %s hook: %v, want the poststop hook", phase, got)
			}
			if st := k.state(t, "poststop"); st.Status != specs.StateStopped || st.ID != "hookstop" {
				t.Errorf("poststop state %+v: want status stopped", st)
			}
			if left := harness.ContainerProcesses(cgName, filepath.Join(b.dir, "rootfs")); len(left) != 0 {
				t.Errorf("processes of the container left: %v", left)
			}
			if res := r.sprout("state", "hookstop"); res.code == 0 {
				t.Errorf("the container still exists: %s", res.stdout)
			}
		})
	}
}

// A failing poststop hook only warns (runtime.md, lifecycle step 13). A
// failing poststart hook stops the container since runtime-spec 1.1; see
// TestHookFailureRunsPoststop.
func TestHookPoststopFailureWarns(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	k := newHookKit(t, b)
	mark := fmt.Sprintf("HOOK_SLEEPER=warn-%d", time.Now().UnixNano())
	addHook(b.spec.Hooks, "poststart", k.recorder("poststart", "poststart"))
	addHook(b.spec.Hooks, "poststop", k.failingHook("poststop", false, "none", mark))
	addHook(b.spec.Hooks, "poststop", k.recorder("poststop", "poststop"))
	b.save(t)
	log := filepath.Join(t.TempDir(), "log")
	id := "hookwarn"
	r.must("--log", log, "create", "--bundle", b.dir, id)
	r.must("--log", log, "start", id)
	if got := k.order(t); !equalStrings(got, []string{"poststart"}) {
		t.Fatalf("hooks run by start: %v, want the poststart hook", got)
	}
	r.must("kill", id, "KILL")
	r.waitStatus(id, specs.StateStopped)
	r.must("--log", log, "delete", id)
	if got := k.order(t); !equalStrings(got, []string{"poststart", "poststop"}) {
		t.Fatalf("hooks run: %v, want the poststop hook after the failing one", got)
	}
	if res := r.sprout("state", id); res.code == 0 {
		t.Errorf("the container still exists after delete")
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "level=warning") && strings.Contains(l, " hook ") {
			warnings = append(warnings, l)
		}
	}
	want := []string{"poststop hook 0"}
	if len(warnings) != len(want) {
		t.Fatalf("hook warnings in the log %q: want one for each of %v", warnings, want)
	}
	for i, w := range want {
		if !strings.Contains(warnings[i], w) {
			t.Errorf("warning %q does not name the %s", warnings[i], w)
		}
	}
}

// TestHookConfigValidation: config.md requires an absolute path and a
// positive timeout of every hook; a config that breaks either is refused
// by create, whatever the phase, and nothing is left behind.
func TestHookConfigValidation(t *testing.T) {
	for _, phase := range hookPhases {
		for _, field := range []string{"path", "timeout"} {
			t.Run(phase+"/"+field, func(t *testing.T) {
				r := newRuntime(t)
				b := newBundle(t, "true")
				k := newHookKit(t, b)
				h := k.recorder(phase, "bad")
				if field == "path" {
					h.Path = "bin/busybox"
				} else {
					zero := 0
					h.Timeout = &zero
				}
				addHook(b.spec.Hooks, phase, h)
				b.save(t)
				res := r.sprout("create", "--bundle", b.dir, "hookcfg")
				if res.code == 0 {
					r.sprout("delete", "--force", "hookcfg")
					t.Fatalf("create accepted hooks.%s[0] with a bad %s", phase, field)
				}
				if msg := res.stderr; !strings.Contains(msg, phase) || !strings.Contains(msg, field) {
					t.Errorf("error %q does not name hooks.%s[0].%s", strings.TrimSpace(msg), phase, field)
				}
				if got := k.order(t); len(got) != 0 {
					t.Errorf("hooks ran: %v", got)
				}
				if entries, _ := os.ReadDir(r.root); len(entries) != 0 {
					t.Errorf("state left under the root: %v", entries)
				}
			})
		}
	}
}
