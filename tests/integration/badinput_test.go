package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// snapshot is what a failed create must leave as it was.
type snapshot struct {
	mounts  []string
	cgroups []string
}

// takeSnapshot records the mounts under dirs (the bundle and the state
// root: a create puts nothing elsewhere, and other work on the machine
// mounts elsewhere) and the cgroups named id.
func takeSnapshot(t *testing.T, id string, dirs ...string) snapshot {
	t.Helper()
	m, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var s snapshot
	for _, line := range strings.Split(string(m), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		for _, d := range dirs {
			if f[4] == d || strings.HasPrefix(f[4], d+"/") {
				s.mounts = append(s.mounts, line)
				break
			}
		}
	}
	s.cgroups = harness.CgroupsNamed(t, id)
	return s
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name   string
		id     string
		mutate func(t *testing.T, b *bundle)
		want   string
		// isolate runs sprout in a mount namespace of its own, compared
		// before and after: a config that shares or joins the caller's
		// mount namespace must not be able to leave mounts on the host
		// even when the check under test fails.
		isolate bool
	}{
		{"malformed json", "bad1", func(t *testing.T, b *bundle) {
			os.WriteFile(filepath.Join(b.dir, "config.json"), []byte(`{"ociVersion": "1.0.2",`), 0o644)
		}, "parse config.json", false},
		{"missing rootfs", "bad2", func(t *testing.T, b *bundle) {
			b.spec.Root.Path = "nonexistent"
			b.save(t)
		}, "root.path", false},
		{"empty args", "bad3", func(t *testing.T, b *bundle) {
			b.spec.Process.Args = nil
			b.save(t)
		}, "process.args", false},
		{"relative cwd", "bad4", func(t *testing.T, b *bundle) {
			b.spec.Process.Cwd = "tmp"
			b.save(t)
		}, "process.cwd", false},
		{"missing cwd", "bad5", func(t *testing.T, b *bundle) {
			b.spec.Process.Cwd = "/does/not/exist"
			b.save(t)
		}, "process.cwd", false},
		{"unknown namespace", "bad6", func(t *testing.T, b *bundle) {
			b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
			b.save(t)
		}, "unknown namespace type", false},
		{"program not found", "bad7", func(t *testing.T, b *bundle) {
			b.spec.Process.Args = []string{"no-such-program"}
			b.save(t)
		}, "process.args[0]", false},
		{"symlink destination climbing into /proc", "bad8", func(t *testing.T, b *bundle) {
			os.Symlink("../../../../../../../proc/sys", filepath.Join(b.dir, "rootfs/escape"))
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/escape", Type: "tmpfs", Source: "tmpfs"})
			b.save(t)
		}, "destination /escape resolves to /proc/sys in the rootfs: destination /proc/sys: mounts over /proc are limited", false},
		{"invalid id", "../evil", func(t *testing.T, b *bundle) { b.save(t) }, "invalid container ID", false},
		{"invalid id chars", "a/b", func(t *testing.T, b *bundle) { b.save(t) }, "invalid container ID", false},
		{"bad mount source", "bad9", func(t *testing.T, b *bundle) {
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/no/such/source", Options: []string{"bind"}})
			b.save(t)
		}, "mounts[", false},

		// IDs that are not IDs: (uid_t)-1 would leave the process root.
		{"uid -1", "bad10", func(t *testing.T, b *bundle) {
			b.spec.Process.User.UID = 4294967295
			b.save(t)
		}, "process.user.uid: 4294967295 is out of range", false},
		{"uid 2^31", "bad11", func(t *testing.T, b *bundle) {
			b.spec.Process.User.UID = 2147483648
			b.save(t)
		}, "process.user.uid: 2147483648 is out of range", false},
		{"gid -1", "bad12", func(t *testing.T, b *bundle) {
			b.spec.Process.User.GID = 4294967295
			b.save(t)
		}, "process.user.gid", false},
		{"additional gid -1", "bad13", func(t *testing.T, b *bundle) {
			b.spec.Process.User.AdditionalGids = []uint32{4294967295}
			b.save(t)
		}, "process.user.additionalGids[0]", false},
		{"uid mapping past -1", "bad14", func(t *testing.T, b *bundle) {
			b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			b.spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 4294967294, Size: 2}}
			b.spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 1}}
			b.save(t)
		}, "linux.uidMappings[0]: hostID 4294967294 + size 2", false},
		{"device uid -1", "bad15", func(t *testing.T, b *bundle) {
			uid := uint32(4294967295)
			b.spec.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, UID: &uid}}
			b.save(t)
		}, "linux.devices[0] (/dev/fuse): uid 4294967295", false},
		{"mount uid=-1", "bad16", func(t *testing.T, b *bundle) {
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/t", Type: "tmpfs", Source: "tmpfs", Options: []string{"uid=4294967295"}})
			b.save(t)
		}, `mounts[7] (/t): option "uid=4294967295"`, false},

		// NUL bytes: the C stage and the kernel would read a shorter
		// string than the config shows.
		{"NUL in net namespace path", "bad17", func(t *testing.T, b *bundle) {
			setNamespacePath(b, specs.NetworkNamespace, "/proc/self/ns/net\x00x")
			b.save(t)
		}, "linux.namespaces[1].path: contains a NUL byte", false},
		{"NUL in mount namespace path", "bad18", func(t *testing.T, b *bundle) {
			setNamespacePath(b, specs.MountNamespace, "/proc/self/ns/mnt\x00x")
			b.save(t)
		}, "linux.namespaces[4].path: contains a NUL byte", true},
		{"NUL in mount data", "bad19", func(t *testing.T, b *bundle) {
			b.spec.Mounts[1].Options = append(b.spec.Mounts[1].Options, "mode=755\x00")
			b.save(t)
		}, "mounts[1].options[4]: contains a NUL byte", false},
		{"NUL in hostname", "bad20", func(t *testing.T, b *bundle) {
			b.spec.Hostname = "host\x00name"
			b.save(t)
		}, "hostname: contains a NUL byte", false},
		{"NUL in env", "bad21", func(t *testing.T, b *bundle) {
			b.spec.Process.Env = append(b.spec.Process.Env, "A=b\x00LD_PRELOAD=/x")
			b.save(t)
		}, "process.env[2]: contains a NUL byte", false},
		{"NUL in args", "bad22", func(t *testing.T, b *bundle) {
			b.spec.Process.Args = []string{"/bin/true\x00x"}
			b.save(t)
		}, "process.args[0]: contains a NUL byte", false},
		{"NUL in hook path", "bad23", func(t *testing.T, b *bundle) {
			b.spec.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true\x00x"}}}
			b.save(t)
		}, "hooks.createRuntime[0].path: contains a NUL byte", false},

		// A namespaced sysctl in the caller's own namespace: written the
		// same as the host's current value, so an old sprout that took it
		// changed nothing.
		{"net sysctl in the joined host netns", "bad24", func(t *testing.T, b *bundle) {
			cur, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
			if err != nil {
				t.Fatal(err)
			}
			setNamespacePath(b, specs.NetworkNamespace, fmt.Sprintf("/proc/%d/ns/net", os.Getpid()))
			b.spec.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": strings.TrimSpace(string(cur))}
			b.save(t)
		}, `linux.sysctl "net.ipv4.ip_forward": not allowed in the host's network namespace`, false},
		{"ipc sysctl without ipc namespace", "bad25", func(t *testing.T, b *bundle) {
			dropNamespace(b, specs.IPCNamespace)
			b.spec.Linux.Sysctl = map[string]string{"kernel.shmmni": "4096"}
			b.save(t)
		}, `linux.sysctl "kernel.shmmni": not allowed in the host's ipc namespace`, false},

		// No mount namespace: the init would mount into the caller's.
		{"no mount namespace, default masked paths", "bad26", func(t *testing.T, b *bundle) {
			dropNamespace(b, specs.MountNamespace)
			b.spec.Mounts = nil
			b.save(t)
		}, "linux.maskedPaths: unable to restrict sys entries without a private MNT namespace", true},
		{"no mount namespace, mounts", "bad27", func(t *testing.T, b *bundle) {
			dropNamespace(b, specs.MountNamespace)
			b.save(t)
		}, "mounts: needs a private mount namespace", true},
		{"no mount namespace, readonly root", "bad28", func(t *testing.T, b *bundle) {
			dropNamespace(b, specs.MountNamespace)
			b.spec.Mounts = nil
			b.spec.Linux.MaskedPaths, b.spec.Linux.ReadonlyPaths = nil, nil
			b.spec.Root.Readonly = true
			b.save(t)
		}, "root.readonly: needs a private mount namespace", true},
		{"no mount namespace, rootfs not /", "bad29", func(t *testing.T, b *bundle) {
			dropNamespace(b, specs.MountNamespace)
			b.spec.Mounts = nil
			b.spec.Linux.MaskedPaths, b.spec.Linux.ReadonlyPaths = nil, nil
			b.save(t)
		}, `root.path "rootfs": must be / without a private mount namespace`, true},
		{"joins the caller's mount namespace", "bad30", func(t *testing.T, b *bundle) {
			setNamespacePath(b, specs.MountNamespace, "/proc/self/ns/mnt")
			b.save(t)
		}, "is the runtime's own mount namespace", true},

		{"rootfs is a symlink", "bad31", func(t *testing.T, b *bundle) {
			outside := t.TempDir()
			makeRootfs(t, outside)
			os.Symlink(outside, filepath.Join(b.dir, "rootfs-link"))
			b.spec.Root.Path = "rootfs-link"
			b.save(t)
		}, "rootfs-link: invalid rootfs: it is a symlink", false},

		// config.json that is not a small regular file.
		{"config.json is a FIFO", "bad32", func(t *testing.T, b *bundle) {
			if err := syscall.Mkfifo(filepath.Join(b.dir, "config.json"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "config.json: not a regular file (a FIFO)", false},
		{"config.json is the zero device", "bad33", func(t *testing.T, b *bundle) {
			os.Symlink("/dev/zero", filepath.Join(b.dir, "config.json"))
		}, "config.json: not a regular file (a character device)", false},
		{"config.json over 4 MiB", "bad34", func(t *testing.T, b *bundle) {
			b.save(t)
			f, err := os.OpenFile(filepath.Join(b.dir, "config.json"), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte(strings.Repeat(" ", 4<<20)))
			f.Close()
		}, "larger than the 4194304 bytes (4 MiB) allowed", false},

		// Shapes with no meaning.
		{"mount on /", "bad35", func(t *testing.T, b *bundle) {
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/", Type: "tmpfs", Source: "tmpfs"})
			b.save(t)
		}, `mounts[7].destination "/": a mount over the container's root is not allowed`, false},
		{"mount on ..", "bad36", func(t *testing.T, b *bundle) {
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "..", Type: "tmpfs", Source: "tmpfs"})
			b.save(t)
		}, `mounts[7].destination ".."`, false},
		{"mount on .", "bad37", func(t *testing.T, b *bundle) {
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: ".", Type: "tmpfs", Source: "tmpfs"})
			b.save(t)
		}, `mounts[7].destination "."`, false},
		{"env without =", "bad38", func(t *testing.T, b *bundle) {
			b.spec.Process.Env = append(b.spec.Process.Env, "FOO")
			b.save(t)
		}, `process.env[2] "FOO": invalid environment variable: missing '='`, false},
		{"hostname too long", "bad39", func(t *testing.T, b *bundle) {
			b.spec.Hostname = strings.Repeat("h", 65)
			b.save(t)
		}, "hostname: 65 bytes", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "true")
			tc.mutate(t, b)
			before := takeSnapshot(t, tc.id, b.dir, r.root)
			var res result
			if tc.isolate {
				var inner string
				res, inner = r.sproutIsolated("create", "--bundle", b.dir, tc.id)
				if inner != "" {
					t.Errorf("%s", inner)
				}
			} else {
				res = r.sprout("create", "--bundle", b.dir, tc.id)
			}
			if res.code == 0 {
				t.Fatalf("create succeeded")
			}
			msg := strings.TrimSpace(res.stderr)
			if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q: want one line containing %q", msg, tc.want)
			}
			after := takeSnapshot(t, tc.id, b.dir, r.root)
			if strings.Join(before.mounts, "\n") != strings.Join(after.mounts, "\n") {
				t.Errorf("mounts left: %v", after.mounts)
			}
			if left := r.leftProcesses(); len(left) != 0 {
				t.Errorf("processes left: %v", left)
			}
			if strings.Join(before.cgroups, ",") != strings.Join(after.cgroups, ",") {
				t.Errorf("cgroups left: %v", after.cgroups)
			}
			entries, _ := os.ReadDir(r.root)
			if len(entries) != 0 {
				t.Errorf("state left under the root: %v", entries)
			}
		})
	}
}

