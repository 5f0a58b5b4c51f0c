package criurpc

import (
	"testing"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	"google.golang.org/protobuf/proto"
)

// Every field sprout sends decodes, with go-criu's generated types, to the
// value it was given; the zero ones are absent.
func TestReqMatchesGoCriu(t *testing.T) {
	mode, status := CgStrict, int32(7)
	req := &Req{Type: Restore, NotifySuccess: true, Features: &Features{MemTrack: true, LazyPages: true}, Opts: &Opts{
		ImagesDirFd: 5, Pid: 300000, LeaveRunning: true, ExtUnixSk: true, TCPEstablished: true,
		ShellJob: true, FileLocks: true, LogLevel: 4, LogFile: "restore.log", NotifyScripts: true,
		Ps:   &PageServer{Address: "127.0.0.1", Port: 27000},
		Root: "/run/x/criu-root", ParentImg: "../parent", TrackMem: true, AutoDedup: true, WorkDirFd: 6,
		ExtMnt:        []ExtMount{{"/mnt/data", "/srv/data"}, {"/proc/keys", "/dev/null"}},
		ManageCgroups: true, CgRoot: []CgroupRoot{{"cpu,cpuacct", "/c1"}, {"", "/c2"}}, RstSibling: true,
		InheritFd: []InheritFd{{"pipe:[123]", 1}, {"extRootNetNS", 4}}, CgMode: &mode,
		External: []string{"net[4026531840]:extRootNetNS"}, EmptyNs: 0x40000000,
		FreezeCgroup: "/sys/fs/cgroup/freezer/c1", LazyPages: true, StatusFd: &status, OrphanPtsMaster: true,
		ConfigFile: "/etc/criu/ct.conf", MntnsCompatMode: true,
	}}
	var got rpc.CriuReq
	if err := proto.Unmarshal(req.Marshal(), &got); err != nil {
		t.Fatal(err)
	}
	want := &rpc.CriuReq{
		Type: rpc.CriuReqType_RESTORE.Enum(), NotifySuccess: proto.Bool(true),
		Features: &rpc.CriuFeatures{MemTrack: proto.Bool(true), LazyPages: proto.Bool(true)},
		Opts: &rpc.CriuOpts{
			ImagesDirFd: proto.Int32(5), Pid: proto.Int32(300000), LeaveRunning: proto.Bool(true),
			ExtUnixSk: proto.Bool(true), TcpEstablished: proto.Bool(true), ShellJob: proto.Bool(true),
			FileLocks: proto.Bool(true), LogLevel: proto.Int32(4), LogFile: proto.String("restore.log"),
			Ps:            &rpc.CriuPageServerInfo{Address: proto.String("127.0.0.1"), Port: proto.Int32(27000)},
			NotifyScripts: proto.Bool(true), Root: proto.String("/run/x/criu-root"),
			ParentImg: proto.String("../parent"), TrackMem: proto.Bool(true), AutoDedup: proto.Bool(true),
			WorkDirFd: proto.Int32(6),
			ExtMnt: []*rpc.ExtMountMap{
				{Key: proto.String("/mnt/data"), Val: proto.String("/srv/data")},
				{Key: proto.String("/proc/keys"), Val: proto.String("/dev/null")},
			},
			ManageCgroups: proto.Bool(true),
			CgRoot: []*rpc.CgroupRoot{
				{Ctrl: proto.String("cpu,cpuacct"), Path: proto.String("/c1")}, {Path: proto.String("/c2")},
			},
			RstSibling: proto.Bool(true),
			InheritFd: []*rpc.InheritFd{
				{Key: proto.String("pipe:[123]"), Fd: proto.Int32(1)}, {Key: proto.String("extRootNetNS"), Fd: proto.Int32(4)},
			},
			ManageCgroupsMode: rpc.CriuCgMode_STRICT.Enum(),
			External:          []string{"net[4026531840]:extRootNetNS"},
			EmptyNs:           proto.Uint32(0x40000000),
			FreezeCgroup:      proto.String("/sys/fs/cgroup/freezer/c1"),
			LazyPages:         proto.Bool(true), StatusFd: proto.Int32(7), OrphanPtsMaster: proto.Bool(true),
			ConfigFile: proto.String("/etc/criu/ct.conf"), MntnsCompatMode: proto.Bool(true),
		},
	}
	if !proto.Equal(&got, want) {
		t.Fatalf("decoded by go-criu:\n%v\nwant:\n%v", &got, want)
	}

	// The shortest request: a type and nothing else (images_dir_fd is
	// required, so the options carry it even when zero).
	got.Reset()
	if err := proto.Unmarshal((&Req{Type: Version}).Marshal(), &got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&got, &rpc.CriuReq{Type: rpc.CriuReqType_VERSION.Enum()}) {
		t.Fatalf("version request decoded as %v", &got)
	}
	got.Reset()
	if err := proto.Unmarshal((&Req{Type: Dump, Opts: &Opts{}}).Marshal(), &got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&got, &rpc.CriuReq{Type: rpc.CriuReqType_DUMP.Enum(), Opts: &rpc.CriuOpts{ImagesDirFd: proto.Int32(0)}}) {
		t.Fatalf("empty options decoded as %v", &got)
	}
	// The enum values are go-criu's.
	for mine, theirs := range map[CgMode]rpc.CriuCgMode{CgIgnore: rpc.CriuCgMode_IGNORE, CgSoft: rpc.CriuCgMode_SOFT, CgFull: rpc.CriuCgMode_FULL, CgStrict: rpc.CriuCgMode_STRICT} {
		if int32(mine) != int32(theirs) {
			t.Errorf("cgroup mode %d, go-criu's %s is %d", mine, theirs, theirs)
		}
	}
	for mine, theirs := range map[ReqType]rpc.CriuReqType{Dump: rpc.CriuReqType_DUMP, Restore: rpc.CriuReqType_RESTORE, PreDump: rpc.CriuReqType_PRE_DUMP, Notify: rpc.CriuReqType_NOTIFY, FeatureCheck: rpc.CriuReqType_FEATURE_CHECK, Version: rpc.CriuReqType_VERSION} {
		if int32(mine) != int32(theirs) || mine.String() != theirs.String() {
			t.Errorf("request type %s (%d), go-criu's %s (%d)", mine, mine, theirs, theirs)
		}
	}
}

