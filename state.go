package main

import (
	"encoding/json"
	"os"
	"os/user"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/libcontainer"
)

// containerState is what `state` prints and `list --format json` lists,
// with runc's keys: the OCI state plus rootfs, creation time and owner.
type containerState struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

func stateOf(ct *libcontainer.Container) containerState {
	st := ct.OCIState()
	s := ct.State()
	return containerState{
		OCIVersion: st.Version, ID: st.ID, Pid: st.Pid, Status: string(st.Status),
		Bundle: st.Bundle, Rootfs: s.Rootfs, Created: s.Created, Annotations: st.Annotations,
		Owner: ownerName(ct),
	}
}

// ownerName names the owner of the container's state directory, as runc
// does: the user who created it, or #UID when the user has no name.
func ownerName(ct *libcontainer.Container) string {
	uid, err := ct.Owner()
	if err != nil {
		return ""
	}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return "#" + strconv.Itoa(uid)
}

var stateCommand = &cli.Command{
	Name:      "state",
	Usage:     "print a container's OCI state as JSON",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		ct, err := loadOnly(c)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(stateOf(ct))
	},
}
