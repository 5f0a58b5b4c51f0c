package main

import (
	"github.com/urfave/cli/v2"
)

var resumeCommand = &cli.Command{
	Name:      "resume",
	Usage:     "resume every process of a paused container",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		ct, err := loadOnly(c)
		if err != nil {
			return err
		}
		return ct.Resume()
	},
}