// Answers encoded by go-criu's types decode to what they carry, unknown
// fields skipped.
func TestRespMatchesGoCriu(t *testing.T) {
	for _, tc := range []struct {
		in   *rpc.CriuResp
		want Resp
	}{
		{
			in: &rpc.CriuResp{
				Type: rpc.CriuReqType_VERSION.Enum(), Success: proto.Bool(true),
				Version: &rpc.CriuVersion{MajorNumber: proto.Int32(4), MinorNumber: proto.Int32(2), Sublevel: proto.Int32(1), Gitid: proto.String("x"), Name: proto.String("n")},
			},
			want: Resp{Type: Version, Success: true, Version: 40201},
		},
		{
			in: &rpc.CriuResp{
				Type: rpc.CriuReqType_NOTIFY.Enum(), Success: proto.Bool(true),
				Notify: &rpc.CriuNotify{Script: proto.String("post-restore"), Pid: proto.Int32(4242)},
				Ps:     &rpc.CriuPageServerInfo{Address: proto.String("a"), Port: proto.Int32(1)},
			},
			want: Resp{Type: Notify, Success: true, NotifyScript: "post-restore", NotifyPid: 4242},
		},
		{
			in: &rpc.CriuResp{
				Type: rpc.CriuReqType_RESTORE.Enum(), Success: proto.Bool(true),
				Restore: &rpc.CriuRestoreResp{Pid: proto.Int32(77)}, Status: proto.Int32(-1),
			},
			want: Resp{Type: Restore, Success: true, RestoredPid: 77},
		},
		{
			in: &rpc.CriuResp{
				Type: rpc.CriuReqType_DUMP.Enum(), Success: proto.Bool(false),
				CrErrno: proto.Int32(-22), CrErrmsg: proto.String("Dumping FAILED"),
				Dump: &rpc.CriuDumpResp{Restored: proto.Bool(false)},
			},
			want: Resp{Type: Dump, CrErrno: -22, CrErrmsg: "Dumping FAILED"},
		},
		{
			in: &rpc.CriuResp{
				Type: rpc.CriuReqType_FEATURE_CHECK.Enum(), Success: proto.Bool(true),
				Features: &rpc.CriuFeatures{MemTrack: proto.Bool(false), LazyPages: proto.Bool(true)},
			},
			want: Resp{Type: FeatureCheck, Success: true, Features: &Features{LazyPages: true}},
		},
	} {
		data, err := proto.Marshal(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(data)
		if err != nil {
			t.Fatalf("%v: %v", tc.in, err)
		}
		if (got.Features == nil) != (tc.want.Features == nil) || (got.Features != nil && *got.Features != *tc.want.Features) {
			t.Fatalf("%v: features %+v, want %+v", tc.in, got.Features, tc.want.Features)
		}
		got.Features, tc.want.Features = nil, nil
		if *got != tc.want {
			t.Fatalf("%v: decoded %+v, want %+v", tc.in, *got, tc.want)
		}
	}
	if _, err := Unmarshal([]byte{0x08}); err == nil {
		t.Fatal("a truncated answer decoded")
	}
}
