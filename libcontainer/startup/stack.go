// Package startup prepares the Go runtime of every sprout process (the
// commands and the container's init) before the other packages' init
// functions run. It imports nothing, so Go's initialization order, which
// takes the first ready package by import path, runs it ahead of the
// third-party inits (TestStartupInitRunsFirst holds that).
package startup

// growFrame is the frame that grows the main goroutine's stack once, to
// 32 KiB (Go doubles a stack until the frame fits), while only a few frames
// are on it.
//
// The main goroutine starts on 2 KiB. Each time a call needs more, Go
// copies the whole stack, and for every frame on it reads the function's
// stack map and PC tables in .gopclntab, which is laid out in code order
// across 3 MB of the binary. The kernel maps 64 KiB of the binary around
// every page it faults in, so a copy that happens deep in encoding/json or
// regexp.MustCompile (urfave/cli's init) costs the process 15-20 such
// windows. Measured on `sprout create`: three copies, the deepest at
// 15.5 KiB, made 0.7 MB of its peak RSS; 32 KiB holds every command and
// the init without another copy.
const growFrame = 16 << 10

func init() { grow() }

// grow must not be inlined: its frame is what makes the stack grow.
//
//go:noinline
func grow() {
	var frame [growFrame]byte
	touch(frame[:])
}

// touch keeps frame on grow's stack: the compiler may not drop an array
// whose slice a call receives.
//
//go:noinline
func touch(b []byte) { b[0] = 1 }
