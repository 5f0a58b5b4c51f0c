package spec

import (
	"reflect"
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

func TestParseMountOptionsACL(t *testing.T) {
	o := ParseMountOptions([]string{"acl", "size=1m"})
	if o.Flags != unix.MS_POSIXACL || len(o.Data) != 1 {
		t.Errorf("acl: flags %#x data %q", o.Flags, o.Data)
	}
	o = ParseMountOptions([]string{"acl", "noacl"})
	if o.Flags != 0 || o.ClearFlags != unix.MS_POSIXACL || len(o.Data) != 0 {
		t.Errorf("acl, noacl: flags %#x clear %#x data %q", o.Flags, o.ClearFlags, o.Data)
	}
}

func TestParseMountOptionsRecursiveAtime(t *testing.T) {
	for _, tc := range []struct {
		opts []string
		want uint64
	}{
		{[]string{"rnoatime"}, unix.MOUNT_ATTR_NOATIME},
		{[]string{"rstrictatime"}, unix.MOUNT_ATTR_STRICTATIME},
		{[]string{"rrelatime"}, unix.MOUNT_ATTR_RELATIME},
		{[]string{"rnoatime", "ratime"}, unix.MOUNT_ATTR_RELATIME},
		{[]string{"rstrictatime", "rnostrictatime"}, unix.MOUNT_ATTR_RELATIME},
		{[]string{"rnorelatime"}, unix.MOUNT_ATTR_STRICTATIME},
		{[]string{"rnoatime", "rnosuid"}, unix.MOUNT_ATTR_NOATIME},
	} {
		o := ParseMountOptions(tc.opts)
		// The kernel takes an access time only with all of __ATIME cleared.
		if o.RecAttrClr&unix.MOUNT_ATTR__ATIME != unix.MOUNT_ATTR__ATIME {
			t.Errorf("%v: clear %#x lacks MOUNT_ATTR__ATIME", tc.opts, o.RecAttrClr)
		}
		if got := o.RecAttrSet & unix.MOUNT_ATTR__ATIME; got != tc.want {
			t.Errorf("%v: atime %#x, want %#x", tc.opts, got, tc.want)
		}
		if len(o.Data) != 0 {
			t.Errorf("%v: reached the filesystem's data: %q", tc.opts, o.Data)
		}
	}
	o := ParseMountOptions([]string{"rro", "rrw"})
	if o.RecAttrSet&unix.MOUNT_ATTR_RDONLY != 0 || o.RecAttrClr&unix.MOUNT_ATTR_RDONLY == 0 {
		t.Errorf("rro then rrw: set %#x clear %#x", o.RecAttrSet, o.RecAttrClr)
	}
}

func TestParseMountOptionsIDMap(t *testing.T) {
	for _, tc := range []struct {
		opts           []string
		idmap, recurse bool
	}{
		{[]string{"bind"}, false, false},
		{[]string{"bind", "idmap"}, true, false},
		{[]string{"rbind", "ridmap"}, true, true},
	} {
		o := ParseMountOptions(tc.opts)
		if o.IDMap != tc.idmap || o.IDMapRecursive != tc.recurse || len(o.Data) != 0 {
			t.Errorf("%q: idmap %v recursive %v data %q", tc.opts, o.IDMap, o.IDMapRecursive, o.Data)
		}
	}
}

func TestParseMountOptions(t *testing.T) {
	for _, tc := range []struct {
		opts []string
		want MountOptions
	}{
		{nil, MountOptions{}},
		{[]string{"nosuid", "nodev", "noexec", "ro"}, MountOptions{Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RDONLY}},
		// The last word wins, and the clearing one is remembered (a bind
		// remount must not keep the source's flag).
		{[]string{"ro", "rw"}, MountOptions{ClearFlags: unix.MS_RDONLY}},
		{[]string{"rw", "ro"}, MountOptions{Flags: unix.MS_RDONLY}},
		{[]string{"suid", "nosuid"}, MountOptions{Flags: unix.MS_NOSUID}},
		{[]string{"defaults"}, MountOptions{}},
		{[]string{"rbind", "rprivate", "shared"}, MountOptions{Bind: true, Recursive: true, Propagation: []uintptr{unix.MS_PRIVATE | unix.MS_REC, unix.MS_SHARED}}},
		{[]string{"bind"}, MountOptions{Bind: true}},
		{[]string{"rro", "rnosuid", "rsuid"}, MountOptions{RecAttrSet: unix.MOUNT_ATTR_RDONLY, RecAttrClr: unix.MOUNT_ATTR_NOSUID}},
		// Unknown options are the filesystem's, in order.
		{[]string{"mode=755", "size=65536k", "nosuid"}, MountOptions{Flags: unix.MS_NOSUID, Data: []string{"mode=755", "size=65536k"}}},
		{[]string{"idmap"}, MountOptions{IDMap: true}},
		{[]string{"ridmap"}, MountOptions{IDMap: true, IDMapRecursive: true}},
	} {
		got := ParseMountOptions(tc.opts)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.opts, got, tc.want)
		}
	}
}
