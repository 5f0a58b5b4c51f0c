package systemd

import (
	"strings"
	"testing"
)

func TestParseCgroupsPath(t *testing.T) {
	for _, tc := range []struct {
		path, id string
		user     bool
		want     Unit
	}{
		{"system.slice:sprout:abc", "x", false, Unit{Name: "sprout-abc.scope", Slice: "system.slice", Cgroup: "/system.slice/sprout-abc.scope"}},
		{"", "abc", false, Unit{Name: "sprout-abc.scope", Slice: "system.slice", Cgroup: "/system.slice/sprout-abc.scope"}},
		{":docker:1234", "x", false, Unit{Name: "docker-1234.scope", Slice: "system.slice", Cgroup: "/system.slice/docker-1234.scope"}},
		{"machine.slice::abc", "x", false, Unit{Name: "abc.scope", Slice: "machine.slice", Cgroup: "/machine.slice/abc.scope"}},
		{"foo-bar.slice:cri:c1", "x", false, Unit{Name: "cri-c1.scope", Slice: "foo-bar.slice", Cgroup: "/foo.slice/foo-bar.slice/cri-c1.scope"}},
		{"kubepods-besteffort-pod1.slice:cri-containerd:c1", "x", false, Unit{
			Name: "cri-containerd-c1.scope", Slice: "kubepods-besteffort-pod1.slice",
			Cgroup: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-c1.scope",
		}},
		{"-.slice:p:n", "x", false, Unit{Name: "p-n.scope", Slice: "-.slice", Cgroup: "/p-n.scope"}},
		// A user's manager: runc's default slice is user.slice, below
		// the manager's own cgroup.
		{"", "abc", true, Unit{Name: "sprout-abc.scope", Slice: "user.slice", Cgroup: "/user.slice/sprout-abc.scope"}},
		{":podman:1", "x", true, Unit{Name: "podman-1.scope", Slice: "user.slice", Cgroup: "/user.slice/podman-1.scope"}},
		{"app.slice:p:n", "x", true, Unit{Name: "p-n.scope", Slice: "app.slice", Cgroup: "/app.slice/p-n.scope"}},
	} {
		got, err := ParseCgroupsPath(tc.path, tc.id, tc.user)
		if err != nil {
			t.Errorf("ParseCgroupsPath(%q, %q): %v", tc.path, tc.id, err)
			continue
		}
		if *got != tc.want {
			t.Errorf("ParseCgroupsPath(%q, %q) = %+v, want %+v", tc.path, tc.id, *got, tc.want)
		}
	}
}

func TestParseCgroupsPathErrors(t *testing.T) {
	for _, tc := range []struct{ path, id, want string }{
		{"/sprout/abc", "x", `must have the form "slice:prefix:name"`},
		{"system.slice:abc", "x", `the form "slice:prefix:name"`},
		{"a:b:c:d", "x", `the form "slice:prefix:name"`},
		{"system:sprout:abc", "x", `slice "system": a slice name ends in .slice`},
		{".slice:sprout:abc", "x", "a slice name ends in .slice"},
		{"foo--bar.slice:p:n", "x", "empty part between dashes"},
		{"-foo.slice:p:n", "x", "empty part between dashes"},
		{"a/b.slice:p:n", "x", `does not allow '/'`},
		{"system.slice:p:", "x", "the name (third part) is empty"},
		{"system.slice:p:pod.slice", "x", "only scopes are supported"},
		{"system.slice:p:a b", "x", `does not allow ' '`},
		{"", "a+b", `does not allow '+'`},
		{"system.slice:p:" + strings.Repeat("n", 250), "x", "longer than 255 bytes"},
	} {
		_, err := ParseCgroupsPath(tc.path, tc.id, false)
		if err == nil {
			t.Errorf("ParseCgroupsPath(%q, %q): no error, want one with %q", tc.path, tc.id, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "linux.cgroupsPath") {
			t.Errorf("ParseCgroupsPath(%q, %q): error %q, want one naming linux.cgroupsPath with %q", tc.path, tc.id, err, tc.want)
		}
	}
}
