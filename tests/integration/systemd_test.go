package integration

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The --systemd-cgroup driver. The tests that need systemd run in the
// systemd VM tier (tests/vm, VM_IMAGE=systemd), which also runs the
// resources tests under the driver; on a host without systemd only the
// input checks and the refusal run.

func systemdRunning() bool {
	fi, err := os.Stat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

func needSystemd(t *testing.T) {
	t.Helper()
	if !systemdRunning() || !systemdDriver {
		t.Skip("needs systemd as init and SPROUT_TEST_CGROUP_DRIVER=systemd (the systemd VM tier)")
	}
}

// systemdSprout runs sprout with --systemd-cgroup, which the systemd tier
// already adds to every command.
func (r *runtime) systemdSprout(args ...string) result {
	r.t.Helper()
	if !systemdDriver {
		args = append([]string{"--systemd-cgroup"}, args...)
	}
	return r.sprout(args...)
}

// unitProps reads properties of a unit as `systemctl show` prints them.
func unitProps(t *testing.T, unit string, names ...string) map[string]string {
	t.Helper()
	out, err := exec.Command("systemctl", "show", "-p", strings.Join(names, ","), unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemctl show %s: %v: %s", unit, err, out)
	}
	props := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			props[k] = v
		}
	}
	return props
}

func expectUnit(t *testing.T, unit string, want map[string]string) {
	t.Helper()
	names := make([]string, 0, len(want))
	for k := range want {
		names = append(names, k)
	}
	got := unitProps(t, unit, names...)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("systemctl show %s: %s=%q, want %q", unit, k, got[k], v)
		}
	}
}

// unitGone waits until systemd no longer knows unit.
func unitGone(t *testing.T, unit string) {
	t.Helper()
	var st string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st = unitProps(t, unit, "LoadState")["LoadState"]; st == "not-found" {
			return
		}
	}
	t.Errorf("unit %s is still loaded (LoadState=%s)", unit, st)
}

// scopeDir is where a unit's cgroup (as ControlGroup shows it) is in
// systemd's own hierarchy: cgroup v2, or name=systemd on a hybrid host.
func scopeDir(t *testing.T, cgroup string) string {
	t.Helper()
	if resCgroupV2(t) {
		return "/sys/fs/cgroup" + cgroup
	}
	return "/sys/fs/cgroup/systemd" + cgroup
}

// systemdDir is the directory of pid's cgroup in systemd's hierarchy.
func systemdDir(t *testing.T, pid int) string {
	t.Helper()
	cg := resCgroupOf(t, pid)
	if cg.v2 {
		return cg.dirs[""]
	}
	return cg.dirs["name=systemd"]
}

// expectNoScope checks that no hierarchy has a directory for the unit.
func expectNoScope(t *testing.T, cgroup string) {
	t.Helper()
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + cgroup)
	if resCgroupV2(t) {
		dirs = append(dirs, "/sys/fs/cgroup"+cgroup)
	}
	for _, d := range dirs {
		expectNoDir(t, d)
	}
}

func expectNoDir(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there (%v)", dir, err)
	}
}

