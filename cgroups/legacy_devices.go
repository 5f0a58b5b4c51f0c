package cgroups

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setDevices writes the rules in order to devices.allow/devices.deny. The
// kernel keeps exceptions per exact (type, major, minor), so a rule does
// not punch a hole in an earlier broader one of the opposite verdict.
func (m *legacyManager) setDevices(r *specs.LinuxResources) error {
	return m.setIn(len(r.Devices) > 0, "devices", res+".devices", func(dir string) error {
		rules, err := normalizeDeviceRules(r.Devices)
		if err != nil {
			return err
		}
		for i, rule := range rules {
			file := "devices.deny"
			if rule.allow {
				file = "devices.allow"
			}
			for _, line := range rule.v1Lines() {
				if err := write(dir, file, line, fmt.Sprintf("%s.devices[%d]", res, i)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
