package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/libcontainer"
)

var deleteCommand = &cli.Command{
	Name:      "delete",
	Usage:     "delete a stopped container (with --force, any container)",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill the container first if it is still running"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, 1); err != nil {
			return err
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First())
		if err != nil {
			// Engines delete --force again after a delete; runc says yes.
			if c.Bool("force") && errors.Is(err, libcontainer.ErrNotExist) {
				return nil
			}
			return err
		}
		err = ct.Delete(c.Bool("force"))
		if c.Bool("force") && errors.Is(err, libcontainer.ErrNotExist) {
			return nil
		}
		return err
	},
}
