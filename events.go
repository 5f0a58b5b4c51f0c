package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/libcontainer"
)

// event is one line of `events`, in runc's schema.
type event struct {
	Type string         `json:"type"`
	ID   string         `json:"id"`
	Data *cgroups.Stats `json:"data,omitempty"`
}

var eventsCommand = &cli.Command{
	Name:      "events",
	Usage:     "print a container's OOM kills and resource statistics as JSON lines",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "time between statistics"},
		&cli.BoolFlag{Name: "stats", Usage: "print the statistics once and exit"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, 1); err != nil {
			return err
		}
		interval := c.Duration("interval")
		if interval <= 0 {
			return fmt.Errorf("--interval: %s is not a positive duration", interval)
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First())
		if err != nil {
			return err
		}
		if ct.Status() == libcontainer.Stopped {
			return fmt.Errorf("container %s: %w", ct.ID(), libcontainer.ErrNotRunning)
		}
		enc := json.NewEncoder(os.Stdout)
		if c.Bool("stats") {
			s, err := ct.Stats()
			if err != nil {
				return err
			}
			return enc.Encode(event{Type: "stats", ID: ct.ID(), Data: s})
		}
		stop := make(chan struct{})
		defer close(stop)
		// The OOM counter's starting point is read here, before the first
		// statistics: a reader that has seen those knows kills from then on
		// are reported.
		oom, err := ct.NotifyOOM(stop)
		if err != nil {
			return err
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case _, ok := <-oom:
				if !ok {
					return nil
				}
				if err := enc.Encode(event{Type: "oom", ID: ct.ID()}); err != nil {
					return err
				}
			case <-tick.C:
				s, err := ct.Stats()
				if errors.Is(err, libcontainer.ErrNotExist) {
					return nil
				}
				if err != nil {
					// A container that is stopping loses its cgroup files
					// one by one; the OOM watch ends the loop then.
					logError(err)
					continue
				}
				if err := enc.Encode(event{Type: "stats", ID: ct.ID(), Data: s}); err != nil {
					return err
				}
			}
		}
	},
}
