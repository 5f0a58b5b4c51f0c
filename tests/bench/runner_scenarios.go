package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// up creates and starts a long-running container (the bundle runs sleep)
// for the exec scenario and reports its process; teardown removes it.
func (c *cycle) up() error {
	if err := c.command(roleCreate, "create", "--bundle", c.req.Bundle, "--pid-file", c.req.PidFile, c.req.ID); err != nil {
		return err
	}
	if err := c.readPidFile(); err != nil {
		return err
	}
	c.res.Pid = c.cpid
	return c.command(roleStart, "start", c.req.ID)
}

// exec times one `exec ID /bin/true`, what a Kubernetes exec probe costs.
func (c *cycle) exec() error {
	t0 := time.Now()
	if err := c.command(roleExec, "exec", c.req.ID, "/bin/true"); err != nil {
		return err
	}
	c.res.Total = time.Since(t0)
	return nil
}

// teardown force-deletes the container and waits for its process, which
// other runtimes' long-running containers outlive, to be gone.
func (c *cycle) teardown() error {
	if err := c.command(roleDelete, "delete", "--force", c.req.ID); err != nil {
		return err
	}
	w, err := newWatchdog(c.req.Pid, c.req.Timeout)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil // reaped already
		}
		return fmt.Errorf("container process %d: %w", c.req.Pid, err)
	}
	_, err = c.reapUntil(c.req.Pid)
	if w.stop() {
		return fmt.Errorf("container process %d still running %s after delete --force: killed", c.req.Pid, c.req.Timeout)
	}
	return err
}

// many creates and starts Count long-running containers with Parallel
// commands in flight, then force-deletes them all the same way, as an
// engine starting a node's pods does. Phases[phaseCreate] is the time until
// all run, Phases[phaseDelete] the time to remove them.
//
// Commands are waited for by pid only; the containers they orphan to this
// subreaper are reaped by the sweep afterwards, so no wait4(-1) races the
// workers.
func (c *cycle) many() error {
	ids := make([]string, c.req.Count)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", c.req.ID, i)
	}
	t0 := time.Now()
	err := c.parallel(ids, func(id string) [][]string {
		return [][]string{{"create", "--bundle", c.req.Bundle, id}, {"start", id}}
	})
	t1 := time.Now()
	// Even after a failure every container made so far must go.
	derr := c.parallel(ids, func(id string) [][]string { return [][]string{{"delete", "--force", id}} })
	t2 := time.Now()
	if err != nil {
		return err
	}
	if derr != nil {
		return derr
	}
	c.res.Phases[phaseCreate] = t1.Sub(t0)
	c.res.Phases[phaseDelete] = t2.Sub(t1)
	c.res.Total = t2.Sub(t0)
	return nil
}

// parallel runs the commands of each ID in order, for Parallel IDs at once,
// and returns the first failure.
func (c *cycle) parallel(ids []string, commands func(id string) [][]string) error {
	work := make(chan string)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range max(c.req.Parallel, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				for _, args := range commands(id) {
					if err := c.run1(args); err != nil {
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
						break
					}
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	return first
}

// run1 runs one runtime command for many, with the request's timeout.
// Its stderr goes to an unlinked file, not a pipe: the container inherits
// create's stdio, and a pipe would stay open as long as the container runs.
func (c *cycle) run1(args []string) error {
	errf, err := os.CreateTemp("", "sprout-bench-stderr-")
	if err != nil {
		return fmt.Errorf("create stderr capture: %w", err)
	}
	defer errf.Close()
	if err := os.Remove(errf.Name()); err != nil {
		return fmt.Errorf("unlink stderr capture: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.req.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.req.Binary, append(append([]string{}, c.req.Global...), args...)...)
	cmd.Env = c.d.env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.d.null, c.d.null, errf
	if err := cmd.Run(); err != nil {
		msg := make([]byte, 4096)
		n, _ := errf.ReadAt(msg, 0)
		return fmt.Errorf("%s %s: %w: %s", c.req.Binary, strings.Join(args, " "), err, strings.TrimSpace(string(msg[:n])))
	}
	return nil
}
