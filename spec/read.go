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
// block or never end.
func ReadConfigFile(path string) ([]byte, error) {
	return readLimited(path, false)
}

// ReadProcessFile reads exec's process file, which may also be a pipe:
// runc reads `exec -p <(...)`, and scripts rely on it. A FIFO nobody
// writes to reads as empty rather than blocking.
func ReadProcessFile(path string) ([]byte, error) {
	return readLimited(path, true)
}

// readLimited opens path with O_NONBLOCK, so that the open itself never
// waits for a FIFO's writer, and reads at most MaxConfigSize bytes.
func readLimited(path string, pipeOK bool) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case fi.Mode().IsRegular():
		if fi.Size() > MaxConfigSize {
			return nil, fmt.Errorf("%s: %d bytes, larger than the %d bytes (4 MiB) allowed", path, fi.Size(), MaxConfigSize)
		}
	case pipeOK && fi.Mode()&os.ModeNamedPipe != 0:
		// Blocking reads from here: a writer that is there is waited for,
		// and with none the first read is the end of the file.
		if err := unix.SetNonblock(int(f.Fd()), false); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	default:
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fileType(fi.Mode()))
	}
	// A file may grow while it is read, and a pipe has no size.
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
