package main

import (
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/libcontainer"
)

// criuFlags are the criu options checkpoint and restore share, as runc
// names them.
func criuFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "image-path", Usage: "directory of the criu image files (default: ./checkpoint)"},
		&cli.StringFlag{Name: "work-path", Usage: "directory for criu's work files and logs (default: the image path)"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "allow open tcp connections"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow external unix sockets"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow shell jobs"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "use userfaultfd to lazily restore memory pages"},
		&cli.BoolFlag{Name: "file-locks", Usage: "handle file locks"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "cgroups mode: soft (default), full, strict or ignore"},
		&cli.StringSliceFlag{Name: "empty-ns", Usage: "create a namespace, but don't restore its properties"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "enable auto deduplication of memory images"},
	}
}

func criuOptions(c *cli.Context) (libcontainer.CriuOptions, error) {
	image := c.String("image-path")
	if image == "" {
		wd, err := os.Getwd()
		if err != nil {
			return libcontainer.CriuOptions{}, err
		}
		image = filepath.Join(wd, "checkpoint")
	}
	return libcontainer.CriuOptions{
		Criu: c.String("criu"), ImagePath: image, WorkPath: c.String("work-path"),
		TCPEstablished: c.Bool("tcp-established"), ExtUnixSk: c.Bool("ext-unix-sk"),
		ShellJob: c.Bool("shell-job"), LazyPages: c.Bool("lazy-pages"), FileLocks: c.Bool("file-locks"),
		ManageCgroupsMode: c.String("manage-cgroups-mode"), EmptyNs: c.StringSlice("empty-ns"),
		AutoDedup: c.Bool("auto-dedup"),
	}, nil
}

var checkpointCommand = &cli.Command{
	Name:      "checkpoint",
	Usage:     "checkpoint a running container with criu",
	ArgsUsage: "<container-id>",
	Flags: append(criuFlags(),
		&cli.StringFlag{Name: "parent-path", Usage: "path of a pre-dump's images, relative to the image path"},
		&cli.BoolFlag{Name: "leave-running", Usage: "leave the process running after checkpointing"},
		&cli.IntFlag{Name: "status-fd", Value: -1, Usage: "criu writes \\0 to this fd once lazy-pages is ready"},
		&cli.StringFlag{Name: "page-server", Usage: "ADDRESS:PORT of the page server"},
		&cli.BoolFlag{Name: "pre-dump", Usage: "dump the container's memory only and leave it running"},
	),
	Action: func(c *cli.Context) error {
		ct, err := loadOnly(c)
		if err != nil {
			return err
		}
		o, err := criuOptions(c)
		if err != nil {
			return err
		}
		return ct.Checkpoint(libcontainer.CheckpointOptions{
			CriuOptions: o, ParentPath: c.String("parent-path"), LeaveRunning: c.Bool("leave-running"),
			StatusFd: c.Int("status-fd"), PageServer: c.String("page-server"), PreDump: c.Bool("pre-dump"),
		})
	},
}