func setNamespacePath(b *bundle, typ specs.LinuxNamespaceType, path string) {
	for i := range b.spec.Linux.Namespaces {
		if b.spec.Linux.Namespaces[i].Type == typ {
			b.spec.Linux.Namespaces[i].Path = path
		}
	}
}

func dropNamespace(b *bundle, typ specs.LinuxNamespaceType) {
	b.spec.Linux.Namespaces = slices.DeleteFunc(b.spec.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == typ })
}

// sproutIsolated runs sprout in a new mount namespace with private
// propagation and reports how that namespace's mount table changed: what
// a config would have done to the caller's, without touching the host's.
func (r *runtime) sproutIsolated(args ...string) (result, string) {
	r.t.Helper()
	dir := r.t.TempDir()
	before, after := filepath.Join(dir, "before"), filepath.Join(dir, "after")
	script := `cat /proc/self/mountinfo >"$1"; b=$1 a=$2; shift 2; "$@"; rc=$?; cat /proc/self/mountinfo >"$a"; exit $rc`
	cmd := exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", before, after, sproutBin, "--root", r.root}, args...)...)
	// Files, not pipes, as in sproutIn: a container that was created
	// after all keeps its stdio open.
	outF, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		r.t.Fatal(err)
	}
	defer outF.Close()
	errF, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		r.t.Fatal(err)
	}
	defer errF.Close()
	r.stdio = append(r.stdio, outF.Name(), errF.Name())
	cmd.Stdout, cmd.Stderr = outF, errF
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		r.t.Fatalf("sprout %v: timed out", args)
	}
	stdout, _ := os.ReadFile(outF.Name())
	stderr, _ := os.ReadFile(errF.Name())
	res := result{string(stdout), string(stderr), 0}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("unshare: %v", err)
	}
	b, _ := os.ReadFile(before)
	a, _ := os.ReadFile(after)
	if string(b) != string(a) {
		return res, fmt.Sprintf("the mount namespace sprout ran in changed:\nbefore:\n%s\nafter:\n%s", b, a)
	}
	return res, ""
}

