package integration

import (
	"os/exec"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A container without a mount namespace of its own runs on the host's
// root, and sprout must leave the host's /dev alone: it once unlinked and
// recreated /dev/null, /dev/zero... there. sprout runs in a private mount
// namespace with a tmpfs over /dev, so that what it would do to the host's
// /dev shows, harmlessly, in that tmpfs.
func TestNoMountNamespaceLeavesHostDev(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t)
	dropNamespace(b, specs.MountNamespace)
	b.spec.Root = &specs.Root{Path: "/"}
	b.spec.Mounts = nil
	b.spec.Linux.MaskedPaths, b.spec.Linux.ReadonlyPaths = nil, nil
	b.spec.Process.Args = []string{"/bin/true"}
	b.save(t)
	script := `mount -t tmpfs tmpfs /dev || exit 99; "$@"; rc=$?; ls -A /dev; exit $rc`
	out, err := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
		sproutBin, "--root", r.root, "run", "--bundle", b.dir, "hostdev").CombinedOutput()
	if err != nil {
		t.Fatalf("run: %v: %s", err, out)
	}
	if left := strings.TrimSpace(string(out)); left != "" {
		t.Fatalf("sprout created in the host's /dev: %q", left)
	}
}
