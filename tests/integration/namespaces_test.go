package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsLinks reads /proc/<pid>/ns/* from the host side.
func nsLinks(t *testing.T, pid string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, n := range []string{"pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"} {
		l, err := os.Readlink("/proc/" + pid + "/ns/" + n)
		if err != nil {
			t.Fatal(err)
		}
		m[n] = l
	}
	return m
}

func TestNamespacesNewAndShared(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 1000")
	b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	b.save(t)
	r.must("create", "--bundle", b.dir, "ns")
	defer r.sprout("delete", "--force", "ns")
	pid := strconv.Itoa(r.mustState("ns").Pid)
	host := nsLinks(t, "self")
	ct := nsLinks(t, pid)
	for _, n := range []string{"pid", "net", "mnt", "ipc", "uts", "cgroup", "time"} {
		if host[n] == ct[n] {
			t.Errorf("%s namespace is the host's (%s)", n, ct[n])
		}
	}
	// Not asked for: shared with the host.
	if host["user"] != ct["user"] {
		t.Errorf("user namespace differs though none was configured")
	}
}

func TestPidNamespaceInitIsPid1(t *testing.T) {
	r := newRuntime(t)
	out := r.output(newBundle(t, "echo $$; ps -o pid | wc -l"))
	lines := strings.Fields(out)
	if len(lines) < 1 || lines[0] != "1" {
		t.Fatalf("pid in container: %q", out)
	}
}

func TestUTSHostnameDomainname(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "hostname; cat /proc/sys/kernel/domainname")
	b.spec.Hostname = "box1"
	b.spec.Domainname = "example.org"
	out := r.output(b)
	if out != "box1\nexample.org\n" {
		t.Fatalf("got %q", out)
	}
	host, _ := os.Hostname()
	if host == "box1" {
		t.Fatal("host hostname changed")
	}
}

func TestNetworkNamespaceOnlyLoopback(t *testing.T) {
	r := newRuntime(t)
	out := r.output(newBundle(t, "ls /sys/class/net"))
	if strings.TrimSpace(out) != "lo" {
		t.Fatalf("interfaces: %q", out)
	}
}

func TestUserNamespaceMappings(t *testing.T) {
	r := newRuntime(t)
	b := userNsBundle(t, "id -u; cat /proc/self/uid_map; sleep 1000")
	b.save(t)
	res := r.sprout("run", "-d", "--bundle", b.dir, "userns")
	if res.code != 0 {
		t.Fatalf("run: %s", res.stderr)
	}
	defer r.sprout("delete", "--force", "userns")
	pid := strconv.Itoa(r.mustState("userns").Pid)
	status, _ := os.ReadFile("/proc/" + pid + "/status")
	if !strings.Contains(string(status), "Uid:\t100000\t100000\t100000\t100000") {
		t.Fatalf("host view of the container uid:\n%s", status)
	}
	uidMap, _ := os.ReadFile("/proc/" + pid + "/uid_map")
	if f := strings.Fields(string(uidMap)); len(f) != 3 || f[0] != "0" || f[1] != "100000" || f[2] != "65536" {
		t.Fatalf("uid_map: %q", uidMap)
	}
}

func chownTree(t *testing.T, dir string, id int) {
	t.Helper()
	if err := lchownR(dir, id); err != nil {
		t.Fatal(err)
	}
}

func lchownR(dir string, id int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if err := os.Lchown(dir, id, id); err != nil {
		return err
	}
	for _, e := range entries {
		p := dir + "/" + e.Name()
		if e.IsDir() {
			if err := lchownR(p, id); err != nil {
				return err
			}
			continue
		}
		if err := os.Lchown(p, id, id); err != nil {
			return err
		}
	}
	return nil
}

func removeMount(ms []specs.Mount, dest string) []specs.Mount {
	return slices.DeleteFunc(ms, func(m specs.Mount) bool { return m.Destination == dest })
}

func TestJoinNamespaceByPath(t *testing.T) {
	r := newRuntime(t)
	a := newBundle(t, "sleep 1000")
	a.spec.Hostname = "shared-uts"
	a.save(t)
	r.must("run", "-d", "--bundle", a.dir, "nsa")
	defer r.sprout("delete", "--force", "nsa")
	pid := r.mustState("nsa").Pid
	b := newBundle(t, "hostname; readlink /proc/1/ns/net")
	for i, n := range b.spec.Linux.Namespaces {
		switch n.Type {
		case specs.UTSNamespace:
			b.spec.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/uts", pid)
		case specs.NetworkNamespace:
			b.spec.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/net", pid)
		}
	}
	b.spec.Hostname = ""
	out := r.output(b)
	netA, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	if out != "shared-uts\n"+netA+"\n" {
		t.Fatalf("joined container says %q; want hostname shared-uts and net %s", out, netA)
	}
}

func TestTimeNamespaceOffsets(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "cut -d. -f1 /proc/uptime")
	b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	b.spec.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 864000}}
	out := r.output(b)
	up, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("uptime %q", out)
	}
	hostData, _ := os.ReadFile("/proc/uptime")
	hostUp, _ := strconv.ParseFloat(strings.Fields(string(hostData))[0], 64)
	if diff := float64(up) - hostUp; diff < 863990 || diff > 864010 {
		t.Fatalf("boottime offset: container uptime %d, host %f", up, hostUp)
	}
}

func TestCgroupNamespaceRoot(t *testing.T) {
	r := newRuntime(t)
	out := r.output(newBundle(t, "cat /proc/self/cgroup"))
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 || parts[2] != "/" {
			t.Fatalf("cgroup namespace does not root at the container's cgroup: %q", out)
		}
	}
}

// userNsBundle is a bundle whose root is host uid 100000.
func userNsBundle(t *testing.T, args ...string) *bundle {
	t.Helper()
	b := newBundle(t, args...)
	b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	b.spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	b.spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	// A user namespace cannot mount a fresh sysfs without owning the
	// network namespace, which it does here; cgroup mounts need care too.
	b.spec.Mounts = removeMount(b.spec.Mounts, "/sys/fs/cgroup")
	chownTree(t, b.dir+"/rootfs", 100000)
	// The container's root is an unprivileged host user: it must be able
	// to reach the rootfs.
	for d := b.dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	return b
}

// Bind sources are opened by the runtime, not by the container's root: a
// directory the mapped root cannot reach (its parent is 0700, host root's)
// still binds, in the container's process and in exec (runc's bats "userns
// with 2 inaccessible mounts", "userns with inaccessible mount + exec").
// The binds keep the locks a user namespace puts on the host's mounts: a
// host mount that is read-only cannot be made writable from inside, and a
// submount cannot be taken off to show what it covers.
func TestUserNamespaceInaccessibleBindSource(t *testing.T) {
	r := newRuntime(t)
	b := userNsBundle(t, "sleep 600")
	withCap(b, "CAP_SYS_ADMIN")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"in-1", "in-2"} {
		must(os.MkdirAll(filepath.Join(b.dir, n, "dir"), 0o755))
	}
	must(os.WriteFile(filepath.Join(b.dir, "in-1/dir/foo.txt"), []byte("in-1\n"), 0o644))
	in2 := filepath.Join(b.dir, "in-2/dir")
	must(mountTmpfs(in2))
	defer unmount(in2)
	must(os.WriteFile(filepath.Join(in2, "foo.txt"), []byte("in-2\n"), 0o644))
	must(os.Mkdir(filepath.Join(in2, "sub"), 0o755))
	must(mountTmpfs(filepath.Join(in2, "sub")))
	must(unix.Mount("", in2, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""))
	for _, n := range []string{"in-1", "in-2"} {
		must(os.Chmod(filepath.Join(b.dir, n), 0o700))
	}
	b.spec.Mounts = append(b.spec.Mounts,
		specs.Mount{Destination: "/tmp/mount-1", Source: "in-1/dir", Options: []string{"bind"}},
		specs.Mount{Destination: "/tmp/mount-2", Source: in2, Type: "bind", Options: []string{"rbind"}},
	)
	b.save(t)
	res := r.sprout("run", "-d", "--bundle", b.dir, "usernsbind")
	if res.code != 0 {
		t.Fatalf("run: %s", res.stderr)
	}
	defer r.sprout("delete", "--force", "usernsbind")
	out := r.must("exec", "usernsbind", "sh", "-c", "cat /tmp/mount-1/foo.txt /tmp/mount-2/foo.txt; mount -o remount,bind,rw /tmp/mount-2 2>/dev/null && echo remounted-rw; umount /tmp/mount-2/sub 2>/dev/null && echo unmounted-sub; "+
		// The same on a mount of the container's own: allowed.
		"mkdir /tmp/own && mount -t tmpfs -o ro own /tmp/own && mount -o remount,bind,rw /tmp/own && echo own-rw; mount -t tmpfs s /tmp/own && umount /tmp/own && echo own-unmounted; true")
	if out != "in-1\nin-2\nown-rw\nown-unmounted\n" {
		t.Fatalf("got %q", out)
	}
}
