package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/libcontainer"
)

// listEntry is one container in `list --format json`, with runc's keys.
type listEntry struct {
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

var listCommand = &cli.Command{
	Name:  "list",
	Usage: "list containers",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only IDs"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 0, 0); err != nil {
			return err
		}
		format := c.String("format")
		if format != "table" && format != "json" {
			return fmt.Errorf("--format: unknown format %q (want table or json)", format)
		}
		cts, err := libcontainer.List(c.String("root"))
		if err != nil {
			return err
		}
		entries := make([]listEntry, 0, len(cts))
		for _, ct := range cts {
			st := ct.OCIState()
			s := ct.State()
			entries = append(entries, listEntry{
				OCIVersion: st.Version, ID: st.ID, Pid: st.Pid, Status: string(st.Status),
				Bundle: st.Bundle, Rootfs: s.Rootfs, Created: s.Created, Annotations: st.Annotations, Owner: "root",
			})
		}
		if c.Bool("quiet") {
			for _, e := range entries {
				fmt.Println(e.ID)
			}
			return nil
		}
		if format == "json" {
			return json.NewEncoder(os.Stdout).Encode(entries)
		}
		w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
		fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
		for _, e := range entries {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", e.ID, e.Pid, e.Status, e.Bundle, e.Created.Format(time.RFC3339Nano), e.Owner)
		}
		return w.Flush()
	},
}
