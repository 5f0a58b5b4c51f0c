package capabilities

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// capBit holds the numbers of the capabilities the tests use, copied from
// linux/capability.h rather than taken from the package under test.
var capBit = map[string]uint{
	"CAP_CHOWN":              0,
	"CAP_KILL":               5,
	"CAP_SETGID":             6,
	"CAP_SETUID":             7,
	"CAP_SETPCAP":            8,
	"CAP_NET_BIND_SERVICE":   10,
	"CAP_MKNOD":              27,
	"CAP_AUDIT_WRITE":        29,
	"CAP_PERFMON":            38,
	"CAP_BPF":                39,
	"CAP_CHECKPOINT_RESTORE": 40,
}

func mask(t *testing.T, caps ...string) uint64 {
	t.Helper()
	var m uint64
	for _, c := range caps {
		b, ok := capBit[c]
		if !ok {
			t.Fatalf("test table has no number for %s", c)
		}
		m |= 1 << b
	}
	return m
}

func readLastCap(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		t.Skipf("kernel does not expose cap_last_cap: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLastCap(t *testing.T) {
	want := readLastCap(t)
	got, err := LastCap()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("LastCap() = %d, cap_last_cap says %d", got, want)
	}
}

func TestNamesCoverKernel(t *testing.T) {
	last := readLastCap(t)
	got := Names()
	if len(got) <= last {
		t.Fatalf("Names() has %d entries, kernel supports capabilities 0..%d", len(got), last)
	}
	seen := map[string]bool{}
	for i, n := range got {
		if !strings.HasPrefix(n, "CAP_") || strings.ToUpper(n) != n {
			t.Errorf("Names()[%d] = %q, want an upper case CAP_ name", i, n)
		}
		if seen[n] {
			t.Errorf("Names() lists %s twice", n)
		}
		seen[n] = true
	}
	got[0] = "CHANGED"
	if Names()[0] == "CHANGED" {
		t.Error("Names() returns the package's own slice")
	}
}

// TestNamesMatchHeader checks every name's number against the kernel UAPI
// header installed on the machine, an independent source.
func TestNamesMatchHeader(t *testing.T) {
	const header = "/usr/include/linux/capability.h"
	f, err := os.Open(header)
	if err != nil {
		t.Skipf("no kernel header to compare with: %v", err)
	}
	defer f.Close()
	def := regexp.MustCompile(`^#define\s+(CAP_[A-Z_]+)\s+([0-9]+)\s*$`)
	names := Names()
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := def.FindStringSubmatch(sc.Text())
		if m == nil || m[1] == "CAP_LAST_CAP" {
			continue
		}
		n, err := strconv.Atoi(m[2])
		if err != nil {
			t.Fatal(err)
		}
		found++
		if n >= len(names) {
			t.Errorf("%s defines %s as %d, beyond Names()", header, m[1], n)
			continue
		}
		if names[n] != m[1] {
			t.Errorf("Names()[%d] = %s, %s says %s", n, names[n], header, m[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatalf("%s defines no capability", header)
	}
}

func TestParseUnknown(t *testing.T) {
	for _, field := range []string{"bounding", "effective", "inheritable", "permitted", "ambient"} {
		for _, bad := range []string{"CAP_FOO", "cap_chown", "CHOWN", ""} {
			c := &specs.LinuxCapabilities{}
			l := []string{"CAP_CHOWN", bad}
			switch field {
			case "bounding":
				c.Bounding = l
			case "effective":
				c.Effective, c.Permitted = l, []string{"CAP_CHOWN"}
			case "inheritable":
				c.Inheritable = l
			case "permitted":
				c.Permitted = l
			case "ambient":
				c.Ambient = l
			}
			_, _, err := Parse(c)
			if err == nil {
				t.Errorf("%s %q: Parse succeeded", field, bad)
				continue
			}
			want := "process.capabilities." + field + `: unknown capability "` + bad + `"`
			if err.Error() != want {
				t.Errorf("%s %q: error %q, want %q", field, bad, err, want)
			}
		}
	}
}

func TestParseMasks(t *testing.T) {
	c := &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_MKNOD", "CAP_CHECKPOINT_RESTORE"},
		Effective:   []string{"CAP_KILL", "CAP_KILL"},
		Inheritable: []string{"CAP_NET_BIND_SERVICE"},
		Permitted:   []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
		Ambient:     []string{"CAP_NET_BIND_SERVICE"},
	}
	s, warnings, err := parse(c, 40)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings %q", warnings)
	}
	want := Set{
		bounding:    mask(t, "CAP_CHOWN", "CAP_KILL", "CAP_MKNOD", "CAP_CHECKPOINT_RESTORE"),
		effective:   mask(t, "CAP_KILL"),
		inheritable: mask(t, "CAP_NET_BIND_SERVICE"),
		permitted:   mask(t, "CAP_KILL", "CAP_NET_BIND_SERVICE"),
		ambient:     mask(t, "CAP_NET_BIND_SERVICE"),
	}
	if *s != want {
		t.Errorf("parse = %+v, want %+v", *s, want)
	}
}