func readCgroupFile(t *testing.T, dir, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func TestSystemdScopeResourcesUpdateDelete(t *testing.T) {
	needSystemd(t)
	if !resCgroupV2(t) {
		t.Skip("cgroup v2 properties and files; TestSystemdScopeV1 covers hybrid hosts")
	}
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	const id = "sd-scope"
	b.spec.Linux.CgroupsPath = "system.slice:sprout-test:" + id
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64(64 << 20), Reservation: i64(16 << 20)}
	b.spec.Linux.Resources.CPU = &specs.LinuxCPU{Shares: resU64(512), Quota: i64(33333), Period: resU64(100000), Cpus: "0"}
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64(42)}
	b.spec.Annotations = map[string]string{"org.systemd.property.TimeoutStopSec": "uint64 7"}
	pid := resStart(t, r, b, id)

	const unit = "sprout-test-sd-scope.scope"
	const dir = "/sys/fs/cgroup/system.slice/" + unit
	if cg := resCgroupOf(t, pid); cg.dirs[""] != dir {
		t.Fatalf("init is in %s, want %s", cg.dirs[""], dir)
	}
	expectUnit(t, unit, map[string]string{
		"ActiveState": "active", "Slice": "system.slice", "ControlGroup": "/system.slice/" + unit,
		"Delegate": "yes", "DefaultDependencies": "no",
		"MemoryMax": strconv.Itoa(64 << 20), "MemoryLow": strconv.Itoa(16 << 20),
		"CPUWeight": strconv.Itoa(1 + (512-2)*9999/262142),
		// systemd keeps whole percents: 33.333% is 34%.
		"CPUQuotaPerSecUSec": "340ms", "CPUQuotaPeriodUSec": "100ms",
		"AllowedCPUs": "0", "TasksMax": "42", "TimeoutStopUSec": "7s",
		"MemoryAccounting": "yes", "TasksAccounting": "yes",
	})
	for file, want := range map[string]string{
		"memory.max": strconv.Itoa(64 << 20), "memory.low": strconv.Itoa(16 << 20),
		// The file holds the exact quota, not systemd's rounded one.
		"cpu.max": "33333 100000", "cpuset.cpus": "0", "pids.max": "42",
	} {
		if got := readCgroupFile(t, dir, file); got != want {
			t.Errorf("%s/%s = %q, want %q", dir, file, got, want)
		}
	}

	r.must("update", "--memory", "128m", "--pids-limit", "100", "--cpu-quota", "50000", id)
	expectUnit(t, unit, map[string]string{"MemoryMax": strconv.Itoa(128 << 20), "TasksMax": "100", "CPUQuotaPerSecUSec": "500ms"})
	for file, want := range map[string]string{"memory.max": strconv.Itoa(128 << 20), "pids.max": "100", "cpu.max": "50000 100000"} {
		if got := readCgroupFile(t, dir, file); got != want {
			t.Errorf("after update: %s/%s = %q, want %q", dir, file, got, want)
		}
	}

	// exec joins the scope's cgroup.
	if out := strings.TrimSpace(r.must("exec", id, "cat", "/proc/self/cgroup")); out != "0::/" && out != "0::/system.slice/"+unit {
		t.Errorf("exec'd process is in cgroup %q", out)
	}
	if pids := strings.Fields(readCgroupFile(t, dir, "cgroup.procs")); len(pids) != 1 || pids[0] != strconv.Itoa(pid) {
		t.Errorf("cgroup.procs after exec: %v, want only the init %d", pids, pid)
	}

	r.must("kill", id, "KILL")
	r.waitStatus(id, specs.StateStopped)
	r.must("delete", id)
	unitGone(t, unit)
	expectNoDir(t, dir)
}

func TestSystemdDefaultPathAndForceDelete(t *testing.T) {
	needSystemd(t)
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	const id = "sd-default"
	b.spec.Linux.CgroupsPath = ""
	b.save(t)
	r.must("create", "--bundle", b.dir, id)
	// runc's default slice; sprout names the scope after itself.
	const unit = "sprout-sd-default.scope"
	expectUnit(t, unit, map[string]string{"ActiveState": "active", "ControlGroup": "/system.slice/" + unit})
	if pid := r.mustState(id).Pid; systemdDir(t, pid) != scopeDir(t, "/system.slice/"+unit) {
		t.Errorf("init is in %s, want %s", systemdDir(t, pid), scopeDir(t, "/system.slice/"+unit))
	}
	r.must("delete", "--force", id)
	unitGone(t, unit)
	expectNoScope(t, "/system.slice/"+unit)
}

func TestSystemdNestedSlice(t *testing.T) {
	needSystemd(t)
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	const id = "sd-nested"
	b.spec.Linux.CgroupsPath = "sprouttest-a.slice:p:" + id
	pid := resStart(t, r, b, id)
	want := scopeDir(t, "/sprouttest.slice/sprouttest-a.slice/p-sd-nested.scope")
	if got := systemdDir(t, pid); got != want {
		t.Errorf("init is in %s, want %s", got, want)
	}
	r.must("delete", "--force", id)
	unitGone(t, "p-sd-nested.scope")
	exec.Command("systemctl", "stop", "sprouttest.slice").Run()
}

