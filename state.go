package main

import (
	"encoding/json"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/libcontainer"
)

var stateCommand = &cli.Command{
	Name:      "state",
	Usage:     "print a container's OCI state as JSON",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, 1); err != nil {
			return err
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First())
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ct.OCIState())
	},
}
