package libcontainer

import "fmt"

// Pause freezes every process of a created or running container.
func (c *Container) Pause() error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.unlock()
	if _, err := c.check(OpPause); err != nil {
		return err
	}
	cg, err := c.liveCgroup()
	if err != nil {
		return err
	}
	if err := cg.Freeze(); err != nil {
		return fmt.Errorf("pause container %s: %w", c.state.ID, err)
	}
	return nil
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.unlock()
	if _, err := c.check(OpResume); err != nil {
		return err
	}
	cg, err := c.liveCgroup()
	if err != nil {
		return err
	}
	if err := cg.Thaw(); err != nil {
		return fmt.Errorf("resume container %s: %w", c.state.ID, err)
	}
	return nil
}
