package nsexec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// WriteProc writes procfs files only, and never through a magic link
// (CVE-2025-52881: a bundle's mount could put another file there).
func TestWriteProc(t *testing.T) {
	plain := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteProc(plain, "1"); err == nil || !strings.Contains(err.Error(), "is not on procfs") {
		t.Errorf("a file on %s: %v, want a refusal", plain, err)
	}
	// The thread's own name: writable by anyone, for the thread only.
	comm := fmt.Sprintf("/proc/self/task/%d/comm", unix.Gettid())
	f, err := os.OpenFile(comm, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteProc(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), "x"); !errors.Is(err, unix.ELOOP) {
		t.Errorf("through a magic link: %v, want ELOOP", err)
	}
	old, err := os.ReadFile(comm)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteProc(comm, "plan-test"); err != nil {
		t.Fatalf("%s: %v", comm, err)
	}
	got, _ := os.ReadFile(comm)
	WriteProc(comm, strings.TrimSpace(string(old)))
	if strings.TrimSpace(string(got)) != "plan-test" {
		t.Errorf("%s reads %q after the write", comm, got)
	}
}
