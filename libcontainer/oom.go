package libcontainer

import (
	"fmt"
	"time"
)

// oomPollInterval bounds how late an OOM kill is reported. Polling the kill
// counter works alike on v1 and v2, and counts kills, whereas v1's eventfd
// notification fires for every OOM condition, killed or not.
const oomPollInterval = 100 * time.Millisecond

// NotifyOOM sends one value for every process the OOM killer kills in the
// container's cgroup from now on. The channel is closed once the
// container's init is gone (after a last look at the counter, so a kill
// that ended the container is reported), when its cgroup disappears, or
// when stop is closed.
func (c *Container) NotifyOOM(stop <-chan struct{}) (<-chan struct{}, error) {
	cg, err := c.liveCgroup()
	if err != nil {
		return nil, err
	}
	seen, err := cg.OOMKillCount()
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", c.state.ID, err)
	}
	// The poller must not read c.state, which lock() replaces under it.
	snapshot := &Container{root: c.root, dir: c.dir, state: c.state}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		tick := time.NewTicker(oomPollInterval)
		defer tick.Stop()
		for {
			alive := snapshot.initAlive()
			n, err := cg.OOMKillCount()
			if err != nil {
				return
			}
			for ; seen < n; seen++ {
				select {
				case ch <- struct{}{}:
				case <-stop:
					return
				}
			}
			if !alive {
				return
			}
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	}()
	return ch, nil
}
