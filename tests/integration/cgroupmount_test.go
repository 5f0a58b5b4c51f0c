package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// coMountedCgroupfs lays out, in the private mount namespace the command
// runs in, the host's v1 hierarchies again under a fresh tmpfs at
// /sys/fs/cgroup plus the pids hierarchy a second time as "pids,fake": the
// shape of a host that mounts controllers together (cpu,cpuacct), which
// this one does not. A host that does has links (cpu -> cpu,cpuacct),
// which are left out: bound as directories of their own they would be a
// hierarchy mounted under a name that is not its controllers'. The host's
// own mounts are not touched.
const coMountedCgroupfs = `set -e
t=$(mktemp -d)
mount -t tmpfs tmpfs "$t"
for d in /sys/fs/cgroup/*; do
	[ ! -L "$d" ] || continue
	mountpoint -q "$d" || continue
	mkdir "$t/${d##*/}"
	mount --bind "$d" "$t/${d##*/}"
done
mkdir "$t/pids,fake"
mount --bind /sys/fs/cgroup/pids "$t/pids,fake"
umount -R /sys/fs/cgroup
mount --move "$t" /sys/fs/cgroup
exec "$@"`

// A co-mounted v1 hierarchy is the container's under its joint name, with
// a link for each controller that has no directory of its own, as runc
// makes them: with a cgroup namespace (a fresh cgroup mount) and without
// (a bind of the container's cgroup).
func TestCgroupV1CoMountedHierarchyLinks(t *testing.T) {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil || st.Type == unix.CGROUP2_SUPER_MAGIC {
		t.Skip("a cgroup2-only host has no v1 hierarchies")
	}
	if err := unix.Statfs("/sys/fs/cgroup/pids", &st); err != nil || st.Type != unix.CGROUP_SUPER_MAGIC {
		t.Skip("no v1 pids hierarchy at /sys/fs/cgroup/pids")
	}
	for _, cgroupNs := range []bool{true, false} {
		name := "cgroupns"
		if !cgroupNs {
			name = "bind"
		}
		t.Run(name, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, "readlink /sys/fs/cgroup/fake; test -f /sys/fs/cgroup/fake/pids.max && echo pids-files; "+
				"grep -c ' /sys/fs/cgroup/pids,fake ' /proc/self/mountinfo; grep -qx 1 /sys/fs/cgroup/fake/cgroup.procs && echo init-in-it")
			if !cgroupNs {
				dropNamespace(b, specs.CgroupNamespace)
			}
			b.save(t)
			dir := t.TempDir()
			out, err := os.Create(filepath.Join(dir, "stdout"))
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			r.stdio = append(r.stdio, out.Name())
			cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", coMountedCgroupfs, "sh",
				sproutBin, "--root", r.root, "run", "--bundle", b.dir, "comount-"+name)
			cmd.Stdout = out
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("run: %v: %s", err, stderr.String())
			}
			got, _ := os.ReadFile(out.Name())
			// The link, the container's own pids cgroup behind it (its
			// files, its init in it), and the hierarchy mounted once under
			// the joint name.
			want := "pids,fake\npids-files\n1\ninit-in-it\n"
			if string(got) != want {
				t.Fatalf("in the container:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
