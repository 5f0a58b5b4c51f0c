package cgroups

import (
	"fmt"
	"path/filepath"
	"time"
)

const freezeTimeout = 10 * time.Second

// Freeze writes FROZEN until the state reads FROZEN. A task that is being
// frozen while in some kernel paths (vfork, some waits) can keep the cgroup
// in FREEZING; thawing and freezing again gets it unstuck.
func (m *legacyManager) Freeze() error {
	dir, err := m.need("freezer", "freezer")
	if err != nil {
		return err
	}
	deadline := time.Now().Add(freezeTimeout)
	for i := 1; ; i++ {
		if err := writeFile(dir, "freezer.state", "FROZEN"); err != nil {
			return err
		}
		state, err := readFile(dir, "freezer.state")
		if err != nil {
			return err
		}
		switch state {
		case "FROZEN":
			return nil
		case "FREEZING":
		default:
			return fmt.Errorf("%s reads %q after writing FROZEN", filepath.Join(dir, "freezer.state"), state)
		}
		if time.Now().After(deadline) {
			_ = writeFile(dir, "freezer.state", "THAWED")
			return fmt.Errorf("%s: the cgroup did not freeze within %s", dir, freezeTimeout)
		}
		if i%100 == 0 {
			_ = writeFile(dir, "freezer.state", "THAWED")
		}
		time.Sleep(time.Millisecond)
	}
}

func (m *legacyManager) Thaw() error {
	dir, err := m.need("freezer", "freezer")
	if err != nil {
		return err
	}
	return writeFile(dir, "freezer.state", "THAWED")
}

func (m *legacyManager) Paused() (bool, error) {
	dir, err := m.need("freezer", "freezer")
	if err != nil {
		return false, err
	}
	state, err := readFile(dir, "freezer.state")
	if err != nil {
		return false, err
	}
	return state == "FROZEN", nil
}
