package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/spec"
)

var specCommand = &cli.Command{
	Name:  "spec",
	Usage: "write a default config.json for a busybox-style bundle",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "bundle directory to write config.json in"},
		&cli.BoolFlag{Name: "rootless", Usage: "a config for a container run without root"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 0, 0); err != nil {
			return err
		}
		path := filepath.Join(c.String("bundle"), "config.json")
		data, err := json.MarshalIndent(spec.ForHost(c.Bool("rootless")), "", "\t")
		if err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s exists already: remove it first", path)
			}
			return err
		}
		if _, err := f.Write(append(data, '\n')); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	},
}
