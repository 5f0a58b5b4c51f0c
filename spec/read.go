package spec

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// MaxConfigSize caps config.json and an exec process file: a real one is
// a few kB, and reading /dev/zero or a huge file would exhaust memory.
const MaxConfigSize = 4 << 20

// ReadConfigFile reads a JSON document the caller names. It must be a
// regular file no larger than MaxConfigSize: a FIFO or a device would
// block or never end. O_NONBLOCK keeps the open itself from waiting for a
// FIFO's writer.
func ReadConfigFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fileType(fi.Mode()))
	}
	if fi.Size() > MaxConfigSize {
		return nil, fmt.Errorf("%s: %d bytes, larger than the %d bytes (4 MiB) allowed", path, fi.Size(), MaxConfigSize)
	}
	// The file may grow while it is read.
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("%s: larger than the %d bytes (4 MiB) allowed", path, MaxConfigSize)
	}
	return data, nil
}

func fileType(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}
