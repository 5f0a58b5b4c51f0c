package libcontainer

import (
	"errors"
	"fmt"
)

// The refusals end in runc's words: engines match on them (containerd's
// shim takes "container not running" from kill as "already exited").
var (
	ErrNotRunning = errors.New("container not running")
	ErrNotPaused  = errors.New("container not paused")
	ErrNotCreated = errors.New("container not created")
	ErrNotStopped = errors.New("container not stopped")
	ErrPaused     = errors.New("cannot exec in a paused container (use --ignore-paused to override)")
)

// Op is an operation on an existing container whose status decides whether
// it may happen.
type Op string

const (
	OpStart  Op = "start"
	OpPause  Op = "pause"
	OpResume Op = "resume"
	OpExec   Op = "exec in"
	// OpExecPaused is exec with --ignore-paused.
	OpExecPaused Op = "exec (ignoring pause) in"
	OpSignal     Op = "signal"
	// OpSignalAll signals every process of the cgroup: what is left there
	// after the init is gone too, which engines rely on.
	OpSignalAll Op = "signal all processes of"
	OpDelete    Op = "delete"
	// OpForceDelete kills whatever runs first.
	OpForceDelete Op = "force-delete"
	OpUpdate      Op = "update"
	OpCheckpoint  Op = "checkpoint"
)

type transition struct {
	from []Status
	// refusal is the reason given for any other status, unless byStatus
	// names a more precise one.
	refusal  error
	byStatus map[Status]error
}

// transitions is the one place that says which operation a status allows.
// A created container counts as live as in runc: it can be paused,
// signalled, exec'd into and updated; delete kills its init, which has not
// run the workload yet. Creating is a container whose create has not
// finished (or crashed): only a forced delete may touch it.
var transitions = map[Op]transition{
	OpStart:       {from: []Status{Created}, refusal: ErrNotCreated, byStatus: map[Status]error{Stopped: ErrNotRunning}},
	OpPause:       {from: []Status{Created, Running}, refusal: ErrNotRunning},
	OpResume:      {from: []Status{Paused}, refusal: ErrNotPaused},
	OpExec:        {from: []Status{Created, Running}, refusal: ErrNotRunning, byStatus: map[Status]error{Paused: ErrPaused}},
	OpExecPaused:  {from: []Status{Created, Running, Paused}, refusal: ErrNotRunning},
	OpSignal:      {from: []Status{Created, Running, Paused}, refusal: ErrNotRunning},
	OpSignalAll:   {from: []Status{Created, Running, Paused, Stopped}, refusal: ErrNotRunning},
	OpDelete:      {from: []Status{Created, Stopped}, refusal: ErrNotStopped},
	OpForceDelete: {from: []Status{Creating, Created, Running, Paused, Stopped}},
	OpUpdate:      {from: []Status{Created, Running, Paused}, refusal: ErrNotRunning},
	// As runc: a created container, whose process has not started, is
	// refused too.
	OpCheckpoint: {from: []Status{Running, Paused}, refusal: ErrNotRunning},
}

// StatusError is an operation refused because of the container's status.
// It unwraps to the refusal (ErrNotRunning, ...).
type StatusError struct {
	ID     string
	Op     Op
	Status Status
	Reason error
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("cannot %s container %s that is %s: %v", e.Op, e.ID, e.Status, e.Reason)
}

func (e *StatusError) Unwrap() error { return e.Reason }

// allows tells whether op may happen to container id in status st.
func allows(op Op, id string, st Status) error {
	t, ok := transitions[op]
	if !ok {
		return fmt.Errorf("unknown operation %q", op)
	}
	for _, s := range t.from {
		if s == st {
			return nil
		}
	}
	reason := t.refusal
	if r, ok := t.byStatus[st]; ok {
		reason = r
	}
	return &StatusError{ID: id, Op: op, Status: st, Reason: reason}
}

// check is allows for this container's current status, which it returns.
func (c *Container) check(op Op) (Status, error) {
	st := c.Status()
	return st, allows(op, c.state.ID, st)
}
