package libcontainer

import (
	"fmt"

	"github.com/sprout-runtime/sprout/cgroups"
)

// Processes lists the host PIDs of every process in the container's cgroup.
func (c *Container) Processes() ([]int, error) {
	l, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer l.unlock()
	cg, err := c.liveCgroup()
	if err != nil {
		return nil, err
	}
	pids, err := cg.Procs()
	if err != nil {
		return nil, fmt.Errorf("list processes of container %s: %w", c.state.ID, err)
	}
	return pids, nil
}

// Stats reads the container's cgroup statistics.
func (c *Container) Stats() (*cgroups.Stats, error) {
	l, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer l.unlock()
	cg, err := c.liveCgroup()
	if err != nil {
		return nil, err
	}
	s, err := cg.Stats()
	if err != nil {
		return nil, fmt.Errorf("statistics of container %s: %w", c.state.ID, err)
	}
	return s, nil
}
