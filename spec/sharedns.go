package spec

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SharedNamespaces returns the namespace types the config leaves the
// container sharing with the runtime: those it does not list. A namespace
// joined by path may be the runtime's own too; only the caller can tell,
// by comparing inodes (see ValidateSharedNamespaces).
func SharedNamespaces(s *specs.Spec) map[specs.LinuxNamespaceType]bool {
	shared := map[specs.LinuxNamespaceType]bool{}
	for _, k := range NamespaceKinds {
		shared[k.Type] = true
	}
	if s.Linux != nil {
		for _, n := range s.Linux.Namespaces {
			delete(shared, n.Type)
		}
	}
	return shared
}

// ValidateSharedNamespaces refuses every setting that would change a
// namespace the container shares with the runtime (shared[type]): it
// would change the host's.
func ValidateSharedNamespaces(s *specs.Spec, shared map[specs.LinuxNamespaceType]bool) error {
	if shared[specs.UTSNamespace] {
		if s.Hostname != "" {
			return errors.New("hostname: needs a new uts namespace")
		}
		if s.Domainname != "" {
			return errors.New("domainname: needs a new uts namespace")
		}
	}
	keys := make([]string, 0, len(s.Linux.Sysctl))
	for k := range s.Linux.Sysctl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t, err := sysctlNamespace(k)
		if err != nil {
			return fmt.Errorf("linux.sysctl %q: %w", k, err)
		}
		if shared[t] {
			return fmt.Errorf("linux.sysctl %q: not allowed in the host's %s namespace", k, t)
		}
	}
	if shared[specs.MountNamespace] {
		return validateNoMountNamespace(s)
	}
	return nil
}

// validateNoMountNamespace refuses what the init would mount or create in
// the runtime's own mount namespace. runc skips the rootfs set-up without a
// mount namespace of the container's own; taking the config as written and
// doing nothing of it would surprise more than an error.
func validateNoMountNamespace(s *specs.Spec) error {
	const why = "needs a private mount namespace"
	if len(s.Mounts) > 0 {
		return fmt.Errorf("mounts: %s", why)
	}
	if len(s.Linux.MaskedPaths) > 0 {
		return errors.New("linux.maskedPaths: unable to restrict sys entries without a private MNT namespace")
	}
	if len(s.Linux.ReadonlyPaths) > 0 {
		return errors.New("linux.readonlyPaths: unable to restrict sys entries without a private MNT namespace")
	}
	if s.Root.Readonly {
		return fmt.Errorf("root.readonly: %s", why)
	}
	if s.Linux.RootfsPropagation != "" {
		return fmt.Errorf("linux.rootfsPropagation: %s", why)
	}
	if len(s.Linux.Devices) > 0 {
		return fmt.Errorf("linux.devices: %s", why)
	}
	if filepath.Clean(s.Root.Path) != "/" {
		return fmt.Errorf("root.path %q: must be / without a private mount namespace", s.Root.Path)
	}
	return nil
}

var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// sysctlNamespace tells which namespace isolates a sysctl; anything else
// would change the host whatever the namespaces.
func sysctlNamespace(key string) (specs.LinuxNamespaceType, error) {
	// The init writes /proc/sys/ + the key with '.' made '/': a key
	// must name one file below its namespace's directory.
	k := strings.ReplaceAll(key, "/", ".")
	if k == "" || strings.Contains(k, "..") || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") {
		return "", errors.New("not a sysctl name")
	}
	switch {
	case ipcSysctls[k] || strings.HasPrefix(k, "fs.mqueue."):
		return specs.IPCNamespace, nil
	case strings.HasPrefix(k, "net."):
		return specs.NetworkNamespace, nil
	case k == "kernel.domainname":
		return specs.UTSNamespace, nil
	case k == "kernel.hostname":
		// runc's rule: the hostname field says it, a sysctl beside it
		// could only disagree.
		return "", errors.New(`is not allowed as it conflicts with the OCI "hostname" field`)
	}
	return "", errors.New("is not in a separate kernel namespace")
}
