package integration

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// netnsForTest makes a network namespace of the test's own, to stand for
// the host's: the test's interfaces and their documentation-range
// addresses never touch the machine's own network. The interfaces are veth
// pairs: this kernel has no dummy driver.
func netnsForTest(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"ip", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	// busybox's ip (the VM tier's) has no netns command.
	if out, _ := exec.Command("ip", "-V").CombinedOutput(); !strings.Contains(string(out), "iproute2") {
		t.Skip("needs iproute2's ip")
	}
	name := fmt.Sprintf("sprout-nd-%d", time.Now().UnixNano()%1e9)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return name
}

// vethIn makes a veth pair in ns, skipping the test on a kernel without
// the driver.
func vethIn(t *testing.T, ns, name, peer string) {
	t.Helper()
	if out, err := exec.Command("ip", "-n", ns, "link", "add", name, "type", "veth", "peer", "name", peer).CombinedOutput(); err != nil {
		t.Skipf("cannot make a veth pair: %v: %s", err, out)
	}
}

func ipIn(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %v: %v: %s", ns, args, err, out)
	}
	return string(out)
}

// sproutInNetns runs sprout with ns as the runtime's network namespace
// (nsenter: ip netns exec would hide the host's cgroupfs under a new /sys).
func sproutInNetns(t *testing.T, r *runtime, ns string, args ...string) result {
	t.Helper()
	cmd := exec.Command("nsenter", append([]string{"--net=/run/netns/" + ns, sproutBin, "--root", r.root}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return result{out.String(), errb.String(), code}
}

// linux.netDevices moves the interface into the container's network
// namespace under its new name, with its permanent addresses and up; the
// runtime does not move it back (runtime-spec 1.3 forbids it), and a
// virtual device goes with the namespace.
func TestNetDevicesMoved(t *testing.T) {
	r := newRuntime(t)
	ns := netnsForTest(t)
	vethIn(t, ns, "sprdummy0", "sprpeer0")
	ipIn(t, ns, "addr", "add", "198.51.100.7/24", "dev", "sprdummy0")
	ipIn(t, ns, "addr", "add", "2001:db8::7/64", "dev", "sprdummy0", "nodad")
	b := newBundle(t, "ip -o addr show dev ctr0; ip -o link show dev ctr0; ip -o link show sprdummy0 || echo gone-by-old-name")
	b.spec.Linux.NetDevices = map[string]specs.LinuxNetDevice{"sprdummy0": {Name: "ctr0"}}
	b.save(t)
	res := sproutInNetns(t, r, ns, "run", "--bundle", b.dir, "netdev")
	if res.code != 0 {
		t.Fatalf("run: exit %d, %q %q", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"inet 198.51.100.7/24", "inet6 2001:db8::7/64", "gone-by-old-name"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("inside, no %q:\n%s", want, res.stdout)
		}
	}
	if !strings.Contains(res.stdout, ",UP") && !strings.Contains(res.stdout, "<UP") {
		t.Errorf("ctr0 is not up inside:\n%s", res.stdout)
	}
	// A veth goes with its namespace, and its peer with it: the kernel
	// frees a namespace a moment after its last process.
	out := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if out = ipIn(t, ns, "-o", "link"); !strings.Contains(out, "sprpeer0") {
			break
		}
	}
	if strings.Contains(out, "sprdummy0") || strings.Contains(out, "ctr0") || strings.Contains(out, "sprpeer0") {
		t.Errorf("the veth is still on the host side after the container's namespace went:\n%s", out)
	}

	// A %d template takes the kernel's number.
	vethIn(t, ns, "sprdummy1", "sprpeer1")
	b2 := newBundle(t, "ls /sys/class/net")
	b2.spec.Linux.NetDevices = map[string]specs.LinuxNetDevice{"sprdummy1": {Name: "net%d"}}
	b2.save(t)
	if res := sproutInNetns(t, r, ns, "run", "--bundle", b2.dir, "netdev2"); res.code != 0 || strings.Join(strings.Fields(res.stdout), " ") != "lo net0" {
		t.Errorf("template: exit %d, %q %q", res.code, res.stdout, res.stderr)
	}
}

func TestNetDevicesRefused(t *testing.T) {
	r := newRuntime(t)
	ns := netnsForTest(t)
	vethIn(t, ns, "sprdummy2", "sprpeer2")
	for _, c := range []struct {
		name string
		edit func(*bundle)
		want string
	}{
		{"host netns", func(b *bundle) {
			var kept []specs.LinuxNamespace
			for _, n := range b.spec.Linux.Namespaces {
				if n.Type != specs.NetworkNamespace {
					kept = append(kept, n)
				}
			}
			b.spec.Linux.Namespaces = kept
			b.spec.Linux.NetDevices = map[string]specs.LinuxNetDevice{"sprdummy2": {}}
		}, "linux.netDevices"},
		{"no such device", func(b *bundle) {
			b.spec.Linux.NetDevices = map[string]specs.LinuxNetDevice{"sprnosuch": {}}
		}, `linux.netDevices["sprnosuch"]`},
		{"bad name", func(b *bundle) {
			b.spec.Linux.NetDevices = map[string]specs.LinuxNetDevice{"sprdummy2": {Name: "a/b"}}
		}, `linux.netDevices["sprdummy2"].name`},
	} {
		b := newBundle(t, "true")
		c.edit(b)
		b.save(t)
		if res := sproutInNetns(t, r, ns, "run", "--bundle", b.dir, "refused"); res.code == 0 || !strings.Contains(res.stderr, c.want) {
			t.Errorf("%s: exit %d, %q", c.name, res.code, res.stderr)
		}
	}
	// Nothing was moved by the refused configs.
	if out := ipIn(t, ns, "-o", "link"); !strings.Contains(out, "sprdummy2") {
		t.Errorf("the dummy left the runtime's namespace:\n%s", out)
	}
	if _, err := os.Stat("/run/netns/" + ns); err != nil {
		t.Fatal(err)
	}
}
