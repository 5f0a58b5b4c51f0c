package libcontainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
)

func TestHomeIn(t *testing.T) {
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	err := os.WriteFile(passwd, []byte(`root:x:0:0:root:/root:/bin/sh

  daemon:x:1:1:daemon:/usr/sbin:/bin/sh  
nohome:x:5:5:nohome::/bin/sh
twice:x:7:7:first::/bin/sh
twice:x:7:7:second:/second:/bin/sh
big:x:4000000000:1:big:/big:/bin/sh
short:x:8
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		uid  uint32
		want string
	}{
		{0, "/root"},
		// Blanks around an entry are not part of it.
		{1, "/usr/sbin"},
		{5, "/"},
		// The first entry of a uid is the one, as in runc, even without a
		// home.
		{7, "/"},
		{8, "/"},
		// Above the library's range: looked up, not found.
		{4000000000, "/"},
		{1234, "/"},
	} {
		if got := homeIn(passwd, c.uid); got != c.want {
			t.Errorf("uid %d: home %q, want %q", c.uid, got, c.want)
		}
	}
	if got := homeIn(filepath.Join(dir, "missing"), 0); got != "/" {
		t.Errorf("no passwd: home %q, want /", got)
	}
	// Not a regular file: an image can make it a directory, or a link to
	// a device that never ends, which the init must not read forever.
	for _, p := range []string{dir, "/dev/urandom"} {
		if got := homeIn(p, 0); got != "/" {
			t.Errorf("passwd %s: home %q, want /", p, got)
		}
	}
}

// A bare program name is looked up only in process.env's PATH, as runc
// does: no PATH, no default list of directories.
func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"prog", []string{"PATH=/nonexistent:" + dir}, prog},
		{prog, nil, prog},
		{"prog", nil, ""},
		{"prog", []string{"PATH="}, ""},
		{"prog", []string{"HOME=" + dir}, ""},
		{"data", []string{"PATH=" + dir}, ""},
		{"sh", nil, ""},
	} {
		var pl nsexec.Plan
		planLookPath(&pl, tc.name, tc.env)
		err := pl.Run(-1)
		got := nsexec.Program()
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s with env %q: found %s", tc.name, tc.env, got)
		case tc.want == "" && !strings.Contains(err.Error(), "executable file not found") && !strings.Contains(err.Error(), "not executable"):
			t.Errorf("%s with env %q: %v", tc.name, tc.env, err)
		case tc.want != "" && (err != nil || got != tc.want):
			t.Errorf("%s with env %q: %q, %v, want %s", tc.name, tc.env, got, err, tc.want)
		}
	}
	// A PATH entry whose join with the name is longer than a path can be
	// is passed over, not cut short: cut, this one would name /bin/sh.
	var pl nsexec.Plan
	long := strings.Repeat("/", 4088) + "/bin/sh"
	planLookPath(&pl, "nosuch", []string{"PATH=" + long})
	if err := pl.Run(-1); err == nil || !strings.Contains(err.Error(), "executable file not found") {
		t.Errorf("nosuch along a %d-byte PATH entry: found %q, %v", len(long), nsexec.Program(), err)
	}
}
