package libcontainer

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sprout-runtime/sprout/spec"
)

func TestSubCgroupPaths(t *testing.T) {
	root := t.TempDir()
	// cpu and cpuacct co-mounted: one directory for both.
	base := map[string]string{
		"memory": filepath.Join(root, "memory/ct"), "cpu": filepath.Join(root, "cpu,cpuacct/ct"),
		"cpuacct": filepath.Join(root, "cpu,cpuacct/ct"), "": filepath.Join(root, "unified/ct"),
	}
	// Each cgroup directory has its cgroup.procs, as the kernel makes it.
	for _, d := range base {
		if err := os.MkdirAll(filepath.Join(d, "a/b"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, sub := range []string{"", "a", "a/b"} {
			if err := os.WriteFile(filepath.Join(d, sub, "cgroup.procs"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := subCgroupPaths(base, map[string]string{"cpu": "a"})
	if err != nil {
		t.Fatal(err)
	}
	for ctrl, want := range map[string]string{
		"memory": base["memory"], "cpu": base["cpu"] + "/a", "cpuacct": base["cpu"] + "/a", "": base[""],
	} {
		if got[ctrl] != want {
			t.Errorf("cpu:a: %q in %s, want %s", ctrl, got[ctrl], want)
		}
	}
	got, err = subCgroupPaths(base, map[string]string{"": "/a/b"})
	if err != nil || got["memory"] != base["memory"]+"/a/b" || got[""] != base[""]+"/a/b" {
		t.Errorf("/a/b for all: %v %v", got, err)
	}
	got, err = subCgroupPaths(base, map[string]string{"": "/"})
	if err != nil || got["memory"] != base["memory"] {
		t.Errorf("/: %v %v", got, err)
	}
	for _, sub := range []map[string]string{
		{"": "../x"}, {"": "a/../../x"}, {"": "missing"}, {"pids": "a"},
		{"cpu": "a", "cpuacct": "a/b"},
	} {
		if got, err := subCgroupPaths(base, sub); err == nil {
			t.Errorf("%v: accepted as %v", sub, got)
		}
	}
}

func TestPlanExec(t *testing.T) {
	proc := func(mod func(p *specs.Process)) *specs.Process {
		p := &specs.Process{Args: []string{"ps"}, Env: []string{"A=1"}}
		if mod != nil {
			mod(p)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		st   Status
		opts ExecOptions
		err  string // "" for planned
	}{
		{"running", Running, ExecOptions{Process: proc(nil)}, ""},
		{"created", Created, ExecOptions{Process: proc(nil)}, ""},
		{"paused", Paused, ExecOptions{Process: proc(nil)}, "cannot exec in a paused container"},
		{"paused, ignored", Paused, ExecOptions{Process: proc(nil), IgnorePaused: true}, ""},
		{"stopped", Stopped, ExecOptions{Process: proc(nil)}, "container not running"},
		{"no process", Running, ExecOptions{}, "exec: no process given"},
		{"no args", Running, ExecOptions{Process: proc(func(p *specs.Process) { p.Args = nil })}, "process.args"},
		{"relative cwd", Running, ExecOptions{Process: proc(func(p *specs.Process) { p.Cwd = "tmp" })}, `process.cwd "tmp"`},
		{"terminal without socket", Running, ExecOptions{Process: proc(func(p *specs.Process) { p.Terminal = true })}, "no console socket"},
		{"unknown capability", Running, ExecOptions{Process: proc(func(p *specs.Process) {
			p.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_NOPE"}}
		})}, "CAP_NOPE"},
		{"sub-cgroup of an unknown controller", Running, ExecOptions{Process: proc(nil), SubCgroups: map[string]string{"nope": "x"}}, "nope"},
	} {
		c := fakeContainer(t, tc.st, &fakeManager{})
		x, err := c.planExec(tc.opts, childFds{config: -1, console: -1})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		// The container's config with the process replaced: its
		// confinement applies to the exec'd process too.
		if x.spec.Process != tc.opts.Process || x.spec.Process.Cwd != "/" {
			t.Errorf("%s: process %+v, want the one given with cwd /", tc.name, x.spec.Process)
		}
		if x.spec.Linux == nil {
			t.Errorf("%s: no linux section", tc.name)
		}
		// The process's plan ends in its execve.
		if b := x.plan.Bytes(); !bytes.Contains(b, []byte("ps\x00A=1\x00HOME=")) {
			t.Errorf("%s: plan %q does not exec ps with its env and a HOME", tc.name, b)
		}
		// The init is this test process: every namespace is ours, none to join.
		if len(x.namespaces) != 0 {
			t.Errorf("%s: would join %v", tc.name, x.namespaces)
		}
		if !reflect.DeepEqual(x.cgPaths, c.state.CgroupPaths) {
			t.Errorf("%s: cgroups %v, want the container's %v", tc.name, x.cgPaths, c.state.CgroupPaths)
		}
	}
	// The stored config is left as it was.
	c := fakeContainer(t, Running, &fakeManager{})
	if _, err := c.planExec(ExecOptions{Process: proc(nil)}, childFds{config: -1, console: -1}); err != nil {
		t.Fatal(err)
	}
	c.spec = nil
	if s, err := c.Spec(); err != nil || s.Process.Args[0] != "sh" {
		t.Fatalf("stored config after exec: %v", err)
	}
}

// An exec reads the process and the confinement every process of the
// container shares, and nothing else of the config.
func TestExecSpec(t *testing.T) {
	c := fakeContainer(t, Running, &fakeManager{})
	s := spec.Default(false)
	s.Process.Args = []string{"top"}
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0"}
	if _, err := writeConfig(c.dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := c.ExecSpec()
	if err != nil {
		t.Fatal(err)
	}
	want := &specs.Spec{Process: s.Process, Linux: &specs.Linux{
		Seccomp: s.Linux.Seccomp, Personality: s.Linux.Personality, MemoryPolicy: s.Linux.MemoryPolicy,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ExecSpec = %+v, want %+v", got, want)
	}
}
