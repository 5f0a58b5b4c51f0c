package libcontainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClimbs(t *testing.T) {
	for _, tc := range []struct {
		base []string
		rel  string
		want bool
	}{
		{nil, "a/b", false},
		{nil, "..", true},
		{nil, "./a/../..", true},
		{[]string{"a"}, "..", false},
		{[]string{"a"}, "../..", true},
		{[]string{"a", "b"}, "../../c", false},
		{[]string{"a"}, "b/../../..", true},
		{[]string{"a"}, "b//./../..", false},
	} {
		if got := climbs(tc.base, tc.rel); got != tc.want {
			t.Errorf("climbs(%q, %q) = %v, want %v", tc.base, tc.rel, got, tc.want)
		}
	}
}

func TestCheckEscape(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"etc", "var/lib", "usr/share"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"abs":         "/etc",          // rooted at the rootfs
		"up":          "../../..",      // climbs out
		"var/lib/sib": "../../usr",     // stays in
		"var/lib/out": "../../../host", // climbs out from a subdirectory
		"loop":        "loop",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		dest string
		err  string // "" for accepted
	}{
		{"/etc/hosts", ""},
		{"/new/dir", ""},
		{"/abs/hosts", ""},
		{"/var/lib/sib/share", ""},
		{"/a/../etc", ""},
		{"/..", "climbs out of the rootfs"},
		{"/etc/../../x", "climbs out of the rootfs"},
		{"/up/x", "symlink /up -> ../../.. points out of the rootfs"},
		{"/var/lib/out/x", "symlink /var/lib/out -> ../../../host points out of the rootfs"},
		{"/loop/x", "too many levels of symbolic links"},
	} {
		err := checkEscape(root, tc.dest)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.dest, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want an error with %q", tc.dest, err, tc.err)
		case err != nil && !strings.Contains(err.Error(), tc.dest):
			t.Errorf("%s: error %q does not name the destination", tc.dest, err)
		}
	}
}
