package libcontainer

import (
	"errors"
	"strings"
	"testing"
)

func TestTransitions(t *testing.T) {
	all := []Status{Creating, Created, Running, Paused, Stopped}
	// Each operation and the statuses it is allowed in, with the refusal
	// engines see otherwise (runc's words).
	cases := []struct {
		op      Op
		allowed []Status
		refusal map[Status]error
	}{
		{OpStart, []Status{Created}, map[Status]error{Running: ErrNotCreated, Paused: ErrNotCreated, Stopped: ErrNotRunning, Creating: ErrNotCreated}},
		{OpPause, []Status{Created, Running}, map[Status]error{Paused: ErrNotRunning, Stopped: ErrNotRunning, Creating: ErrNotRunning}},
		{OpResume, []Status{Paused}, map[Status]error{Created: ErrNotPaused, Running: ErrNotPaused, Stopped: ErrNotPaused, Creating: ErrNotPaused}},
		{OpExec, []Status{Created, Running}, map[Status]error{Paused: ErrPaused, Stopped: ErrNotRunning, Creating: ErrNotRunning}},
		{OpExecPaused, []Status{Created, Running, Paused}, map[Status]error{Stopped: ErrNotRunning, Creating: ErrNotRunning}},
		{OpSignal, []Status{Created, Running, Paused}, map[Status]error{Stopped: ErrNotRunning, Creating: ErrNotRunning}},
		{OpSignalAll, []Status{Created, Running, Paused, Stopped}, map[Status]error{Creating: ErrNotRunning}},
		{OpDelete, []Status{Created, Stopped}, map[Status]error{Running: ErrNotStopped, Paused: ErrNotStopped, Creating: ErrNotStopped}},
		{OpForceDelete, all, nil},
		{OpUpdate, []Status{Created, Running, Paused}, map[Status]error{Stopped: ErrNotRunning, Creating: ErrNotRunning}},
		{OpCheckpoint, []Status{Running, Paused}, map[Status]error{Created: ErrNotRunning, Stopped: ErrNotRunning, Creating: ErrNotRunning}},
	}
	if len(cases) != len(transitions) {
		t.Fatalf("%d operations tested, %d in the table", len(cases), len(transitions))
	}
	for _, tc := range cases {
		for _, st := range all {
			err := allows(tc.op, "c1", st)
			ok := false
			for _, a := range tc.allowed {
				ok = ok || a == st
			}
			if ok {
				if err != nil {
					t.Errorf("%s when %s: refused: %v", tc.op, st, err)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s when %s: allowed", tc.op, st)
				continue
			}
			if want := tc.refusal[st]; !errors.Is(err, want) {
				t.Errorf("%s when %s: %v, want %v", tc.op, st, err, want)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Status != st || se.ID != "c1" {
				t.Errorf("%s when %s: %#v is not a StatusError naming both", tc.op, st, err)
			}
		}
	}
}

// containerd's shim recognises a container that has already exited by this
// text in kill's error.
func TestKillStoppedWording(t *testing.T) {
	err := allows(OpSignal, "c1", Stopped)
	if err == nil || !strings.Contains(err.Error(), "container not running") || !strings.Contains(err.Error(), "c1") {
		t.Fatalf("kill of a stopped container: %v", err)
	}
}

func TestUnknownOp(t *testing.T) {
	if err := allows(Op("frobnicate"), "c1", Running); err == nil {
		t.Fatal("an operation outside the table was allowed")
	}
}
