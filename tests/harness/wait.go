package harness

import (
	"os"
	"testing"
	"time"
)

// Poll calls done every 10 ms until it says yes, for timeout at most; it
// tells whether done said yes.
func Poll(timeout time.Duration, done func() bool) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		if done() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// WaitFile waits 10 s at most for path to exist: a container makes a file
// to say it got somewhere.
func WaitFile(t *testing.T, path string) {
	t.Helper()
	if !Poll(10*time.Second, func() bool { _, err := os.Stat(path); return err == nil }) {
		t.Fatalf("%s never appeared", path)
	}
}

// PollFile polls for the file at path until it has something in it, for
// timeout at most, and returns what it holds.
func PollFile(path string, timeout time.Duration) (data []byte, ok bool) {
	ok = Poll(timeout, func() bool {
		var err error
		data, err = os.ReadFile(path)
		return err == nil && len(data) > 0
	})
	return data, ok
}
