package main

import (
	"github.com/urfave/cli/v2"
)

var pauseCommand = &cli.Command{
	Name:      "pause",
	Usage:     "suspend every process of a container",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		ct, err := loadOnly(c)
		if err != nil {
			return err
		}
		return ct.Pause()
	},
}
