package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/spec"
)

// cloneFlag is the CLONE_NEW* flag of namespace type t, 0 for a type
// spec.Validate refuses.
func cloneFlag(t specs.LinuxNamespaceType) uint32 {
	k, _ := spec.NamespaceKindOf(t)
	return k.CloneFlag
}
