package libcontainer

// Runs in the runtime: linux.netDevices, host network interfaces moved
// into the container's network namespace.

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/sprout-runtime/sprout/spec"
)

// validIfName follows the kernel's dev_valid_name: at most 15 bytes, not
// "." or "..", no '/', ':' or white space. allowTemplate lets a "%d" stand
// for the number the kernel picks.
func validIfName(name string, allowTemplate bool) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%q is not an interface name", name)
	case len(name) >= unix.IFNAMSIZ:
		return fmt.Errorf("%q is longer than %d bytes", name, unix.IFNAMSIZ-1)
	case strings.ContainsAny(name, "/: \t\n\v\f\r"):
		return fmt.Errorf("%q holds '/', ':' or white space", name)
	}
	if n := strings.Count(name, "%"); n > 0 && (!allowTemplate || n > 1 || !strings.Contains(name, "%d")) {
		return fmt.Errorf("%q: '%%' only as one %%d template", name)
	}
	return nil
}

// validateNetDevices refuses what could not be moved as asked, before
// anything is created.
func validateNetDevices(s *specs.Spec) error {
	if s.Linux == nil || len(s.Linux.NetDevices) == 0 {
		return nil
	}
	ns, ok := spec.Namespaces(s)[specs.NetworkNamespace]
	if !ok {
		return errors.New("linux.netDevices: needs a network namespace: the container shares the host's")
	}
	if ns.Path != "" {
		var theirs, ours unix.Stat_t
		if unix.Stat(ns.Path, &theirs) == nil && unix.Stat("/proc/self/ns/net", &ours) == nil &&
			theirs.Dev == ours.Dev && theirs.Ino == ours.Ino {
			return errors.New("linux.netDevices: the container's network namespace is the host's")
		}
	}
	names := map[string]string{}
	for _, host := range slices.Sorted(maps.Keys(s.Linux.NetDevices)) {
		field := fmt.Sprintf("linux.netDevices[%q]", host)
		if err := validIfName(host, false); err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		name := netDeviceName(host, s.Linux.NetDevices[host])
		if err := validIfName(name, true); err != nil {
			return fmt.Errorf("%s.name: %w", field, err)
		}
		if other, dup := names[name]; dup && !strings.Contains(name, "%d") {
			return fmt.Errorf("%s.name: %q is also the name of %q", field, name, other)
		}
		names[name] = host
	}
	return nil
}

// netDeviceName is the name a device takes in the container: its own
// unless the config gives another.
func netDeviceName(host string, d specs.LinuxNetDevice) string {
	if d.Name != "" {
		return d.Name
	}
	return host
}

// moveNetDevices moves each device of linux.netDevices into the network
// namespace of the init pid, renamed, with its permanent global addresses
// and up, as runtime-spec 1.3 asks. Nothing moves them back: when the
// namespace goes, the kernel returns physical devices to the host's and
// destroys virtual ones, and the spec forbids the runtime to move them out
// before.
func moveNetDevices(pid int, devices map[string]specs.LinuxNetDevice) error {
	if len(devices) == 0 {
		return nil
	}
	nsFile, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return fmt.Errorf("linux.netDevices: container network namespace: %w", err)
	}
	defer nsFile.Close()
	inside, err := netlink.NewHandleAt(netns.NsHandle(nsFile.Fd()), unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("linux.netDevices: netlink in the container's network namespace: %w", err)
	}
	defer inside.Close()
	for _, host := range slices.Sorted(maps.Keys(devices)) {
		if err := moveNetDevice(host, netDeviceName(host, devices[host]), int(nsFile.Fd()), inside); err != nil {
			return fmt.Errorf("linux.netDevices[%q]: %w", host, err)
		}
	}
	return nil
}

func moveNetDevice(host, name string, nsFd int, inside *netlink.Handle) error {
	link, err := netlink.LinkByName(host)
	if err != nil {
		return fmt.Errorf("no such interface on the host: %w", err)
	}
	attrs := link.Attrs()
	all, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("addresses: %w", err)
	}
	var addrs []netlink.Addr
	for _, a := range all {
		if a.Flags&unix.IFA_F_PERMANENT != 0 && a.Scope == unix.RT_SCOPE_UNIVERSE {
			addrs = append(addrs, a)
		}
	}
	// One request moves and renames, so the host's name never has to be
	// free in the container's namespace (a %d template is the kernel's to
	// fill). netlink's LinkSetNsFd sends no name.
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(attrs.Index)
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(nsFd))))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("move into the container as %q: %w", name, err)
	}
	moved, err := findMoved(inside, name, attrs)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		a.Label = ""
		if err := inside.AddrAdd(moved, &a); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("address %s: %w", a.IPNet, err)
		}
	}
	if err := inside.LinkSetUp(moved); err != nil {
		return fmt.Errorf("set up: %w", err)
	}
	return nil
}

// findMoved finds the device in the container's namespace: by name, or,
// for a %d template, by the index and hardware address it kept.
func findMoved(inside *netlink.Handle, name string, was *netlink.LinkAttrs) (netlink.Link, error) {
	if !strings.Contains(name, "%d") {
		l, err := inside.LinkByName(name)
		if err != nil {
			return nil, fmt.Errorf("%q after the move: %w", name, err)
		}
		return l, nil
	}
	links, err := inside.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list the container's interfaces: %w", err)
	}
	for _, l := range links {
		a := l.Attrs()
		if a.Index == was.Index && a.HardwareAddr.String() == was.HardwareAddr.String() {
			return l, nil
		}
	}
	return nil, fmt.Errorf("%q: not found in the container after the move", name)
}
