package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Refusals worded with runc's phrase, which runc's own tests and the
// engines' logs look for, beside sprout's naming of the field.
func TestRuncErrorWords(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, b *bundle)
		want   string
		skip   func(t *testing.T) bool
	}{
		{"unified on cgroup v1", func(t *testing.T, b *bundle) {
			b.spec.Linux.Resources = &specs.LinuxResources{Unified: map[string]string{"memory.min": "131072"}}
		}, "invalid configuration", resCgroupV2},
		{"/proc a symlink", func(t *testing.T, b *bundle) {
			p := filepath.Join(b.dir, "rootfs/proc")
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/symlink", p); err != nil {
				t.Fatal(err)
			}
		}, "must be mounted on ordinary directory", nil},
		{"startContainer hook fails", func(t *testing.T, b *bundle) {
			b.spec.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "exit 3"}}}}
		}, "error running hook", nil},
		{"no seccomp agent", func(t *testing.T, b *bundle) {
			b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow, ListenerPath: filepath.Join(t.TempDir(), "none.sock"),
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}},
			}
		}, "linux.seccomp.listenerPath: failed to connect with seccomp agent", nil},
		{"notify on write", func(t *testing.T, b *bundle) {
			b.spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow, ListenerPath: filepath.Join(t.TempDir(), "none.sock"),
				Syscalls: []specs.LinuxSyscall{{Names: []string{"write"}, Action: specs.ActNotify}},
			}
		}, "SCMP_ACT_NOTIFY cannot be used for the write syscall", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != nil && tc.skip(t) {
				t.Skip("not refused on this host")
			}
			r := newRuntime(t)
			b := newBundle(t, "true")
			tc.mutate(t, b)
			res := r.run(b, "words")
			if res.code == 0 || !strings.Contains(res.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q, want %q", res.code, res.stderr, tc.want)
			}
			if strings.Count(res.stderr, "linux.seccomp.listenerPath:") > 1 {
				t.Fatalf("the field is named twice: %q", res.stderr)
			}
		})
	}
}
