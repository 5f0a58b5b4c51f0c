package libcontainer

// The ID mappings of a new user namespace, written by the runtime from the
// host's side. Root writes them directly. A user that is not root may
// write one mapping of its own uid (gid) directly, setgroups denied first
// as the kernel requires; any other mapping goes through newuidmap and
// newgidmap, which check it against /etc/subuid and /etc/subgid, as runc
// does.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (p *parent) writeIDMaps(pid int) error {
	if err := writeIDMap(pid, "uid_map", "linux.uidMappings", p.spec.Linux.UIDMappings, os.Geteuid()); err != nil {
		return err
	}
	return writeIDMap(pid, "gid_map", "linux.gidMappings", p.spec.Linux.GIDMappings, os.Getegid())
}

func writeIDMap(pid int, file, field string, maps []specs.LinuxIDMapping, own int) error {
	if len(maps) == 0 {
		return nil
	}
	var sb strings.Builder
	for _, m := range maps {
		fmt.Fprintf(&sb, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
	}
	if os.Geteuid() != 0 && !isOwnIDOnly(maps, own) {
		return writeIDMapHelper(pid, file, field, maps)
	}
	if os.Geteuid() != 0 && file == "gid_map" {
		path := fmt.Sprintf("/proc/%d/setgroups", pid)
		if err := os.WriteFile(path, []byte("deny"), 0); err != nil {
			return fmt.Errorf("%s: write %s: %w", field, path, err)
		}
	}
	path := fmt.Sprintf("/proc/%d/%s", pid, file)
	if err := os.WriteFile(path, []byte(sb.String()), 0); err != nil {
		return fmt.Errorf("%s: write %s: %w", field, path, err)
	}
	return nil
}

// isOwnIDOnly tells whether the mappings are the one a user may write
// itself: its own ID, once.
func isOwnIDOnly(maps []specs.LinuxIDMapping, own int) bool {
	return len(maps) == 1 && maps[0].Size == 1 && int64(maps[0].HostID) == int64(own)
}

// writeIDMapHelper runs newuidmap or newgidmap: setuid helpers that write
// the mappings /etc/subuid or /etc/subgid grant the user.
func writeIDMapHelper(pid int, file, field string, maps []specs.LinuxIDMapping) error {
	helper := map[string]string{"uid_map": "newuidmap", "gid_map": "newgidmap"}[file]
	path, err := exec.LookPath(helper)
	if err != nil {
		return fmt.Errorf("%s: mappings other than the user's own ID need %s (Debian package uidmap): %w", field, helper, err)
	}
	args := []string{strconv.Itoa(pid)}
	for _, m := range maps {
		args = append(args, strconv.FormatUint(uint64(m.ContainerID), 10), strconv.FormatUint(uint64(m.HostID), 10), strconv.FormatUint(uint64(m.Size), 10))
	}
	var out bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		var ee *exec.ExitError
		if errors.As(err, &ee) && msg != "" {
			return fmt.Errorf("%s: %s refused the mappings: %s", field, helper, msg)
		}
		return fmt.Errorf("%s: %s: %w %s", field, helper, err, msg)
	}
	return nil
}