// A create killed half-way leaves a state and a scope with the init in
// it; delete --force removes both.
func TestSystemdForceDeleteAfterKilledCreate(t *testing.T) {
	needSystemd(t)
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	const id = "sd-killed"
	b.spec.Linux.CgroupsPath = "system.slice:sprout-test:" + id
	mark := filepath.Join(t.TempDir(), "hook-ran")
	b.spec.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "touch " + mark + "; sleep 30"}}}}
	b.save(t)
	cmd := exec.Command(sproutBin, "--root", r.root, "--systemd-cgroup", "create", "--bundle", b.dir, id)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(mark); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the createRuntime hook never ran")
		}
	}
	const unit = "sprout-test-sd-killed.scope"
	expectUnit(t, unit, map[string]string{"ActiveState": "active"})
	cmd.Process.Kill()
	cmd.Wait()
	r.must("delete", "--force", id)
	unitGone(t, unit)
	expectNoScope(t, "/system.slice/"+unit)
	expectNoDir(t, filepath.Join(r.root, id))
}

// nothingLeft checks that a refused create left no state, scope or cgroup.
func nothingLeft(t *testing.T, r *runtime, id, unit string) {
	t.Helper()
	expectNoDir(t, filepath.Join(r.root, id))
	if systemdRunning() {
		if st := unitProps(t, unit, "LoadState")["LoadState"]; st != "not-found" {
			t.Errorf("a refused create left unit %s (LoadState=%s)", unit, st)
		}
		expectNoScope(t, "/system.slice/"+unit)
	}
}

func TestSystemdBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, path  string
		annotations map[string]string
		want        string
		needSystemd bool
	}{
		{name: "cgroupfs path", path: "/sprout/sd-bad", want: `linux.cgroupsPath "/sprout/sd-bad": with --systemd-cgroup it must have the form "slice:prefix:name"`},
		{name: "not a slice", path: "system:sprout:sd-bad", want: `linux.cgroupsPath "system:sprout:sd-bad": slice "system": a slice name ends in .slice`},
		{name: "bad annotation value", path: "system.slice:sprout:sd-bad", annotations: map[string]string{"org.systemd.property.CollectMode": "inactive"},
			want: `annotations["org.systemd.property.CollectMode"]: value "inactive" is not a GVariant text value`},
		{name: "bad annotation name", path: "system.slice:sprout:sd-bad", annotations: map[string]string{"org.systemd.property.Foo-Bar": "true"},
			want: `annotations["org.systemd.property.Foo-Bar"]: property name "Foo-Bar": only ASCII letters are allowed`},
		{name: "unknown property", path: "system.slice:sprout:sd-bad", annotations: map[string]string{"org.systemd.property.NoSuchProperty": "true"},
			want: "NoSuchProperty", needSystemd: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needSystemd {
				needSystemd(t)
			}
			r := newRuntime(t)
			b := newBundle(t, "true")
			b.spec.Linux.CgroupsPath = tc.path
			b.spec.Annotations = tc.annotations
			b.save(t)
			res := r.systemdSprout("create", "--bundle", b.dir, "sd-bad")
			if res.code == 0 || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("create: exit %d, stderr %q; want an error with %q", res.code, res.stderr, tc.want)
			}
			nothingLeft(t, r, "sd-bad", "sprout-sd-bad.scope")
		})
	}
}

func TestSystemdNotRunning(t *testing.T) {
	if systemdRunning() {
		t.Skip("systemd runs this host")
	}
	r := newRuntime(t)
	b := newBundle(t, "true")
	b.spec.Linux.CgroupsPath = "system.slice:sprout:sd-none"
	b.save(t)
	res := r.systemdSprout("create", "--bundle", b.dir, "sd-none")
	if res.code == 0 || !strings.Contains(res.stderr, "--systemd-cgroup: systemd is not running on this host") {
		t.Errorf("create without systemd: exit %d, stderr %q", res.code, res.stderr)
	}
	nothingLeft(t, r, "sd-none", "sprout-sd-none.scope")
}

