package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// throttles are OCI's four blockIO throttle lists, each with its v1 file and
// its key in v2's io.max.
var throttles = []struct {
	name, v1File, v2Key string
	devs                func(*specs.LinuxBlockIO) []specs.LinuxThrottleDevice
}{
	{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps",
		func(b *specs.LinuxBlockIO) []specs.LinuxThrottleDevice { return b.ThrottleReadBpsDevice }},
	{"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps",
		func(b *specs.LinuxBlockIO) []specs.LinuxThrottleDevice { return b.ThrottleWriteBpsDevice }},
	{"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops",
		func(b *specs.LinuxBlockIO) []specs.LinuxThrottleDevice { return b.ThrottleReadIOPSDevice }},
	{"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops",
		func(b *specs.LinuxBlockIO) []specs.LinuxThrottleDevice { return b.ThrottleWriteIOPSDevice }},
}

// setThrottles writes every throttle rule of b, one line per device: to
// its blkio.throttle file on v1, as a key=value line of io.max on v2.
func setThrottles(dir string, b *specs.LinuxBlockIO, v2 bool) error {
	for _, t := range throttles {
		for i, d := range t.devs(b) {
			file, value := t.v1File, strconv.FormatUint(d.Rate, 10)
			if v2 {
				file, value = "io.max", t.v2Key+"="+value
			}
			field := fmt.Sprintf("%s.blockIO.%s[%d]", res, t.name, i)
			if err := write(dir, file, devString(d.LinuxBlockIODevice, value), field); err != nil {
				return err
			}
		}
	}
	return nil
}

func devString(d specs.LinuxBlockIODevice, value string) string {
	return fmt.Sprintf("%d:%d %s", d.Major, d.Minor, value)
}
