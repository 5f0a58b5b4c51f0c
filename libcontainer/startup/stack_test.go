package startup

import (
	"fmt"
	"os"
	"testing"
	"unsafe"
)

// TestMain runs on the main goroutine, the one init grew: a call chain as
// deep as sprout's deepest (create decoding its config, 15.5 KiB) must not
// make the runtime copy the stack, which would move this frame's locals.
func TestMain(m *testing.M) {
	var here byte
	before := uintptr(unsafe.Pointer(&here))
	descend(16 << 10)
	if after := uintptr(unsafe.Pointer(&here)); after != before {
		fmt.Fprintf(os.Stderr, "the main goroutine's stack was copied (%#x -> %#x) by a 16 KiB deep call chain\n", before, after)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// descend uses at least n bytes of stack, in 1 KiB frames.
//
//go:noinline
func descend(n int) byte {
	var frame [1 << 10]byte
	frame[n%len(frame)] = byte(n)
	if n > len(frame) {
		return descend(n-len(frame)) + frame[0]
	}
	return frame[0]
}

// The stack must have grown in grow's frame, not on the heap.
func TestGrowDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(10, grow); n != 0 {
		t.Errorf("grow allocates %v times a run", n)
	}
}
