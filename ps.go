package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/libcontainer"
)

var psCommand = &cli.Command{
	Name:  "ps",
	Usage: "show the processes of a container",
	// Everything after the ID goes to ps(1), flags included; urfave/cli
	// stops parsing flags at the first argument.
	ArgsUsage: "<container-id> [ps options]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, -1); err != nil {
			return err
		}
		format := c.String("format")
		if format != "table" && format != "json" {
			return fmt.Errorf("--format: unknown format %q (want table or json)", format)
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First())
		if err != nil {
			return err
		}
		pids, err := ct.Processes()
		if err != nil {
			return err
		}
		if format == "json" {
			return json.NewEncoder(os.Stdout).Encode(pids)
		}
		psArgs := c.Args().Tail()
		if len(psArgs) == 0 {
			psArgs = []string{"-ef"}
		}
		// ps's own messages go to the user, not into the table to filter.
		cmd := exec.Command("ps", psArgs...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("ps %s: %w", strings.Join(psArgs, " "), err)
		}
		return printContainerProcesses(string(out), pids)
	},
}

// printContainerProcesses prints ps's header and the lines whose PID column
// names a process of the container.
func printContainerProcesses(out string, pids []int) error {
	lines := strings.Split(out, "\n")
	col := -1
	for i, title := range strings.Fields(lines[0]) {
		if title == "PID" {
			col = i
			break
		}
	}
	if col < 0 {
		return errors.New("ps: its output has no PID column")
	}
	inContainer := make(map[int]bool, len(pids))
	for _, pid := range pids {
		inContainer[pid] = true
	}
	fmt.Println(lines[0])
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if col >= len(fields) {
			return fmt.Errorf("ps: line %q has no PID column", line)
		}
		pid, err := strconv.Atoi(fields[col])
		if err != nil {
			return fmt.Errorf("ps: PID column of line %q: %w", line, err)
		}
		if inContainer[pid] {
			fmt.Println(line)
		}
	}
	return nil
}
