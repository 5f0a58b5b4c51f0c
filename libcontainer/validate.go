package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/capabilities"
	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/seccomp"
	"github.com/sprout-runtime/sprout/spec"
)

// validateSpec rejects, before anything exists, every config error the
// runtime can see in advance.
func validateSpec(s *specs.Spec) error {
	if err := spec.Validate(s); err != nil {
		return err
	}
	if err := validateJoinedNamespaces(s); err != nil {
		return err
	}
	caps, warnings, err := capabilities.Parse(s.Process.Capabilities)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		warn("%s", w)
	}
	noteDroppedAmbient(caps)
	if err := validateProcAttrs(s); err != nil {
		return err
	}
	if err := validateNetDevices(s); err != nil {
		return err
	}
	if err := validateIDMapMounts(s); err != nil {
		return err
	}
	if err := validateRootless(s); err != nil {
		return err
	}
	if err := refuseUnsupported(s); err != nil {
		return err
	}
	if s.Linux.Seccomp != nil {
		if err := seccomp.Validate(s.Linux.Seccomp); err != nil {
			return err
		}
	}
	if s.Linux.Resources != nil {
		if err := cgroups.Validate(s.Linux.Resources); err != nil {
			return err
		}
	}
	return nil
}

// noteDroppedAmbient logs, at debug level as runc 1.1 is silent about it,
// the ambient capabilities that cannot be raised.
func noteDroppedAmbient(caps *capabilities.Set) {
	if d := caps.DroppedAmbient(); d != "" {
		debugf("process.capabilities.ambient: ignoring %s: an ambient capability must also be permitted and inheritable", d)
	}
}
