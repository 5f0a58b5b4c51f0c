package systemd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostUID(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) string {
		p := filepath.Join(dir, "uid_map")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Rootless Podman's namespace: 0 is the user, 1.. the subordinate ids.
	podman := write("         0       1000          1\n         1     100000      65536\n")
	for _, tc := range []struct{ uid, want int }{{0, 1000}, {1, 100000}, {65536, 165535}} {
		if got, err := hostUID(tc.uid, podman); err != nil || got != tc.want {
			t.Errorf("hostUID(%d) = %d, %v; want %d", tc.uid, got, err, tc.want)
		}
	}
	if _, err := hostUID(65537, podman); err == nil || !strings.Contains(err.Error(), "does not map uid 65537") {
		t.Errorf("unmapped uid: error %v", err)
	}
	if got, err := hostUID(1000, write("0 0 4294967295\n")); err != nil || got != 1000 {
		t.Errorf("host namespace: %d, %v", got, err)
	}
	if _, err := hostUID(0, write("0 x 1\n")); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("malformed map: error %v", err)
	}
}

func TestUserBusAddress(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/7/bus")
	t.Setenv("XDG_RUNTIME_DIR", dir)
	if got, err := userBusAddress(); err != nil || got != "unix:path=/run/user/7/bus" {
		t.Errorf("from DBUS_SESSION_BUS_ADDRESS: %q, %v", got, err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if _, err := userBusAddress(); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "bus")+" is missing") {
		t.Errorf("no socket: error %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bus"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := userBusAddress(); err != nil || got != "unix:path="+filepath.Join(dir, "bus") {
		t.Errorf("from XDG_RUNTIME_DIR: %q, %v", got, err)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	if _, err := userBusAddress(); err == nil || !strings.Contains(err.Error(), "neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR") {
		t.Errorf("nothing set: error %v", err)
	}
}

func TestConnectUserUnreachable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "bus")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+sock)
	_, err := connectUser()
	if err == nil || !strings.Contains(err.Error(), "systemd --user") || !strings.Contains(err.Error(), sock) {
		t.Errorf("error %v, want one naming systemd --user and %s", err, sock)
	}
}