// An OOM kill in the scope is reported by events. systemd before 253 then
// stops the scope (scopes have no OOMPolicy= there) and keeps it loaded as
// failed: delete must make systemd forget it, so the name works again.
func TestSystemdOOMEventAndFailedUnit(t *testing.T) {
	needSystemd(t)
	r := newRuntime(t)
	b := newBundle(t, "while [ ! -e /tmp/go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 1000")
	const limit = 16 << 20
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64(limit), Swap: resNoSwapLimit(t, limit)}
	const id = "sd-oom"
	const unit = "sprout-test-sd-oom.scope"
	b.spec.Linux.CgroupsPath = "system.slice:sprout-test:" + id
	resStart(t, r, b, id)

	ev := exec.Command(sproutBin, "--root", r.root, "events", "--interval", "100ms", id)
	out, err := ev.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ev.Process.Kill()
		ev.Wait()
	}()
	events := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			events <- sc.Text()
		}
		close(events)
	}()
	wait := func(what string) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("events exited before %s", what)
				}
				if strings.Contains(e, `"type":"`+what+`"`) {
					return
				}
			case <-timeout:
				t.Fatalf("no %s event within 20s", what)
			}
		}
	}
	wait("stats")
	if err := os.WriteFile(filepath.Join(b.dir, "rootfs/tmp/go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wait("oom")

	r.must("delete", "--force", id)
	unitGone(t, unit)
	expectNoScope(t, "/system.slice/"+unit)
	b.spec.Process.Args = []string{"sleep", "1000"}
	resStart(t, r, b, id)
	expectUnit(t, unit, map[string]string{"ActiveState": "active"})
	r.must("delete", "--force", id)
	unitGone(t, unit)
}

// runc's systemd driver and sprout's, given the same config, make scopes
// with the same properties and cgroup files (device rules aside: see
// deviceProperties in cgroups/systemd).
func TestSystemdMatchesRunc(t *testing.T) {
	needSystemd(t)
	const runc = "/usr/sbin/runc"
	if _, err := os.Stat(runc); err != nil {
		t.Skip("runc is not installed")
	}
	b := newBundle(t, "sleep", "1000")
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64(64 << 20), Reservation: i64(16 << 20)}
	if resCgroupV2(t) {
		b.spec.Linux.Resources.Memory.Swap = i64(96 << 20)
	}
	b.spec.Linux.Resources.CPU = &specs.LinuxCPU{Shares: resU64(300), Quota: i64(12345), Period: resU64(50000), Cpus: "0", Mems: "0"}
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64(77)}
	b.spec.Annotations = map[string]string{"org.systemd.property.TimeoutStopSec": "uint64 9"}

	props := []string{"ActiveState", "Slice", "Delegate", "DefaultDependencies", "MemoryAccounting", "CPUAccounting",
		"IOAccounting", "TasksAccounting", "MemoryMax", "MemoryLow", "MemorySwapMax", "CPUWeight", "CPUQuotaPerSecUSec",
		"CPUQuotaPeriodUSec", "AllowedCPUs", "AllowedMemoryNodes", "TasksMax", "TimeoutStopUSec"}
	// Controller and file; the controller names the v1 hierarchy.
	files := [][2]string{{"memory", "memory.max"}, {"memory", "memory.low"}, {"memory", "memory.swap.max"},
		{"cpu", "cpu.weight"}, {"cpu", "cpu.max"}, {"cpuset", "cpuset.cpus"}, {"cpuset", "cpuset.mems"}, {"pids", "pids.max"}}
	if !resCgroupV2(t) {
		props = append(props, "MemoryLimit", "CPUShares", "BlockIOAccounting")
		files = [][2]string{{"memory", "memory.limit_in_bytes"}, {"memory", "memory.soft_limit_in_bytes"},
			{"cpu", "cpu.shares"}, {"cpu", "cpu.cfs_quota_us"}, {"cpu", "cpu.cfs_period_us"},
			{"cpuset", "cpuset.cpus"}, {"cpuset", "cpuset.mems"}, {"pids", "pids.max"}}
	}
	type scope struct {
		props map[string]string
		files map[string]string
	}
	read := func(unit string) scope {
		s := scope{props: unitProps(t, unit, props...), files: map[string]string{}}
		for _, f := range files {
			dir := "/sys/fs/cgroup/system.slice/" + unit
			if !resCgroupV2(t) {
				dir = "/sys/fs/cgroup/" + f[0] + "/system.slice/" + unit
			}
			s.files[f[1]] = readCgroupFile(t, dir, f[1])
		}
		return s
	}

	b.spec.Linux.CgroupsPath = "system.slice:runc-test:cmp"
	b.save(t)
	runcRoot := t.TempDir()
	for _, args := range [][]string{{"create", "--bundle", b.dir, "cmp"}, {"start", "cmp"}} {
		// A file, not a pipe: the container keeps its stdio open.
		out, err := os.CreateTemp(t.TempDir(), "runc-out")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(runc, append([]string{"--root", runcRoot, "--systemd-cgroup"}, args...)...)
		cmd.Stdout, cmd.Stderr = out, out
		err = cmd.Run()
		out.Close()
		if err != nil {
			msg, _ := os.ReadFile(out.Name())
			t.Fatalf("runc %v: %v: %s", args, err, msg)
		}
	}
	t.Cleanup(func() { exec.Command(runc, "--root", runcRoot, "delete", "--force", "cmp").Run() })
	want := read("runc-test-cmp.scope")
	if want.props["ActiveState"] != "active" || want.files["pids.max"] != "77" {
		t.Fatalf("runc's scope: %v %v", want.props, want.files)
	}

	r := newRuntime(t)
	b.spec.Linux.CgroupsPath = "system.slice:sprout-test:cmp"
	resStart(t, r, b, "cmp")
	got := read("sprout-test-cmp.scope")

	for _, p := range props {
		if got.props[p] != want.props[p] {
			t.Errorf("systemctl show -p %s: sprout %q, runc %q", p, got.props[p], want.props[p])
		}
	}
	for _, f := range files {
		if got.files[f[1]] != want.files[f[1]] {
			t.Errorf("%s: sprout %q, runc %q", f[1], got.files[f[1]], want.files[f[1]])
		}
	}
}

