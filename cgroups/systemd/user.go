package systemd

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// A rootless container's scope belongs to the user's own manager (systemd
// --user), reached over the user's session bus as runc does: the system
// manager would not take a unit from a user that is not root, and the
// user's manager owns the delegated cgroup subtree the user may write.

// userBusAddress is the user's session bus: DBUS_SESSION_BUS_ADDRESS, or
// the socket at $XDG_RUNTIME_DIR/bus that dbus-user-session makes.
func userBusAddress() (string, error) {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		return addr, nil
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		return "", errors.New("neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set")
	}
	sock := filepath.Join(dir, "bus")
	if _, err := os.Stat(sock); err != nil {
		return "", fmt.Errorf("DBUS_SESSION_BUS_ADDRESS is not set and %s is missing: %w", sock, err)
	}
	return "unix:path=" + dbus.EscapeBusAddressValue(sock), nil
}

// connectUser opens the connection to the user's manager. It
// authenticates as the user's uid on the host: the bus daemon checks the
// claim against the socket's peer credentials, which it sees in the
// host's user namespace, also when this runtime is root in the user
// namespace of rootless Podman.
func connectUser() (*sd.Conn, error) {
	addr, err := userBusAddress()
	if err == nil {
		var uid int
		if uid, err = hostUID(os.Getuid(), "/proc/self/uid_map"); err == nil {
			var c *sd.Conn
			if c, err = sd.NewConnection(func() (*dbus.Conn, error) { return dialUser(addr, uid) }); err == nil {
				return c, nil
			}
		}
	}
	return nil, fmt.Errorf("--systemd-cgroup: rootless, so the user's systemd manager (systemd --user) is needed over the user's D-Bus session bus (which dbus-user-session provides), and it cannot be reached: %w", err)
}

func dialUser(addr string, uid int) (*dbus.Conn, error) {
	conn, err := dbus.Dial(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(uid))}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("authenticate on %s as uid %d: %w", addr, uid, err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("hello on %s: %w", addr, err)
	}
	return conn, nil
}

// hostUID maps uid through the uid_map at mapPath to the uid it is in the
// parent user namespace (the host's, for the one level of rootless
// Podman's namespace).
func hostUID(uid int, mapPath string) (int, error) {
	f, err := os.Open(mapPath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var inside, outside, length int64
		if n, _ := fmt.Sscan(sc.Text(), &inside, &outside, &length); n != 3 {
			return 0, fmt.Errorf("%s: malformed line %q", mapPath, sc.Text())
		}
		if int64(uid) >= inside && int64(uid)-inside < length {
			return int(outside + int64(uid) - inside), nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("%s: %w", mapPath, err)
	}
	return 0, fmt.Errorf("%s does not map uid %d", mapPath, uid)
}

// managerCgroup is the cgroup of the user's manager, such as
// "/user.slice/user-1000.slice/user@1000.service": its slices and scopes
// live below it.
func (b *bus) managerCgroup() (string, error) {
	s, err := b.managerProperty("ControlGroup")
	if err != nil {
		return "", err
	}
	cg := strings.Trim(s, "\"")
	if !path.IsAbs(cg) || path.Clean(cg) != cg {
		return "", fmt.Errorf("systemd user manager's ControlGroup %s is not a cgroup path", s)
	}
	return cg, nil
}
