package main

import (
	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/libcontainer"
)

var startCommand = &cli.Command{
	Name:      "start",
	Usage:     "start the process of a created container",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, 1); err != nil {
			return err
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First())
		if err != nil {
			return err
		}
		return ct.Start()
	},
}
