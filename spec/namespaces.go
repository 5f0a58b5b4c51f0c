package spec

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// NamespaceKind is what the runtime needs to know of one namespace type.
type NamespaceKind struct {
	Type specs.LinuxNamespaceType
	// CloneFlag creates the namespace, and tells setns which type a path
	// must name.
	CloneFlag uint32
	// ProcName is its file under /proc/<pid>/ns.
	ProcName string
}

// NamespaceKinds is the one list of the namespace types sprout supports.
// Exec joins a running container's namespaces in this order: the user
// namespace first, which gives the rights to join the others, and the
// mount namespace last.
var NamespaceKinds = []NamespaceKind{
	{specs.UserNamespace, unix.CLONE_NEWUSER, "user"},
	{specs.IPCNamespace, unix.CLONE_NEWIPC, "ipc"},
	{specs.UTSNamespace, unix.CLONE_NEWUTS, "uts"},
	{specs.NetworkNamespace, unix.CLONE_NEWNET, "net"},
	{specs.PIDNamespace, unix.CLONE_NEWPID, "pid"},
	{specs.CgroupNamespace, unix.CLONE_NEWCGROUP, "cgroup"},
	{specs.TimeNamespace, unix.CLONE_NEWTIME, "time"},
	{specs.MountNamespace, unix.CLONE_NEWNS, "mnt"},
}

// NamespaceKindOf finds t in NamespaceKinds.
func NamespaceKindOf(t specs.LinuxNamespaceType) (NamespaceKind, bool) {
	for _, k := range NamespaceKinds {
		if k.Type == t {
			return k, true
		}
	}
	return NamespaceKind{}, false
}
