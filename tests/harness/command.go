package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Output is what one command wrote and how it ended.
type Output struct {
	Stdout, Stderr string
	// Code is the exit status, -1 for a command killed by a signal or
	// for one that outlived its time.
	Code int
	// Files names the files the command had as stdout and stderr: what it
	// left running still holds them (ProcessesHolding).
	Files []string
}

// ErrTimeout is the error of a command that outlived its time; it was
// killed.
var ErrTimeout = errors.New("timed out")

// Start starts cmd; the function it returns waits for its end, for d at
// most. Stdout and stderr that cmd does not set go to files, not pipes: a
// detached container keeps its stdio open, and the end of a pipe would
// only come with the container's.
func Start(cmd *exec.Cmd, d time.Duration) (wait func() (Output, error), err error) {
	var files []*os.File
	capture := func(set func(*os.File)) error {
		f, err := os.CreateTemp("", "sprout-out")
		if err != nil {
			return err
		}
		files = append(files, f)
		set(f)
		return nil
	}
	drop := func() {
		for _, f := range files {
			f.Close()
			os.Remove(f.Name())
		}
	}
	if cmd.Stdout == nil {
		if err := capture(func(f *os.File) { cmd.Stdout = f }); err != nil {
			return nil, err
		}
	}
	if cmd.Stderr == nil {
		if err := capture(func(f *os.File) { cmd.Stderr = f }); err != nil {
			drop()
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		drop()
		return nil, err
	}
	return func() (Output, error) {
		defer drop()
		ended := WaitTimeout(cmd, d)
		var out Output
		for _, f := range files {
			data, _ := os.ReadFile(f.Name())
			if cmd.Stdout == f {
				out.Stdout = string(data)
			} else {
				out.Stderr = string(data)
			}
			out.Files = append(out.Files, f.Name())
		}
		out.Code = cmd.ProcessState.ExitCode()
		if !ended {
			return out, fmt.Errorf("%v: %w after %s", cmd.Args, ErrTimeout, d)
		}
		return out, nil
	}, nil
}

// WaitTimeout waits for a started command, killing it after d; it tells
// whether the command ended by itself.
func WaitTimeout(cmd *exec.Cmd, d time.Duration) bool {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return false
	}
}

// Runtime runs sprout commands for one test.
type Runtime struct {
	T *testing.T
	// Command makes the command that runs sprout with args after its
	// global flags (--root and the tier's own).
	Command func(args ...string) *exec.Cmd
	// Timeout bounds every command: one that outlives it fails the test.
	Timeout time.Duration
}

// Run runs cmd to its end; failing to start it or a hang fails the test.
func (r *Runtime) Run(cmd *exec.Cmd) Output {
	r.T.Helper()
	wait, err := Start(cmd, r.Timeout)
	if err != nil {
		r.T.Fatal(err)
	}
	out, err := wait()
	if err != nil {
		r.T.Fatal(err)
	}
	return out
}

// Sprout runs sprout with args.
func (r *Runtime) Sprout(args ...string) Output {
	r.T.Helper()
	return r.Run(r.Command(args...))
}

// Must runs a command that has to succeed and returns its stdout.
func (r *Runtime) Must(args ...string) string {
	r.T.Helper()
	out := r.Sprout(args...)
	if out.Code != 0 {
		r.T.Fatalf("sprout %v: exit %d: %s", args, out.Code, out.Stderr)
	}
	return out.Stdout
}

// State is `sprout state id`.
func (r *Runtime) State(id string) (*specs.State, error) {
	out := r.Sprout("state", id)
	if out.Code != 0 {
		return nil, fmt.Errorf("state %s: %s", id, out.Stderr)
	}
	var st specs.State
	if err := json.Unmarshal([]byte(out.Stdout), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// MustState is State failing the test on an error.
func (r *Runtime) MustState(id string) *specs.State {
	r.T.Helper()
	st, err := r.State(id)
	if err != nil {
		r.T.Fatal(err)
	}
	return st
}

// WaitStatus polls until the container reaches want.
func (r *Runtime) WaitStatus(id string, want specs.ContainerState) {
	r.T.Helper()
	if !Poll(20*time.Second, func() bool { st, err := r.State(id); return err == nil && st.Status == want }) {
		st, _ := r.State(id)
		r.T.Fatalf("container %s never became %s (state %+v)", id, want, st)
	}
}

// RemoveAll kills and force-deletes every container under the state root,
// by the PID its state gives: what a failed test left.
func (r *Runtime) RemoveAll(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if st, err := r.State(e.Name()); err == nil && st.Pid > 0 {
			syscall.Kill(st.Pid, syscall.SIGKILL)
		}
		r.Sprout("delete", "--force", e.Name())
	}
}
