package spec

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMountOptionsTmpcopyup(t *testing.T) {
	o := ParseMountOptions([]string{"nosuid", "tmpcopyup", "size=1m"})
	if !o.CopyUp {
		t.Error("tmpcopyup not taken")
	}
	if len(o.Data) != 1 || o.Data[0] != "size=1m" {
		t.Errorf("tmpcopyup reached the filesystem's data: %q", o.Data)
	}
	if o.Flags != unix.MS_NOSUID {
		t.Errorf("flags %#x", o.Flags)
	}
	if ParseMountOptions([]string{"size=1m"}).CopyUp {
		t.Error("CopyUp without tmpcopyup")
	}
}
