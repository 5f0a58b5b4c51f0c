package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setNetwork writes the net_cls class and the net_prio priorities, two v1
// controllers that v2 has no files for.
func (m *legacyManager) setNetwork(r *specs.LinuxResources) error {
	n := r.Network
	if n == nil {
		return nil
	}
	if n.ClassID != nil {
		dir, err := m.need("net_cls", res+".network.classID")
		if err != nil {
			return err
		}
		if err := write(dir, "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10), res+".network.classID"); err != nil {
			return err
		}
	}
	if len(n.Priorities) > 0 {
		dir, err := m.need("net_prio", res+".network.priorities")
		if err != nil {
			return err
		}
		for i, p := range n.Priorities {
			line := p.Name + " " + strconv.FormatUint(uint64(p.Priority), 10)
			if err := write(dir, "net_prio.ifpriomap", line, fmt.Sprintf("%s.network.priorities[%d]", res, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