func TestParseNewerThanKernel(t *testing.T) {
	c := &specs.LinuxCapabilities{
		Bounding:  []string{"CAP_KILL", "CAP_BPF", "CAP_PERFMON", "CAP_BPF"},
		Permitted: []string{"CAP_CHECKPOINT_RESTORE"},
	}
	// A kernel whose last capability is CAP_AUDIT_READ (37), like Linux 5.7.
	s, warnings, err := parse(c, 37)
	if err != nil {
		t.Fatal(err)
	}
	if s.bounding != mask(t, "CAP_KILL") || s.permitted != 0 {
		t.Errorf("unsupported capabilities kept: bounding %#x permitted %#x", s.bounding, s.permitted)
	}
	wantWarn := []string{
		"process.capabilities.bounding: ignoring CAP_BPF",
		"process.capabilities.bounding: ignoring CAP_PERFMON",
		"process.capabilities.permitted: ignoring CAP_CHECKPOINT_RESTORE",
	}
	if len(warnings) != len(wantWarn) {
		t.Fatalf("warnings %q, want one per unsupported capability and set: %q", warnings, wantWarn)
	}
	for i, w := range wantWarn {
		if !strings.HasPrefix(warnings[i], w) {
			t.Errorf("warning %d = %q, want prefix %q", i, warnings[i], w)
		}
	}
}

func TestParseEffectiveNotPermitted(t *testing.T) {
	_, _, err := Parse(&specs.LinuxCapabilities{
		Effective: []string{"CAP_KILL", "CAP_CHOWN"},
		Permitted: []string{"CAP_KILL"},
	})
	if err == nil || !strings.Contains(err.Error(), "process.capabilities.effective: CAP_CHOWN not in process.capabilities.permitted") {
		t.Fatalf("Parse error = %v, want CAP_CHOWN rejected from effective", err)
	}
}

func TestParseAmbientNeedsPermittedAndInheritable(t *testing.T) {
	s, warnings, err := Parse(&specs.LinuxCapabilities{
		Permitted:   []string{"CAP_KILL", "CAP_CHOWN"},
		Inheritable: []string{"CAP_KILL", "CAP_MKNOD"},
		Ambient:     []string{"CAP_KILL", "CAP_CHOWN", "CAP_MKNOD"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.ambient != mask(t, "CAP_KILL") {
		t.Errorf("ambient = %#x, want only CAP_KILL", s.ambient)
	}
	if len(warnings) != 0 || s.DroppedAmbient() != "CAP_CHOWN, CAP_MKNOD" {
		t.Errorf("warnings %q, dropped %q: want no warning and CAP_CHOWN, CAP_MKNOD dropped", warnings, s.DroppedAmbient())
	}
}

func TestParseNil(t *testing.T) {
	s, warnings, err := Parse(nil)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("Parse(nil) = %v, %q", err, warnings)
	}
	if *s != (Set{}) {
		t.Fatalf("Parse(nil) = %+v, want every set empty", *s)
	}
}

// A kernel newer than the name table can hold capabilities the table does
// not name: an error about one must still say which.
func TestListBeyondNames(t *testing.T) {
	beyond := len(Names())
	got := list(1<<capBit["CAP_KILL"] | 1<<beyond)
	want := "CAP_KILL, capability " + strconv.Itoa(beyond)
	if got != want {
		t.Fatalf("list = %q, want %q", got, want)
	}
}
