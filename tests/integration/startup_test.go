package integration

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Package startup grows the main goroutine's stack while it is shallow;
// that only pays if no deep init runs before it (urfave/cli compiles
// regexps, cilium/ebpf's btf walks types with reflect), so its init must
// come before every init outside the standard library.
func TestStartupInitRunsFirst(t *testing.T) {
	cmd := exec.Command(sproutBin, "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sprout --version: %v: %s", err, out)
	}
	var before []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "init" {
			continue
		}
		if f[1] == "github.com/sprout-runtime/sprout/libcontainer/startup" {
			if len(before) > 0 {
				t.Errorf("packages initialized before startup: %v", before)
			}
			return
		}
		if first, _, _ := strings.Cut(f[1], "/"); strings.Contains(first, ".") {
			before = append(before, f[1])
		}
	}
	t.Fatalf("no init of package startup in the trace:\n%s", out)
}
