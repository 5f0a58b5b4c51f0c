package libcontainer

import (
	"errors"

	"github.com/sprout-runtime/sprout/cgroups"
)

// checkCgroupReuse looks at a container's cgroup before anything is put in
// it, as runc does. A frozen one would freeze the init as soon as it joins
// (create hung, the init in D state): refused. A non-empty one is allowed
// with runc's warning. A cgroup that does not exist yet reads as neither.
func checkCgroupReuse(cg cgroups.Manager) error {
	if pids, err := cg.Procs(); err == nil && len(pids) > 0 {
		warn("container's cgroup is not empty: %d process(es) found", len(pids))
	}
	if frozen, err := cg.Paused(); err == nil && frozen {
		return errors.New("container's cgroup unexpectedly frozen")
	}
	return nil
}
