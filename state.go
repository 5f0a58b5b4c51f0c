package main

import (
	"encoding/json"
	"os"

	"github.com/urfave/cli/v2"
)

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
		return enc.Encode(ct.OCIState())
	},
}
