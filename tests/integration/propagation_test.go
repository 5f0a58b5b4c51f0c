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

// Propagation options of a mount apply to that mount (and with the r-forms
// to its submounts), seen in the container's mountinfo.
func TestMountPropagationOptions(t *testing.T) {
	r := newRuntime(t)
	vol := sharedVolume(t)
	sub := filepath.Join(vol, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mountTmpfs(sub); err != nil {
		t.Fatal(err)
	}
	defer unmount(sub)
	if err := unix.Mount("", sub, "", unix.MS_SHARED, ""); err != nil {
		t.Fatal(err)
	}
	hostGroup := strings.TrimPrefix(optField(hostMountLine(t, vol), "shared:"), "shared:")
	subGroup := strings.TrimPrefix(optField(hostMountLine(t, sub), "shared:"), "shared:")

	type want struct {
		point string
		check func(opts []string) bool
		what  string
	}
	has := func(prefix string) func([]string) bool {
		return func(opts []string) bool {
			for _, o := range opts {
				if strings.HasPrefix(o, prefix) {
					return true
				}
			}
			return false
		}
	}
	none := func(opts []string) bool { return len(opts) == 0 }
	exactly := func(tags ...string) func([]string) bool {
		return func(opts []string) bool { return strings.Join(opts, " ") == strings.Join(tags, " ") }
	}
	b := newBundle(t, "cat /proc/self/mountinfo")
	tmpfs := func(dest string, opts ...string) specs.Mount {
		return specs.Mount{Destination: dest, Type: "tmpfs", Source: "tmpfs", Options: opts}
	}
	bind := func(dest string, opts ...string) specs.Mount {
		return specs.Mount{Destination: dest, Type: "bind", Source: vol, Options: opts}
	}
	b.spec.Mounts = append(b.spec.Mounts,
		tmpfs("/t-shared", "shared"),
		tmpfs("/t-rshared", "rshared"),
		tmpfs("/t-unbindable", "unbindable"),
		tmpfs("/t-runbindable", "runbindable"),
		tmpfs("/t-slave", "shared", "slave"),
		tmpfs("/t-private", "shared", "private"),
		bind("/b-shared", "bind", "shared"),
		bind("/b-rshared", "rbind", "rshared"),
		bind("/b-slave", "rbind", "slave"),
		bind("/b-rslave", "rbind", "rslave"),
		bind("/b-private", "rbind", "private"),
		bind("/b-rprivate", "rbind", "rprivate"),
		bind("/b-unbindable", "rbind", "unbindable"),
		bind("/b-runbindable", "rbind", "runbindable"),
	)
	b.spec.Linux.RootfsPropagation = "rshared"
	out := r.output(b)
	for _, w := range []want{
		{"/t-shared", has("shared:"), "shared"},
		{"/t-rshared", has("shared:"), "shared"},
		{"/t-unbindable", exactly("unbindable"), "unbindable"},
		{"/t-runbindable", exactly("unbindable"), "unbindable"},
		// A slave of a peer group of one has no master left: private.
		{"/t-slave", none, "private"},
		{"/t-private", none, "private"},
		{"/b-shared", exactly("shared:" + hostGroup), "the host's peer group"},
		{"/b-rshared", exactly("shared:" + hostGroup), "the host's peer group"},
		{"/b-rshared/sub", exactly("shared:" + subGroup), "the host's peer group"},
		{"/b-slave", exactly("master:" + hostGroup), "a slave of the host's group"},
		{"/b-slave/sub", exactly("shared:" + subGroup), "left shared (slave is not recursive)"},
		{"/b-rslave", exactly("master:" + hostGroup), "a slave of the host's group"},
		{"/b-rslave/sub", exactly("master:" + subGroup), "a slave of the host's group"},
		{"/b-private", none, "private"},
		{"/b-private/sub", exactly("shared:" + subGroup), "left shared (private is not recursive)"},
		{"/b-rprivate", none, "private"},
		{"/b-rprivate/sub", none, "private"},
		{"/b-unbindable", exactly("unbindable"), "unbindable"},
		{"/b-unbindable/sub", exactly("shared:" + subGroup), "left shared"},
		{"/b-runbindable", exactly("unbindable"), "unbindable"},
		{"/b-runbindable/sub", exactly("unbindable"), "unbindable"},
	} {
		f := mountLine(out, w.point)
		if f == nil {
			t.Errorf("%s: not mounted", w.point)
			continue
		}
		if got := optFields(f); !w.check(got) {
			t.Errorf("%s: propagation %v, want %s", w.point, got, w.what)
		}
	}
}

// With the default rootfs propagation (rslave) too, a mount's own shared
// or unbindable option shows in mountinfo.
func TestMountPropagationOptionsDefaultRoot(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "cat /proc/self/mountinfo")
	b.spec.Mounts = append(b.spec.Mounts,
		specs.Mount{Destination: "/t-shared", Type: "tmpfs", Source: "tmpfs", Options: []string{"shared"}},
		specs.Mount{Destination: "/t-unbindable", Type: "tmpfs", Source: "tmpfs", Options: []string{"unbindable"}},
	)
	out := r.output(b)
	if f := mountLine(out, "/t-shared"); f == nil || optField(f, "shared:") == "" {
		t.Errorf("/t-shared is not shared: %v", f)
	}
	if f := mountLine(out, "/t-unbindable"); f == nil || optField(f, "unbindable") == "" {
		t.Errorf("/t-unbindable is not unbindable: %v", f)
	}
}
