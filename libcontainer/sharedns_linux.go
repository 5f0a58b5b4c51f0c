package libcontainer

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/spec"
)

// validateJoinedNamespaces refuses what spec.ValidateSharedNamespaces
// refuses when a namespace joined by path is the runtime's own (the same
// inode as /proc/self/ns/X): "host" means the caller's namespaces, as in
// runc, so a container run from inside another gets that one's.
func validateJoinedNamespaces(s *specs.Spec) error {
	shared := spec.SharedNamespaces(s)
	joinedShared := false
	for i, n := range s.Linux.Namespaces {
		if n.Path == "" {
			continue
		}
		k, _ := spec.NamespaceKindOf(n.Type)
		same, err := sameNamespace(n.Path, "/proc/self/ns/"+k.ProcName)
		if err != nil {
			return fmt.Errorf("linux.namespaces[%d].path: %w", i, err)
		}
		if !same {
			continue
		}
		// The init would take the runtime's mount namespace for the
		// container's own and set /dev up in the host's.
		if n.Type == specs.MountNamespace {
			return fmt.Errorf("linux.namespaces[%d].path %s: is the runtime's own mount namespace: leave the mount namespace out to share it", i, n.Path)
		}
		shared[n.Type], joinedShared = true, true
	}
	if !joinedShared {
		return nil
	}
	return spec.ValidateSharedNamespaces(s, shared)
}

func sameNamespace(path, own string) (bool, error) {
	var a, b unix.Stat_t
	if err := unix.Stat(path, &a); err != nil {
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	if err := unix.Stat(own, &b); err != nil {
		return false, fmt.Errorf("stat %s: %w", own, err)
	}
	return a.Dev == b.Dev && a.Ino == b.Ino, nil
}