func TestDuplicateID(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 100")
	b.save(t)
	r.must("create", "--bundle", b.dir, "same")
	res := r.sprout("create", "--bundle", b.dir, "same")
	if res.code == 0 || !strings.Contains(res.stderr, "already exists") {
		t.Fatalf("second create: %d %q", res.code, res.stderr)
	}
	if st := r.mustState("same"); st.Status != specs.StateCreated {
		t.Fatalf("the first container was disturbed: %+v", st)
	}
	r.must("delete", "--force", "same")
}

// TestBadExecProcess: exec --process reads its file as create reads
// config.json, and checks the process as create does.
func TestBadExecProcess(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 100")
	b.save(t)
	r.must("create", "--bundle", b.dir, "badexec")
	dir := t.TempDir()
	writeProcess := func(name string, mutate func(p *specs.Process)) string {
		p := *b.spec.Process
		p.Args = []string{"sh", "-c", "echo ran > /tmp/" + name}
		mutate(&p)
		data, err := json.Marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	process := func(path string) []string { return []string{"-p", path, "badexec"} }
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"uid", process(writeProcess("uid", func(p *specs.Process) { p.User.UID = 4294967295 })), "process.user.uid: 4294967295 is out of range"},
		{"nul", process(writeProcess("nul", func(p *specs.Process) { p.Env = append(p.Env, "A=\x00") })), "process.env[2]: contains a NUL byte"},
		{"env", process(writeProcess("env", func(p *specs.Process) { p.Env = append(p.Env, "NOEQUALS") })), `process.env[2] "NOEQUALS": invalid environment variable: missing '='`},
		{"gid", []string{"-g", "4294967296", "badexec", "sh", "-c", "echo ran > /tmp/gid"}, "--additional-gids 4294967296: uids and gids must be in range 0-2147483647"},
		{"user", []string{"-u", "4294967295", "badexec", "sh", "-c", "echo ran > /tmp/user"}, "process.user.uid: 4294967295 is out of range"},
		// Last: an old sprout waits for a writer forever. A FIFO nobody
		// writes to reads as empty.
		{"fifo", process(fifo), "--process " + fifo + ": empty"},
	}
	for _, tc := range cases {
		res := r.sprout(append([]string{"exec"}, tc.args...)...)
		msg := strings.TrimSpace(res.stderr)
		if res.code == 0 || strings.Count(msg, "\n") != 0 || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: exit %d, error %q: want one line containing %q", tc.name, res.code, msg, tc.want)
		}
		if _, err := os.Stat(filepath.Join(b.dir, "rootfs/tmp", tc.name)); err == nil {
			t.Errorf("%s: the process ran", tc.name)
		}
	}

	// A pipe with a writer is read, as runc reads `exec -p <(...)`.
	piped := writeProcess("piped", func(p *specs.Process) {})
	data, err := os.ReadFile(piped)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		// The open waits for sprout to open the other end.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Write(data)
			w.Close()
		}
	}()
	r.must("exec", "-p", fifo, "badexec")
	if _, err := os.Stat(filepath.Join(b.dir, "rootfs/tmp/piped")); err != nil {
		t.Errorf("exec -p from a pipe did not run the process: %v", err)
	}
	r.must("delete", "--force", "badexec")
}
