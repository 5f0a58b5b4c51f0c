package integration

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestProcessEnvCwdPathLookup(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "echo $FOO; pwd; echo $HOME")
	b.spec.Process.Env = append(b.spec.Process.Env, "FOO=bar")
	b.spec.Process.Cwd = "/tmp"
	if out := r.output(b); out != "bar\n/tmp\n/root\n" {
		t.Fatalf("got %q", out)
	}
}

func TestProcessUser(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "id -u; id -g; grep Groups /proc/self/status; umask; touch /tmp/f; stat -c %u:%g /tmp/f")
	b.spec.Process.User = specs.User{UID: 1234, GID: 5678, AdditionalGids: []uint32{11, 22}, Umask: u32(0o077)}
	b.spec.Root.Readonly = false
	os.Chmod(b.dir+"/rootfs/tmp", 0o1777)
	out := r.output(b)
	want := "1234\n5678\nGroups:\t11 22 \n0077\n1234:5678\n"
	if strings.ReplaceAll(out, "Groups:\t11 22\n", "Groups:\t11 22 \n") != want {
		t.Fatalf("got %q want %q", out, want)
	}
}

func TestRlimitsAndOOMScore(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj")
	b.spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 1000}}
	adj := 500
	b.spec.Process.OOMScoreAdj = &adj
	if out := r.output(b); out != "512\n1000\n500\n" {
		t.Fatalf("got %q", out)
	}
}

func TestSysctl(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni")
	b.spec.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}
	// readonlyPaths would keep /proc/sys read-only only after the sysctls.
	if out := r.output(b); out != "1\n1234\n" {
		t.Fatalf("got %q", out)
	}
	b2 := newBundle(t, "true")
	b2.spec.Linux.Sysctl = map[string]string{"vm.swappiness": "1"}
	if res := r.run(b2, "sysctl-host"); res.code == 0 || !strings.Contains(res.stderr, "vm.swappiness") {
		t.Fatalf("a host sysctl was accepted: %d %q", res.code, res.stderr)
	}
}

// No fd of the runtime and no host directory may reach the process
// (CVE-2024-21626 is the host cwd variant).
func TestNoLeakedFds(t *testing.T) {
	r := newRuntime(t)
	out := r.output(newBundle(t, "ls /proc/self/fd; readlink /proc/1/cwd"))
	if out != "0\n1\n2\n3\n/\n" {
		t.Fatalf("fds in the container: %q", out)
	}
}

func TestPreserveFds(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "cat <&3; ls /proc/self/fd | wc -l")
	b.save(t)
	f, err := os.CreateTemp(t.TempDir(), "fd")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("passed-through\n")
	f.Seek(0, 0)
	cmd := exec.Command(sproutBin, "--root", r.root, "run", "--preserve-fds", "1", "--bundle", b.dir, "pfd")
	cmd.ExtraFiles = []*os.File{f}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if string(out) != "passed-through\n5\n" {
		t.Fatalf("got %q", out)
	}
}

// Every container process leads a session of its own, as in runc, with or
// without a terminal: criu refuses to checkpoint a tree whose session
// leader is outside it.
func TestProcessesLeadTheirSession(t *testing.T) {
	r := newRuntime(t)
	const sid = `read -r pid comm state ppid pgrp sid rest </proc/self/stat; echo "$$ $sid"`
	if out := r.output(newBundle(t, sid)); out != "1 1\n" {
		t.Fatalf("init: pid and session %q, want \"1 1\"", out)
	}
	startSleeper(t, r, "sid1")
	out := strings.Fields(r.must("exec", "sid1", "sh", "-c", sid))
	if len(out) != 2 || out[0] != out[1] {
		t.Fatalf("exec: pid and session %q, want equal", out)
	}
}
