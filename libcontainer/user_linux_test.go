package libcontainer

import (
	"os"
	"path/filepath"
	"testing"
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
