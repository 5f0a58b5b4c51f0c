package checkpoint

import (
	"os"
	"path/filepath"
	"testing"
)

// A bind mount whose destination is a symlink in the rootfs is mounted
// where the link leads; checkpoint and restore find it there, as runc's do.
func TestCheckpointBindOnSymlink(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	if err := os.MkdirAll(b.rootfs("real/conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/real/conf", b.rootfs("conf")); err != nil {
		t.Fatal(err)
	}
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "file"), []byte("host\n"), 0o644)
	b.spec.Mounts = append(b.spec.Mounts, specMount(host, "/conf"))
	b.save(t)
	r.detached("run", "-d", "--bundle", b.dir, "symbind")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--image-path", img, "symbind")
	r.detached("restore", "-d", "--image-path", img, "--bundle", b.dir, "symbind")
	if out := r.must("exec", "symbind", "cat", "/conf/file", "/real/conf/file"); out != "host\nhost\n" {
		t.Fatalf("the bind after restore: %q", out)
	}
}

// A bind mount nested in another bind mount is restored although its
// mount point, made in the outer source by create, is gone by then: restore
// makes the mount points again, as runc's does.
func TestRestoreNestedBinds(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	outer, inner := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(inner, "file"), []byte("inner\n"), 0o644)
	b.spec.Mounts = append(b.spec.Mounts, specMount(outer, "/test"), specMount(inner, "/test/for/nested"))
	b.save(t)
	r.detached("run", "-d", "--bundle", b.dir, "nested")
	waitCount(t, b, 3)
	img := filepath.Join(t.TempDir(), "img")
	r.must("checkpoint", "--image-path", img, "nested")
	if err := os.RemoveAll(filepath.Join(outer, "for")); err != nil {
		t.Fatal(err)
	}
	r.detached("restore", "-d", "--image-path", img, "--bundle", b.dir, "nested")
	if out := r.must("exec", "nested", "cat", "/test/for/nested/file"); out != "inner\n" {
		t.Fatalf("the nested bind after restore: %q", out)
	}
}

// The org.criu.config annotation names criu's configuration file for the
// container, on checkpoint and on restore, as in runc: its log-file
// setting wins over the one sprout asks for.
func TestCriuConfigAnnotation(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	b := newBundle(t, counterScript)
	conf := filepath.Join(t.TempDir(), "criu.conf")
	if err := os.WriteFile(conf, []byte("log-file=from-annotation.log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.spec.Annotations = map[string]string{"org.criu.config": conf}
	b.save(t)
	r.detached("run", "-d", "--bundle", b.dir, "criuconf")
	waitCount(t, b, 3)
	base := t.TempDir()
	img, work := filepath.Join(base, "img"), filepath.Join(base, "work")
	r.must("checkpoint", "--image-path", img, "--work-path", work, "criuconf")
	if _, err := os.Stat(filepath.Join(work, "from-annotation.log")); err != nil {
		t.Fatalf("checkpoint did not use the annotation's config: %v", err)
	}
	os.Remove(filepath.Join(work, "from-annotation.log"))
	r.detached("restore", "-d", "--image-path", img, "--work-path", work, "--bundle", b.dir, "criuconf")
	if _, err := os.Stat(filepath.Join(work, "from-annotation.log")); err != nil {
		t.Fatalf("restore did not use the annotation's config: %v", err)
	}
}
