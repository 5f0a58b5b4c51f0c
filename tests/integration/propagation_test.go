package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// withCap adds a capability to every set of the container's process.
func withCap(b *bundle, name string) {
	c := b.spec.Process.Capabilities
	c.Bounding = append(c.Bounding, name)
	c.Effective = append(c.Effective, name)
	c.Permitted = append(c.Permitted, name)
}

// optFields returns the optional fields of a mountinfo line (shared:N,
// master:N, unbindable...), those between the mount options and "-".
func optFields(f []string) []string {
	var opts []string
	for _, x := range f[6:] {
		if x == "-" {
			break
		}
		opts = append(opts, x)
	}
	return opts
}

func optField(f []string, prefix string) string {
	for _, o := range optFields(f) {
		if strings.HasPrefix(o, prefix) {
			return o
		}
	}
	return ""
}

// hostMountLine finds a mount point in the test's own mountinfo.
func hostMountLine(t *testing.T, point string) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return mountLine(string(data), point)
}

// sharedVolume makes a tmpfs at a fresh directory of the host, shared, as
// kubelet's volumes for Bidirectional propagation are.
func sharedVolume(t *testing.T) string {
	t.Helper()
	vol := t.TempDir()
	if err := mountTmpfs(vol); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmount(vol) })
	if err := unix.Mount("", vol, "", unix.MS_SHARED, ""); err != nil {
		t.Fatal(err)
	}
	return vol
}

// Kubernetes' Bidirectional propagation: with an rshared root and an
// rshared bind volume, the volume is a peer of the host's mount, and a
// mount made on either side appears on the other.
func TestRootfsPropagationBidirectional(t *testing.T) {
	r := newRuntime(t)
	vol := sharedVolume(t)
	b := newBundle(t, "sleep 600")
	withCap(b, "CAP_SYS_ADMIN")
	b.spec.Linux.RootfsPropagation = "rshared"
	b.spec.Mounts = append(b.spec.Mounts, specs.Mount{Destination: "/vol", Type: "bind", Source: vol, Options: []string{"rbind", "rshared"}})
	b.save(t)
	r.must("run", "-d", "--bundle", b.dir, "bidir")
	defer r.sprout("delete", "--force", "bidir")

	host := optField(hostMountLine(t, vol), "shared:")
	if host == "" {
		t.Fatalf("host volume not shared: %v", hostMountLine(t, vol))
	}
	ct := mountLine(r.must("exec", "bidir", "cat", "/proc/self/mountinfo"), "/vol")
	if ct == nil {
		t.Fatal("no /vol in the container")
	}
	if got := optFields(ct); len(got) != 1 || got[0] != host {
		t.Errorf("container's /vol is %v, want the host's peer group %s only", got, host)
	}

	fromCt := filepath.Join(vol, "c")
	defer unmount(fromCt)
	r.must("exec", "bidir", "sh", "-c", "mkdir /vol/c && mount -t tmpfs c /vol/c && echo in > /vol/c/file")
	if data, err := os.ReadFile(filepath.Join(fromCt, "file")); err != nil || string(data) != "in\n" {
		t.Errorf("container's mount did not reach the host: %q %v", data, err)
	}
	if hostMountLine(t, fromCt) == nil {
		t.Errorf("no mount at %s on the host", fromCt)
	}

	fromHost := filepath.Join(vol, "h")
	if err := os.Mkdir(fromHost, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mountTmpfs(fromHost); err != nil {
		t.Fatal(err)
	}
	defer unmount(fromHost)
	if err := os.WriteFile(filepath.Join(fromHost, "file"), []byte("out\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := r.must("exec", "bidir", "sh", "-c", "cat /vol/h/file; grep -c ' /vol/h ' /proc/self/mountinfo")
	if out != "out\n1\n" {
		t.Errorf("host's mount did not reach the container: %q", out)
	}
}
