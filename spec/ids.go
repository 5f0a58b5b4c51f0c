package spec

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// MaxUserID is the highest uid or gid a process may run as, as in runc:
// beyond it some 32-bit interfaces see a negative ID, and 4294967295 is
// (uid_t)-1, which setresuid and chown read as "leave unchanged", so the
// process would keep the runtime's root.
const MaxUserID = 1<<31 - 1

// noID is (uid_t)-1: the kernel takes it as "no ID" everywhere.
const noID = 1<<32 - 1

func checkUserID(field string, id uint32) error {
	if id > MaxUserID {
		return fmt.Errorf("%s: %d is out of range: uids and gids must be in range 0-%d", field, id, MaxUserID)
	}
	return nil
}

// validateUser checks the IDs the process runs as.
func validateUser(u specs.User) error {
	if err := checkUserID("process.user.uid", u.UID); err != nil {
		return err
	}
	if err := checkUserID("process.user.gid", u.GID); err != nil {
		return err
	}
	for i, g := range u.AdditionalGids {
		if err := checkUserID(fmt.Sprintf("process.user.additionalGids[%d]", i), g); err != nil {
			return err
		}
	}
	return nil
}

// validateIDMappings checks ranges the kernel would take as written: no
// empty range, and no range that reaches (uid_t)-1 or wraps around.
func validateIDMappings(field string, maps []specs.LinuxIDMapping) error {
	for i, m := range maps {
		if m.Size == 0 {
			return fmt.Errorf("%s[%d].size: must be at least 1", field, i)
		}
		if uint64(m.ContainerID)+uint64(m.Size) > noID {
			return fmt.Errorf("%s[%d]: containerID %d + size %d goes past the highest ID %d", field, i, m.ContainerID, m.Size, noID-1)
		}
		if uint64(m.HostID)+uint64(m.Size) > noID {
			return fmt.Errorf("%s[%d]: hostID %d + size %d goes past the highest ID %d", field, i, m.HostID, m.Size, noID-1)
		}
		// The kernel refuses the whole map (EINVAL on uid_map, long after
		// the config was read) when two lines share an ID on either side.
		for j, o := range maps[:i] {
			if rangesOverlap(m.ContainerID, m.Size, o.ContainerID, o.Size) {
				return fmt.Errorf("%s[%d]: containerID %d-%d overlaps %s[%d]'s %d-%d", field, i,
					m.ContainerID, uint64(m.ContainerID)+uint64(m.Size)-1, field, j, o.ContainerID, uint64(o.ContainerID)+uint64(o.Size)-1)
			}
			if rangesOverlap(m.HostID, m.Size, o.HostID, o.Size) {
				return fmt.Errorf("%s[%d]: hostID %d-%d overlaps %s[%d]'s %d-%d", field, i,
					m.HostID, uint64(m.HostID)+uint64(m.Size)-1, field, j, o.HostID, uint64(o.HostID)+uint64(o.Size)-1)
			}
		}
	}
	return nil
}

// rangesOverlap tells whether [a, a+an) and [b, b+bn) share an ID.
func rangesOverlap(a, an, b, bn uint32) bool {
	return uint64(a) < uint64(b)+uint64(bn) && uint64(b) < uint64(a)+uint64(an)
}

// validateDeviceOwner refuses (uid_t)-1, which chown reads as "leave
// unchanged": the node would keep the runtime's owner.
func validateDeviceOwner(d specs.LinuxDevice) error {
	if d.UID != nil && *d.UID == noID {
		return fmt.Errorf("uid %d is (uid_t)-1, not an ID", *d.UID)
	}
	if d.GID != nil && *d.GID == noID {
		return fmt.Errorf("gid %d is (gid_t)-1, not an ID", *d.GID)
	}
	return nil
}

// validateMountIDs checks the uid= and gid= data options (tmpfs, devpts,
// ...) and the ID mappings of an idmapped mount.
func validateMountIDs(m specs.Mount) error {
	for _, o := range m.Options {
		key, val, ok := strings.Cut(o, "=")
		if !ok || (key != "uid" && key != "gid") {
			continue
		}
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil || n == noID {
			return fmt.Errorf("option %q: %s must be a number in 0-%d", o, key, noID-1)
		}
	}
	if err := validateIDMappings("uidMappings", m.UIDMappings); err != nil {
		return err
	}
	return validateIDMappings("gidMappings", m.GIDMappings)
}
