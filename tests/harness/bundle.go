package harness

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/spec"
)

// Busybox is the static busybox every rootfs is made of: $BUSYBOX, or
// /bin/busybox (Debian's busybox-static).
var Busybox = busyboxPath()

func busyboxPath() string {
	if b := os.Getenv("BUSYBOX"); b != "" {
		return b
	}
	return "/bin/busybox"
}

var applets struct {
	once  sync.Once
	names []string
	err   error
}

// Applets lists the applets Busybox has, itself left out; a TestMain
// calls it first to stop at once where busybox is missing.
func Applets() ([]string, error) {
	applets.once.Do(func() {
		out, err := exec.Command(Busybox, "--list").Output()
		if err != nil {
			applets.err = err
			return
		}
		for _, a := range strings.Fields(string(out)) {
			if a != "busybox" {
				applets.names = append(applets.names, a)
			}
		}
	})
	return applets.names, applets.err
}

// MakeRootfs makes a busybox rootfs under dir, with every applet linked in
// /bin and users root and nobody.
func MakeRootfs(t *testing.T, dir string) {
	t.Helper()
	names, err := Applets()
	if err != nil {
		t.Fatalf("busybox %s: %v", Busybox, err)
	}
	for _, d := range []string{"bin", "etc", "tmp", "proc", "sys", "dev", "mnt"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(Busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range names {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home/nobody:/bin/sh\n",
		"etc/group":  "root:x:0:\nnogroup:x:65534:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// NewBundle makes a bundle directory with a busybox rootfs; its config
// is NewSpec(args...), which SaveSpec writes once the test has changed it.
func NewBundle(t *testing.T, args ...string) (dir string, s *specs.Spec) {
	t.Helper()
	dir = t.TempDir()
	MakeRootfs(t, filepath.Join(dir, "rootfs"))
	return dir, NewSpec(args...)
}

// NewSpec is `sprout spec`'s config with no terminal and a writable root,
// as a test that reads the container's output and files wants it, running
// args (through sh -c when given one string).
func NewSpec(args ...string) *specs.Spec {
	s := spec.Default(false)
	s.Process.Terminal = false
	s.Root.Readonly = false
	if len(args) == 1 {
		args = []string{"sh", "-c", args[0]}
	}
	if len(args) > 0 {
		s.Process.Args = args
	}
	return s
}

// SaveSpec writes s as the bundle dir's config.json.
func SaveSpec(t *testing.T, dir string, s *specs.Spec) {
	t.Helper()
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
