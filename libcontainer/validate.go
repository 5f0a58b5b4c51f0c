package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/capabilities"
	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/seccomp"
	"github.com/sprout-runtime/sprout/spec"
)

// validateSpec rejects, before anything exists, every config error the
// runtime can see in advance.
func validateSpec(s *specs.Spec) error {
	if err := spec.Validate(s); err != nil {
		return err
	}
	if err := validateJoinedNamespaces(s); err != nil {
		return err
	}
	caps, warnings, err := capabilities.Parse(s.Process.Capabilities)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		warn("%s", w)
	}
	noteDroppedAmbient(caps)
	if err := validateProcAttrs(s); err != nil {
		return err
	}
	if err := validateNetDevices(s); err != nil {
		return err
	}
	if err := validateIDMapMounts(s); err != nil {
		return err
	}
	if err := validateRootless(s); err != nil {
		return err
	}
	if err := refuseUnsupported(s); err != nil {
		return err
	}
	if s.Linux.Seccomp != nil {
		if err := seccomp.Validate(s.Linux.Seccomp); err != nil {
			return err
		}
	}
	if s.Linux.Resources != nil {
		if err := cgroups.Validate(s.Linux.Resources); err != nil {
			return err
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// denyAllDevices starts every container's device rules: what the config
// and the defaults do not allow is denied, as in runc, whether or not the
// config has linux.resources at all.
var denyAllDevices = specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}

// defaultDeviceRules are the devices every container may use whatever its
// config says, runc's list: the nodes the runtime itself creates in /dev,
// the pty devices, tun, and mknod of any node (opening it is still denied).
// The host's console (5:1) is not among them: a terminal's /dev/console is
// its pty.
var defaultDeviceRules = []specs.LinuxDeviceCgroup{
	{Allow: true, Type: "c", Access: "m"},
	{Allow: true, Type: "b", Access: "m"},
	{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(3)), Access: "rwm"},
	{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(5)), Access: "rwm"},
	{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(7)), Access: "rwm"},
	{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(8)), Access: "rwm"},
	{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(9)), Access: "rwm"},
	{Allow: true, Type: "c", Major: ptr(int64(5)), Minor: ptr(int64(0)), Access: "rwm"},
	{Allow: true, Type: "c", Major: ptr(int64(5)), Minor: ptr(int64(2)), Access: "rwm"},
	{Allow: true, Type: "c", Major: ptr(int64(136)), Access: "rwm"},
	{Allow: true, Type: "c", Major: ptr(int64(10)), Minor: ptr(int64(200)), Access: "rwm"},
}

// withDefaultDevices returns the container's resources with the device
// rules completed as runc does: deny everything, then the config's rules in
// their order, then the defaults. The nodes of linux.devices get no rule of
// their own: the config allows them in linux.resources.devices, or they are
// created but cannot be opened.
func withDefaultDevices(s *specs.Spec) *specs.LinuxResources {
	var r specs.LinuxResources
	if s.Linux.Resources != nil {
		r = *s.Linux.Resources
	}
	rules := make([]specs.LinuxDeviceCgroup, 0, 1+len(r.Devices)+len(defaultDeviceRules))
	rules = append(rules, denyAllDevices)
	rules = append(rules, r.Devices...)
	rules = append(rules, defaultDeviceRules...)
	r.Devices = rules
	return &r
}

// noteDroppedAmbient logs, at debug level as runc 1.1 is silent about it,
// the ambient capabilities that cannot be raised.
func noteDroppedAmbient(caps *capabilities.Set) {
	if d := caps.DroppedAmbient(); d != "" {
		debugf("process.capabilities.ambient: ignoring %s: an ambient capability must also be permitted and inheritable", d)
	}
}
