package systemd

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/cgroups"
)

// deviceAllowEntry is one element of DeviceAllow, D-Bus signature (ss).
type deviceAllowEntry struct {
	Path  string
	Perms string
}

// deviceProperties expresses the device rules with DevicePolicy and
// DeviceAllow where systemd can say exactly what they allow: an allow-list
// whose every entry names a device node, a /proc/devices group or all
// devices of a type. Otherwise, on v2, systemd is told to allow every
// device (DevicePolicy=auto without entries) and the device program that
// the cgroup files step attaches, which stacks with systemd's, enforces the
// rules alone; runc instead lets systemd deny everything, or drops the
// entries it cannot express, which denies devices the config allows.
func deviceProperties(rules []specs.LinuxDeviceCgroup, h host) ([]sd.Property, error) {
	allow, allowAll, ok, err := cgroups.DeviceAllowList(rules)
	if err != nil {
		return nil, err
	}
	open := []sd.Property{prop("DevicePolicy", "auto"), prop("DeviceAllow", []deviceAllowEntry{})}
	if allowAll {
		return open, nil
	}
	// On v1 there is one device list per cgroup, which systemd rewrites
	// from its properties (daemon-reload): "allow all" there would undo the
	// rules, so systemd is told to deny all instead, as runc does, and the
	// devices.allow lines written after add what the rules allow.
	if h.v1 {
		open = []sd.Property{prop("DevicePolicy", "strict"), prop("DeviceAllow", []deviceAllowEntry{})}
	}
	if !ok {
		return open, nil
	}
	entries := make([]deviceAllowEntry, 0, len(allow))
	for _, a := range allow {
		kind := map[byte]string{'c': "char", 'b': "block"}[a.Type]
		var path string
		switch {
		case a.Major == -1 && a.Minor == -1:
			path = kind + "-*"
		case a.Major == -1:
			return open, nil
		case a.Minor == -1:
			group, err := h.deviceGroup(a.Type, a.Major)
			if err != nil {
				return nil, err
			}
			if group == "" {
				return open, nil
			}
			path = group
		default:
			// systemd resolves the path when it applies the rule, and
			// drops it when there is no such node.
			path = fmt.Sprintf("/dev/%s/%d:%d", kind, a.Major, a.Minor)
			if !h.exists(path) {
				return open, nil
			}
		}
		entries = append(entries, deviceAllowEntry{Path: path, Perms: a.Access})
	}
	// The empty list first resets what an earlier Set allowed.
	return []sd.Property{prop("DevicePolicy", "strict"), prop("DeviceAllow", []deviceAllowEntry{}), prop("DeviceAllow", entries)}, nil
}

// procDeviceGroup finds the /proc/devices group of a major number as
// systemd names it in DeviceAllow: "char-NAME" or "block-NAME".
func procDeviceGroup(typ byte, major int64) (string, error) {
	f, err := os.Open("/proc/devices")
	if err != nil {
		return "", err
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "Character devices:":
			section = "char"
			continue
		case "Block devices:":
			section = "block"
			continue
		}
		num, name, found := strings.Cut(line, " ")
		if !found || section != map[byte]string{'c': "char", 'b': "block"}[typ] {
			continue
		}
		if n, err := strconv.ParseInt(num, 10, 64); err == nil && n == major {
			return section + "-" + strings.TrimSpace(name), nil
		}
	}
	return "", sc.Err()
}
