package checkpoint

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	"google.golang.org/protobuf/proto"
)

// fakeCriu answers one request on fd 3 as a criu of the given version
// (major.minor.sublevel) would, and fails anything but a version request.
func fakeCriu(version string) {
	if len(os.Args) < 2 || os.Args[1] != "swrk" {
		os.Exit(2)
	}
	sock := os.NewFile(3, "swrk")
	buf := make([]byte, 4096)
	n, err := sock.Read(buf)
	if err != nil {
		os.Exit(3)
	}
	var req rpc.CriuReq
	if err := proto.Unmarshal(buf[:n], &req); err != nil {
		os.Exit(4)
	}
	resp := &rpc.CriuResp{Type: req.Type, Success: proto.Bool(false), CrErrmsg: proto.String("fake criu")}
	if req.GetType() == rpc.CriuReqType_VERSION {
		v := strings.Split(version, ".")
		num := func(i int) *int32 { x, _ := strconv.Atoi(v[i]); return proto.Int32(int32(x)) }
		resp = &rpc.CriuResp{Type: req.Type, Success: proto.Bool(true), Version: &rpc.CriuVersion{
			MajorNumber: num(0), MinorNumber: num(1), Sublevel: num(2),
		}}
	}
	data, _ := proto.Marshal(resp)
	sock.Write(data)
}

// A criu older than 3.0 is refused before anything is done, with an error
// that names the version found and the one needed.
func TestCriuTooOld(t *testing.T) {
	needCriu(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	pid := r.runDetached(b, "old1")
	img := filepath.Join(t.TempDir(), "img")
	env := []string{"FAKE_CRIU_VERSION=2.12.1"}
	res := r.sproutEnv(env, nil, "--criu", self, "checkpoint", "--image-path", img, "old1")
	if res.code == 0 || !strings.Contains(res.stderr, "is criu 2.12.1: checkpoint and restore need criu 3.0.0 or newer") {
		t.Fatalf("checkpoint with criu 2.12.1: exit %d, %q", res.code, res.stderr)
	}
	if st := r.mustState("old1"); st.Status != "running" || st.Pid != pid {
		t.Fatalf("the container after the refused checkpoint: %+v", st)
	}
	r.must("checkpoint", "--leave-running", "--image-path", img, "old1")
	res = r.sproutEnv(env, nil, "--criu", self, "restore", "-d", "--image-path", img, "--bundle", b.dir, "old2")
	if res.code == 0 || !strings.Contains(res.stderr, "3.0.0 or newer") {
		t.Fatalf("restore with criu 2.12.1: exit %d, %q", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(r.root, "old2")); !os.IsNotExist(err) {
		t.Fatalf("state of old2 left behind: %v", err)
	}
	if dirs := cgroupDirs(t, "old2"); len(dirs) > 0 {
		t.Fatalf("cgroups of old2 left behind: %v", dirs)
	}
}