func TestSystemdScopeV1(t *testing.T) {
	needSystemd(t)
	if resCgroupV2(t) {
		t.Skip("hybrid hosts only")
	}
	r := newRuntime(t)
	b := newBundle(t, "sleep", "1000")
	const id = "sd-v1"
	const unit = "sprout-test-sd-v1.scope"
	b.spec.Linux.CgroupsPath = "system.slice:sprout-test:" + id
	b.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64(64 << 20)}
	b.spec.Linux.Resources.CPU = &specs.LinuxCPU{Shares: resU64(512), Quota: i64(20000), Period: resU64(50000), Cpus: "0"}
	b.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64(42)}
	pid := resStart(t, r, b, id)

	cg := resCgroupOf(t, pid)
	// systemd's hierarchies and those it leaves to the runtime (cpuset,
	// freezer) all hold the init at the scope's path.
	for _, c := range []string{"name=systemd", "memory", "cpu", "pids", "devices", "cpuset", "freezer"} {
		if want := "/system.slice/" + unit; !strings.HasSuffix(cg.dirs[c], want) {
			t.Errorf("%s: init is in %s, want a directory ending in %s", c, cg.dirs[c], want)
		}
	}
	expectUnit(t, unit, map[string]string{
		"ActiveState": "active", "Delegate": "yes", "DefaultDependencies": "no",
		"MemoryLimit": strconv.Itoa(64 << 20), "CPUShares": "512", "CPUQuotaPerSecUSec": "400ms", "TasksMax": "42",
	})
	cg.expect("memory", "memory.limit_in_bytes", "", strconv.Itoa(64<<20))
	cg.expect("cpu", "cpu.shares", "", "512")
	cg.expect("cpu", "cpu.cfs_quota_us", "", "20000")
	cg.expect("cpuset", "cpuset.cpus", "", "0")
	cg.expect("pids", "pids.max", "", "42")

	r.must("update", "--memory", "128m", "--pids-limit", "100", id)
	expectUnit(t, unit, map[string]string{"MemoryLimit": strconv.Itoa(128 << 20), "TasksMax": "100"})
	cg.expect("memory", "memory.limit_in_bytes", "", strconv.Itoa(128<<20))
	cg.expect("pids", "pids.max", "", "100")

	r.must("pause", id)
	cg.expect("freezer", "freezer.state", "", "FROZEN")
	r.must("resume", id)

	r.must("delete", "--force", id)
	unitGone(t, unit)
	expectNoScope(t, "/system.slice/"+unit)
}
