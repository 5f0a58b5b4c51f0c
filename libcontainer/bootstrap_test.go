package libcontainer

import (
	"encoding/binary"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
)

type bootstrapRecord struct {
	typ  uint32
	data string
}

// decodeBootstrap reads the records as nsexec.c does: type, length, data.
func decodeBootstrap(t *testing.T, buf []byte) []bootstrapRecord {
	t.Helper()
	var out []bootstrapRecord
	for len(buf) > 0 {
		if len(buf) < 8 {
			t.Fatalf("truncated record header: %q", buf)
		}
		typ := binary.NativeEndian.Uint32(buf)
		n := binary.NativeEndian.Uint32(buf[4:])
		if uint32(len(buf)-8) < n {
			t.Fatalf("record %d: length %d, %d bytes left", typ, n, len(buf)-8)
		}
		out = append(out, bootstrapRecord{typ, string(buf[8 : 8+n])})
		buf = buf[8+n:]
	}
	if len(out) == 0 || out[len(out)-1] != (bootstrapRecord{nsexec.RecEnd, ""}) {
		t.Fatalf("records do not end with nsexec.RecEnd: %v", out)
	}
	return out[:len(out)-1]
}

func u32(v uint32) string {
	return string(binary.NativeEndian.AppendUint32(nil, v))
}

func TestBuildBootstrap(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ns      []specs.LinuxNamespace
		offsets map[string]specs.LinuxTimeOffset
		cgroups map[string]string
		want    []bootstrapRecord
	}{
		{
			name: "nothing",
			want: []bootstrapRecord{{nsexec.RecCloneFlags, u32(0)}},
		},
		{
			name: "new namespaces are one flag word",
			ns:   []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}, {Type: specs.UserNamespace}},
			want: []bootstrapRecord{{nsexec.RecCloneFlags, u32(unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWUSER)}},
		},
		{
			name: "the user namespace is joined first, each path with its type",
			ns: []specs.LinuxNamespace{
				{Type: specs.NetworkNamespace, Path: "/run/netns/a"},
				{Type: specs.UTSNamespace},
				{Type: specs.UserNamespace, Path: "/proc/9/ns/user"},
				{Type: specs.IPCNamespace, Path: "/proc/9/ns/ipc"},
			},
			want: []bootstrapRecord{
				{nsexec.RecUsernsPath, u32(unix.CLONE_NEWUSER) + "/proc/9/ns/user\x00"},
				{nsexec.RecNsPath, u32(unix.CLONE_NEWNET) + "/run/netns/a\x00"},
				{nsexec.RecNsPath, u32(unix.CLONE_NEWIPC) + "/proc/9/ns/ipc\x00"},
				{nsexec.RecCloneFlags, u32(unix.CLONE_NEWUTS)},
			},
		},
		{
			name: "cgroups sorted by controller, a shared directory joined once",
			cgroups: map[string]string{
				"memory": "/sys/fs/cgroup/memory/c", "cpu": "/sys/fs/cgroup/cpu,cpuacct/c",
				"cpuacct": "/sys/fs/cgroup/cpu,cpuacct/c", "": "/sys/fs/cgroup/unified/c",
			},
			want: []bootstrapRecord{
				{nsexec.RecCgroupDir, "/sys/fs/cgroup/unified/c\x00"},
				{nsexec.RecCgroupTasks, "/sys/fs/cgroup/cpu,cpuacct/c/tasks\x00"},
				{nsexec.RecCgroupTasks, "/sys/fs/cgroup/memory/c/tasks\x00"},
				{nsexec.RecCloneFlags, u32(0)},
			},
		},
		{
			name:    "time offsets in the kernel's format, monotonic first",
			ns:      []specs.LinuxNamespace{{Type: specs.TimeNamespace}},
			offsets: map[string]specs.LinuxTimeOffset{"boottime": {Secs: -5, Nanosecs: 7}, "monotonic": {Secs: 100}},
			want: []bootstrapRecord{
				{nsexec.RecCloneFlags, u32(unix.CLONE_NEWTIME)},
				{nsexec.RecTimeOffsets, "monotonic 100 0\nboottime -5 7\n"},
			},
		},
	} {
		got := decodeBootstrap(t, buildBootstrap(tc.ns, tc.offsets, tc.cgroups, -1))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}
