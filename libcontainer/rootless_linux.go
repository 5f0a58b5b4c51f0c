package libcontainer

// A rootless container (CreateOptions.Rootless): its cgroup is made only
// where the user may, as in runc.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/spec"
)

// InUserNamespace tells whether this process runs in a user namespace other
// than the host's, where being root does not give the host's privileges.
func InUserNamespace() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	return string(bytes.Join(bytes.Fields(data), []byte(" "))) != "0 0 4294967295"
}

// validateRootless refuses what a runtime that is not root can never set
// up, before anything is made: every other namespace needs the privileges
// a user namespace gives.
func validateRootless(s *specs.Spec) error {
	if os.Geteuid() == 0 {
		return nil
	}
	if _, ok := spec.Namespaces(s)[specs.UserNamespace]; !ok {
		return errors.New("linux.namespaces: a rootless container needs a user namespace")
	}
	return nil
}

// makeCgroup creates the container's cgroup. Rootless, a cgroup the user
// may not create is left out with a warning, as runc does, unless the
// config names one (linux.cgroupsPath) or sets a limit that needs it.
func (p *parent) makeCgroup() (cgroups.Manager, error) {
	s := p.spec
	// The manager whose directories writeFirstState recorded.
	cg := p.cg
	if err := checkCgroupReuse(cg); err != nil {
		return nil, fmt.Errorf("linux.cgroupsPath: %w", err)
	}
	err := cg.Apply(-1)
	if err == nil {
		return cg, nil
	}
	if !p.opts.Rootless || !isPermissionError(err) {
		return nil, fmt.Errorf("linux.cgroupsPath: %w", err)
	}
	// Whatever part of it the user could make goes.
	destroyCgroup(cg)
	if s.Linux.CgroupsPath != "" {
		return nil, fmt.Errorf("linux.cgroupsPath: rootless, and the cgroup cannot be created: %w", err)
	}
	if needsCgroup(s.Linux.Resources) {
		return nil, fmt.Errorf("linux.resources: rootless, limits need a cgroup the user may write, and it cannot be created: %w", err)
	}
	warn("rootless: the container runs without a cgroup of its own: %v", err)
	return nil, nil
}

// resources are what the cgroup gets: device rules only where the runtime
// is root, a rootless one cannot apply them, and runc ignores them then.
func (p *parent) resources() *specs.LinuxResources {
	r := withDefaultDevices(p.spec)
	if p.opts.Rootless {
		r.Devices = nil
	}
	return r
}

func isPermissionError(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS)
}

// needsCgroup tells whether the resources set anything besides device
// rules, which a rootless container goes without.
func needsCgroup(r *specs.LinuxResources) bool {
	if r == nil {
		return false
	}
	c := *r
	c.Devices = nil
	data, err := json.Marshal(&c)
	return err != nil || string(data) != "{}"
}
