package libcontainer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Search permission on a key for its owner and for everyone else
// (keyctl(2), KEY_USR_SEARCH and KEY_OTH_SEARCH).
const (
	keyUsrSearch = 0x00080000
	keyOthSearch = 0x00000008
)

// joinSessionKeyring gives the init a session keyring of its own (runs in
// the init, before exec): the host's keys are then out of reach. It is
// named as runc names it (the kernel refuses to make keyrings whose name
// starts with '.', and an ID may), and made searchable as runc makes it:
// by its owner, or with a user namespace by anyone, since the mapped IDs
// the process ends up with are not the keyring's owner.
func joinSessionKeyring(id string, userNs bool) error {
	ring, err := unix.KeyctlJoinSessionKeyring("_ses." + id)
	if errors.Is(err, unix.ENOSYS) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("join session keyring: %w", err)
	}
	desc, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, ring)
	if err != nil {
		return fmt.Errorf("session keyring: describe: %w", err)
	}
	perm, err := keyPerm(desc)
	if err != nil {
		return fmt.Errorf("session keyring: %w", err)
	}
	add := uint32(keyUsrSearch)
	if userNs {
		add = keyOthSearch
	}
	if err := unix.KeyctlSetperm(ring, perm|add); err != nil {
		return fmt.Errorf("session keyring: set permissions: %w", err)
	}
	return nil
}

// keyPerm reads the permission mask of a KEYCTL_DESCRIBE answer,
// "type;uid;gid;perm;description" with perm in hex.
func keyPerm(desc string) (uint32, error) {
	f := strings.SplitN(desc, ";", 5)
	if len(f) < 5 {
		return 0, fmt.Errorf("key description %q: want type;uid;gid;perm;description", desc)
	}
	p, err := strconv.ParseUint(f[3], 16, 32)
	if err != nil {
		return 0, fmt.Errorf("key description %q: permissions: %w", desc, err)
	}
	return uint32(p), nil
}
