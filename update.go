package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/sprout-runtime/sprout/libcontainer"
)

var updateCommand = &cli.Command{
	Name:      "update",
	Usage:     "update a container's resource limits",
	ArgsUsage: "<container-id>",
	Description: `Zero or empty values leave a setting unchanged. With --resources, every
other option is ignored; the file holds an OCI linux.resources object, e.g.

    {"memory": {"limit": 104857600}, "cpu": {"shares": 512}, "pids": {"limit": 100}}`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "file with the OCI linux.resources JSON to apply, or - for stdin"},
		&cli.IntFlag{Name: "blkio-weight", Usage: "block I/O weight, 10 to 1000"},
		&cli.StringFlag{Name: "cpu-period", Usage: "CPU CFS period in microseconds"},
		&cli.StringFlag{Name: "cpu-quota", Usage: "CPU CFS quota in microseconds per period, -1 for none"},
		&cli.StringFlag{Name: "cpu-burst", Usage: "CPU CFS burst in microseconds that may exceed the quota"},
		&cli.StringFlag{Name: "cpu-share", Usage: "CPU shares, a weight relative to other containers"},
		&cli.StringFlag{Name: "cpu-rt-period", Usage: "realtime scheduling period in microseconds"},
		&cli.StringFlag{Name: "cpu-rt-runtime", Usage: "realtime scheduling runtime in microseconds per period"},
		&cli.StringFlag{Name: "cpu-idle", Usage: "1 to give the cgroup SCHED_IDLE priority, 0 for normal"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs the container may use, e.g. 0-2,4"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes the container may use"},
		&cli.StringFlag{Name: "memory", Usage: "memory limit (bytes, or with a unit: 100m, 1g), -1 for none"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit, -1 for unlimited swap"},
		&cli.StringFlag{Name: "kernel-memory", Hidden: true},
		&cli.StringFlag{Name: "kernel-memory-tcp", Hidden: true},
		&cli.Int64Flag{Name: "pids-limit", Usage: "maximum number of processes, -1 for none"},
		&cli.StringFlag{Name: "l3-cache-schema", Usage: "Intel RDT L3 cache schema (not supported)"},
		&cli.StringFlag{Name: "mem-bw-schema", Usage: "Intel RDT memory bandwidth schema (not supported)"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, 1); err != nil {
			return err
		}
		for _, name := range []string{"l3-cache-schema", "mem-bw-schema"} {
			if c.String(name) != "" {
				return fmt.Errorf("--%s: sprout does not support Intel RDT", name)
			}
		}
		var r *specs.LinuxResources
		var err error
		if in := c.String("resources"); in != "" {
			r, err = readResources(in)
		} else {
			r, err = flagResources(c)
		}
		if err != nil {
			return err
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First())
		if err != nil {
			return err
		}
		return ct.Update(r)
	},
}

func readResources(path string) (*specs.LinuxResources, error) {
	var in io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--resources: %w", err)
		}
		defer f.Close()
		in = f
	}
	var r specs.LinuxResources
	if err := json.NewDecoder(in).Decode(&r); err != nil {
		return nil, fmt.Errorf("--resources %s: parse linux.resources JSON: %w", path, err)
	}
	return &r, nil
}

func flagResources(c *cli.Context) (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}}
	if w := c.Int("blkio-weight"); w != 0 {
		if w < 0 || w > math.MaxUint16 {
			return nil, fmt.Errorf("--blkio-weight: %d is out of range 10-1000", w)
		}
		r.BlockIO = &specs.LinuxBlockIO{Weight: new(uint16(w))}
	}
	if c.IsSet("pids-limit") {
		r.Pids = &specs.LinuxPids{Limit: new(c.Int64("pids-limit"))}
	}
	r.CPU.Cpus = c.String("cpuset-cpus")
	r.CPU.Mems = c.String("cpuset-mems")
	for _, f := range []struct {
		name string
		dst  **uint64
	}{
		{"cpu-period", &r.CPU.Period}, {"cpu-burst", &r.CPU.Burst},
		{"cpu-share", &r.CPU.Shares}, {"cpu-rt-period", &r.CPU.RealtimePeriod},
	} {
		if v := c.String(f.name); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", f.name, err)
			}
			*f.dst = &n
		}
	}
	for _, f := range []struct {
		name string
		dst  **int64
	}{
		{"cpu-quota", &r.CPU.Quota}, {"cpu-rt-runtime", &r.CPU.RealtimeRuntime}, {"cpu-idle", &r.CPU.Idle},
	} {
		if v := c.String(f.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", f.name, err)
			}
			*f.dst = &n
		}
	}
	for _, f := range []struct {
		name string
		dst  **int64
	}{
		{"memory", &r.Memory.Limit}, {"memory-reservation", &r.Memory.Reservation}, {"memory-swap", &r.Memory.Swap},
		//lint:ignore SA1019 accepted, as runc does, so that libcontainer can warn it is ignored
		{"kernel-memory", &r.Memory.Kernel},
		{"kernel-memory-tcp", &r.Memory.KernelTCP},
	} {
		if v := c.String(f.name); v != "" {
			n, err := parseMemSize(v)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", f.name, err)
			}
			*f.dst = &n
		}
	}
	return r, nil
}

// parseMemSize reads the sizes runc's update takes: -1 for unlimited, or a
// number with an optional binary unit, any case (512, 100m, 1.5g, 64MiB),
// through go-units' RAMInBytes as runc does.
func parseMemSize(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	size := s
	// runc 1.1 (go-units v0.4) also takes a unit ending in i, as Kubernetes
	// writes it (512Mi); v0.5 wants the b after it.
	if l := strings.ToLower(s); len(l) > 1 && l[len(l)-1] == 'i' && strings.IndexByte("kmgtp", l[len(l)-2]) >= 0 {
		size += "b"
	}
	n, err := units.RAMInBytes(size)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	// A size beyond int64 comes out of the library's float negative (amd64).
	if n < 0 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return n, nil
}
