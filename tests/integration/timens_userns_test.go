package integration

import (
	"os"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The offsets of a time namespace owned by the container's user namespace
// are written before anything enters it, by a process the kernel lets set
// them (CAP_SYS_TIME over the new user namespace).
func TestTimeNamespaceWithUserNamespace(t *testing.T) {
	r := newRuntime(t)
	b := userNsBundle(t, "cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets; id -u")
	b.spec.Linux.Namespaces = append(b.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	b.spec.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{
		"boottime":  {Secs: 864000},
		"monotonic": {Secs: 3600, Nanosecs: 5},
	}
	out := r.output(b)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("output %q", out)
	}
	up, err := strconv.Atoi(lines[0])
	if err != nil {
		t.Fatalf("uptime %q", out)
	}
	hostData, _ := os.ReadFile("/proc/uptime")
	hostUp, _ := strconv.ParseFloat(strings.Fields(string(hostData))[0], 64)
	if diff := float64(up) - hostUp; diff < 863990 || diff > 864010 {
		t.Fatalf("boottime offset: container uptime %d, host %f", up, hostUp)
	}
	for _, l := range lines[1:3] {
		f := strings.Fields(l)
		ok := len(f) == 3 && ((f[0] == "monotonic" && f[1] == "3600" && f[2] == "5") || (f[0] == "boottime" && f[1] == "864000" && f[2] == "0"))
		if !ok {
			t.Fatalf("timens_offsets line %q", l)
		}
	}
	if lines[3] != "0" {
		t.Fatalf("uid inside %q, want 0", lines[3])
	}
}
