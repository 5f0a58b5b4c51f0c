package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A node of linux.devices is made, but only linux.resources.devices (or
// runc's default set) lets the container open it, as in runc: with a
// deny-all in resources, /dev/kmsg cannot be opened; without any
// linux.resources every device outside the default set is denied too.
func TestDevicesOnlyResourcesAllow(t *testing.T) {
	kmsg := specs.LinuxDevice{Path: "/dev/kmsg", Type: "c", Major: 1, Minor: 11, FileMode: fileMode(0o600), UID: u32(0), GID: u32(0)}
	// Opening write-only writes nothing to the kernel log and needs no
	// CAP_SYSLOG: only the device cgroup decides.
	const probe = "a=denied; (: > /dev/kmsg) 2>/dev/null && a=open; n=none; test -c /dev/kmsg && n=node; echo $a $n > /tmp/out; sleep 1000"
	cases := []struct {
		name  string
		rules *specs.LinuxResources
		want  string
	}{
		{"deny-all", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}, "denied"},
		{"no-resources", nil, "denied"},
		{"allowed", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(1), Minor: i64(11), Access: "w"},
		}}, "open"},
		// runc keeps r, w and m of an access string and ignores the rest,
		// in any order: "rwa" is a config its own tests use.
		{"access-rwa", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: false, Type: "c", Major: i64(1), Minor: i64(11), Access: "rwa"},
		}}, "denied"},
		{"access-unordered", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(1), Minor: i64(11), Access: "aww"},
		}}, "open"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			b := newBundle(t, probe)
			b.spec.Linux.Devices = []specs.LinuxDevice{kmsg}
			b.spec.Linux.Resources = tc.rules
			id := "devs-" + tc.name
			pid := resStart(t, r, b, id)
			defer r.sprout("delete", "--force", id)
			out := strings.Fields(resReadWhenWritten(t, filepath.Join(b.dir, "rootfs/tmp/out")))
			if len(out) != 2 || out[0] != tc.want || out[1] != "node" {
				t.Fatalf("inside: %q, want %s and the node made", out, tc.want)
			}
			cg := resCgroupOf(t, pid)
			if cg.v2 {
				return
			}
			list := cg.read("devices", "devices.list", "")
			allowed := hasLine(list, "c 1:11 w") || hasLine(list, "c 1:11 rwm") || hasLine(list, "a *:* rwm")
			if allowed != (tc.want == "open") {
				t.Fatalf("devices.list of the container:\n%s", list)
			}
			if hasLine(list, "c 5:1 rwm") {
				t.Fatalf("the host's console is allowed:\n%s", list)
			}
		})
	}
}

// A node that cannot be made says which syscall failed on which path: a
// directory where the config puts a device cannot be unlinked.
func TestDeviceErrorNamesPath(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "true")
	if err := os.MkdirAll(filepath.Join(b.dir, "rootfs/etc/nodedir/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	b.spec.Linux.Devices = []specs.LinuxDevice{{Path: "/etc/nodedir", Type: "c", Major: 1, Minor: 3}}
	res := r.run(b, "devpath")
	if want := "linux.devices /etc/nodedir: unlinkat /etc/nodedir: is a directory"; res.code == 0 || !strings.Contains(res.stderr, want) {
		t.Fatalf("device over a directory: exit %d, stderr %q, want %q", res.code, res.stderr, want)
	}
}
