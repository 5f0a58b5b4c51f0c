package capabilities

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// DropBounding drops from the calling thread's bounding set every capability
// the Set does not list, including those of a kernel newer than this package.
// Dropping needs CAP_SETPCAP, so the init calls it while still root; a
// capability already absent is not dropped again, so a Set that drops nothing
// needs no privilege.
func (s *Set) DropBounding() error {
	cur, err := boundingSet()
	if err != nil {
		return err
	}
	for n := range 64 {
		if cur&^s.bounding&(1<<n) == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0); err != nil {
			return fmt.Errorf("process.capabilities.bounding: drop %s: %w", name(n), err)
		}
	}
	return nil
}

// Apply sets the effective, permitted and inheritable sets of the calling
// thread, then replaces its ambient set. For a non-root process.user the init
// sets PR_SET_KEEPCAPS before changing uid and calls Apply after it: the uid
// change empties the effective and ambient sets, and Apply restores exactly
// the requested ones, so that the ambient set survives the final execve.
func (s *Set) Apply() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(s.effective), Permitted: uint32(s.permitted), Inheritable: uint32(s.inheritable)},
		{Effective: uint32(s.effective >> 32), Permitted: uint32(s.permitted >> 32), Inheritable: uint32(s.inheritable >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return s.capsetError(err)
	}
	// The ambient set is cleared first because it may hold capabilities the
	// runtime itself was started with.
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("process.capabilities.ambient: clear: %w", err)
	}
	for n := range 64 {
		if s.ambient&(1<<n) == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n), 0, 0); err != nil {
			return fmt.Errorf("process.capabilities.ambient: raise %s: %w", name(n), err)
		}
	}
	return nil
}

// capsetError explains a capset failure by the capset(2) rule the Set
// breaks: an EPERM alone does not tell which capability the runtime lacks.
func (s *Set) capsetError(err error) error {
	if !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("set effective, permitted and inheritable capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if gerr := unix.Capget(&hdr, &data[0]); gerr != nil {
		return fmt.Errorf("set effective, permitted and inheritable capabilities: %w", err)
	}
	permitted := uint64(data[0].Permitted) | uint64(data[1].Permitted)<<32
	inheritable := uint64(data[0].Inheritable) | uint64(data[1].Inheritable)<<32
	effective := uint64(data[0].Effective) | uint64(data[1].Effective)<<32
	if extra := s.permitted &^ permitted; extra != 0 {
		return fmt.Errorf("process.capabilities.permitted: %s not held by the runtime: %w", list(extra), err)
	}
	if effective&(1<<unix.CAP_SETPCAP) == 0 {
		if extra := s.inheritable &^ (inheritable | permitted); extra != 0 {
			return fmt.Errorf("process.capabilities.inheritable: %s not held by the runtime: %w", list(extra), err)
		}
	}
	if bounding, berr := boundingSet(); berr == nil {
		if extra := s.inheritable &^ (inheritable | bounding); extra != 0 {
			return fmt.Errorf("process.capabilities.inheritable: %s not in the bounding set: %w", list(extra), err)
		}
	}
	return fmt.Errorf("set effective, permitted and inheritable capabilities: %w", err)
}

// boundingSet reads the calling thread's bounding set.
func boundingSet() (uint64, error) {
	last, err := LastCap()
	if err != nil {
		return 0, err
	}
	var set uint64
	for n := 0; n <= last; n++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0)
		if err != nil {
			return 0, fmt.Errorf("read bounding set: %s: %w", name(n), err)
		}
		if in == 1 {
			set |= 1 << n
		}
	}
	return set, nil
}
