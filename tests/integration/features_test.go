package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

func sproutFeatures(t *testing.T, r *runtime) *features.Features {
	t.Helper()
	out := r.must("features")
	dec := json.NewDecoder(bytes.NewReader([]byte(out)))
	// features.md: no property the spec version does not define.
	dec.DisallowUnknownFields()
	var f features.Features
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("features: %v\n%s", err, out)
	}
	if f.Linux == nil || f.Linux.Seccomp == nil || f.Linux.Cgroup == nil {
		t.Fatalf("features has no linux, linux.seccomp or linux.cgroup:\n%s", out)
	}
	return &f
}

func capBnd(t *testing.T, status string) string {
	t.Helper()
	for _, l := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no CapBnd in %q", status)
	return ""
}

func TestFeatures(t *testing.T) {
	r := newRuntime(t)
	f := sproutFeatures(t, r)

	t.Run("versions", func(t *testing.T) {
		if f.OCIVersionMin != "1.0.0" || f.OCIVersionMax != specs.Version {
			t.Fatalf("ociVersionMin %q ociVersionMax %q, want 1.0.0 and %s", f.OCIVersionMin, f.OCIVersionMax, specs.Version)
		}
		// features.md: the runtime MUST accept both as config.json's ociVersion.
		for _, v := range []string{f.OCIVersionMin, f.OCIVersionMax} {
			b := newBundle(t, "echo ok")
			b.spec.Version = v
			if out := r.output(b); !hasLine(out, "ok") {
				t.Errorf("ociVersion %s: output %q", v, out)
			}
		}
	})

	t.Run("hooks", func(t *testing.T) {
		want := []string{"createContainer", "createRuntime", "poststart", "poststop", "prestart", "startContainer"}
		got := slices.Sorted(slices.Values(f.Hooks))
		if !slices.Equal(got, want) {
			t.Fatalf("hooks %v, want %v", got, want)
		}
	})

	t.Run("namespaces", func(t *testing.T) {
		proc := map[string]string{"mount": "mnt", "network": "net"}
		if len(f.Linux.Namespaces) != 8 {
			t.Errorf("namespaces %v: want the 8 of config-linux.md", f.Linux.Namespaces)
		}
		for _, n := range f.Linux.Namespaces {
			file := n
			if p, ok := proc[n]; ok {
				file = p
			}
			if _, err := os.Readlink("/proc/self/ns/" + file); err != nil {
				t.Errorf("namespace %q is not one the kernel has: %v", n, err)
			}
		}
	})

	t.Run("capabilities", func(t *testing.T) {
		data, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
		if err != nil {
			t.Fatal(err)
		}
		last, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Linux.Capabilities) < last+1 {
			t.Errorf("%d capabilities, the kernel has %d", len(f.Linux.Capabilities), last+1)
		}
		// Asking for every capability reported must give the container
		// the whole bounding set of its caller.
		self, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		b := newBundle(t, "cat /proc/self/status")
		b.spec.Process.Capabilities.Bounding = f.Linux.Capabilities
		if got, want := capBnd(t, r.output(b)), capBnd(t, string(self)); got != want {
			t.Errorf("bounding set from every capability reported: %s, want the caller's %s", got, want)
		}
	})

	t.Run("cgroup", func(t *testing.T) {
		c := f.Linux.Cgroup
		if c.V1 == nil || !*c.V1 || c.V2 == nil || !*c.V2 || c.Systemd == nil || !*c.Systemd || c.SystemdUser == nil || *c.SystemdUser {
			t.Fatalf("cgroup %+v: want v1, v2 and systemd true, systemdUser false", c)
		}
		if res := r.sprout("--systemd-cgroup", "list"); res.code != 0 {
			t.Errorf("features say there is a systemd cgroup driver, but --systemd-cgroup is refused: %s", res.stderr)
		}
	})

	t.Run("seccomp", func(t *testing.T) {
		s := f.Linux.Seccomp
		if s.Enabled == nil || !*s.Enabled || !slices.Contains(s.Actions, string(specs.ActNotify)) ||
			!slices.Contains(s.Operators, string(specs.OpMaskedEqual)) || len(s.Archs) == 0 {
			t.Fatalf("seccomp %+v: want enabled with SCMP_ACT_NOTIFY, SCMP_CMP_MASKED_EQ and architectures", s)
		}
		// Each architecture alone: libseccomp refuses (EDOM) to add one of
		// the other byte order to the native filter, which is recognized
		// but not loadable here; any other failure is not recognizing it.
		prof := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
		for _, a := range s.Archs {
			b := newBundle(t, "true")
			b.spec.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.Arch(a)}}
			b.save(t)
			switch res := r.run(b, "seccomparch"); {
			case res.code == 0:
				prof.Architectures = append(prof.Architectures, specs.Arch(a))
			case !strings.Contains(res.stderr, syscall.EDOM.Error()):
				t.Errorf("architecture %s is reported but not recognized: %s", a, strings.TrimSpace(res.stderr))
			}
		}
		if len(prof.Architectures) == 0 {
			t.Fatalf("no reported architecture loads on this host")
		}
		// Then every action and operator reported, in one profile with the
		// architectures that load here: rules on syscalls the container
		// does not make, so that none of them fires.
		unused := []string{"acct", "swapon", "swapoff", "reboot", "kexec_load", "init_module", "delete_module",
			"pivot_root", "settimeofday", "adjtimex", "quotactl", "nfsservctl", "lookup_dcookie", "vhangup",
			"iopl", "ioperm", "syslog", "uselib", "sysfs", "ustat"}
		next := 0
		rule := func(action specs.LinuxSeccompAction, args ...specs.LinuxSeccompArg) {
			if next == len(unused) {
				t.Fatal("more rules than unused syscalls")
			}
			prof.Syscalls = append(prof.Syscalls, specs.LinuxSyscall{Names: []string{unused[next]}, Action: action, Args: args})
			next++
		}
		for _, a := range s.Actions {
			// A notify rule needs a listener; the default action is allow.
			if a != string(specs.ActNotify) && a != string(specs.ActAllow) {
				rule(specs.LinuxSeccompAction(a))
			}
		}
		for _, op := range s.Operators {
			rule(specs.ActErrno, specs.LinuxSeccompArg{Index: 1, Value: 1, ValueTwo: 1, Op: specs.LinuxSeccompOperator(op)})
		}
		b := newBundle(t, "echo loaded")
		b.spec.Linux.Seccomp = prof
		b.save(t)
		res := r.run(b, "seccompfeatures")
		if res.code != 0 || !hasLine(res.stdout, "loaded") {
			t.Fatalf("a profile of every reported action and operator: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
		}
	})

	t.Run("lsm", func(t *testing.T) {
		l := f.Linux
		if l.Apparmor == nil || l.Apparmor.Enabled == nil || *l.Apparmor.Enabled ||
			l.Selinux == nil || l.Selinux.Enabled == nil || *l.Selinux.Enabled {
			t.Fatalf("apparmor %+v selinux %+v: want both reported, not enabled", l.Apparmor, l.Selinux)
		}
	})

	t.Run("mountOptions", func(t *testing.T) {
		for _, o := range []string{"rbind", "ro", "rro", "nosuid", "rprivate", "shared", "runbindable", "tmpcopyup", "ratime", "rnorelatime", "rnostrictatime", "idmap", "ridmap"} {
			if !slices.Contains(f.MountOptions, o) {
				t.Errorf("mountOptions lacks %q", o)
			}
		}
		// Passed to the filesystem as data, not honoured by sprout.
		for _, o := range []string{"remount"} {
			if slices.Contains(f.MountOptions, o) {
				t.Errorf("mountOptions claims %q", o)
			}
		}
		// tmpfs refuses data it does not know: every reported option,
		// one per mount, must reach the kernel as a flag, not as data.
		b := newBundle(t, "grep -c ' /m/' /proc/self/mounts")
		n := 0
		for _, o := range f.MountOptions {
			// Options of binds only; idmap/ridmap are tried in idmap_test.go.
			if o == "bind" || o == "rbind" || o == "idmap" || o == "ridmap" {
				continue
			}
			b.spec.Mounts = append(b.spec.Mounts, specs.Mount{
				Destination: fmt.Sprintf("/m/%s", o), Type: "tmpfs", Source: "tmpfs", Options: []string{o},
			})
			n++
		}
		b.save(t)
		res := r.run(b, "mountfeatures")
		if res.code != 0 || strings.TrimSpace(res.stdout) != strconv.Itoa(n) {
			t.Fatalf("a tmpfs mount for each of %d reported options: exit %d, stdout %q, stderr %q", n, res.code, res.stdout, res.stderr)
		}
	})

	t.Run("idmap", func(t *testing.T) {
		// What it claims is tried in idmap_test.go.
		if e := f.Linux.MountExtensions; e == nil || e.IDMap == nil || e.IDMap.Enabled == nil || !*e.IDMap.Enabled {
			t.Fatalf("mountExtensions %+v: want idmap enabled", e)
		}
	})

	t.Run("memoryPolicy", func(t *testing.T) {
		mp := f.Linux.MemoryPolicy
		if mp == nil || len(mp.Modes) != 7 || len(mp.Flags) != 3 {
			t.Fatalf("memoryPolicy %+v: want the 7 modes and 3 flags of config-linux.md", mp)
		}
		// Each mode reported is accepted and reaches the kernel: node 0
		// exists on every host.
		for _, m := range mp.Modes {
			b := newBundle(t, "true")
			b.spec.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MemoryPolicyModeType(m), Nodes: "0"}
			if m == string(specs.MpolDefault) || m == string(specs.MpolLocal) {
				b.spec.Linux.MemoryPolicy.Nodes = ""
			}
			if res := r.run(b, "mpol"); res.code != 0 && !strings.Contains(res.stderr, "invalid argument") {
				t.Errorf("memoryPolicy mode %s: exit %d, %q", m, res.code, res.stderr)
			}
		}
	})

	t.Run("annotations", func(t *testing.T) {
		out := r.must("--version")
		v := f.Annotations["com.github.sprout-runtime.sprout.version"]
		if v == "" || !strings.Contains(out, "sprout version "+v+"\n") {
			t.Errorf("version annotation %q, sprout --version says %q", v, out)
		}
	})
}
