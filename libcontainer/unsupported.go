package libcontainer

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/spec"
)

// refuseUnsupported refuses the fields sprout cannot honour, so that
// nothing a config asks for is dropped unseen.
func refuseUnsupported(s *specs.Spec) error {
	if s.Linux == nil {
		return nil
	}
	if s.Linux.IntelRdt != nil {
		return errors.New("linux.intelRdt: Intel RDT (resctrl) is not supported by sprout")
	}
	// With SELinux off runc and crun mount without the label (there is no
	// context to give), so a config made for either still runs; with it on,
	// dropping the label would leave mounts unconfined.
	if s.Linux.MountLabel != "" && spec.LSMEnabled("selinux") {
		return errors.New("linux.mountLabel: SELinux mount labels are not supported by sprout")
	}
	return nil
}
