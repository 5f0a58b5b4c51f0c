package libcontainer

import "github.com/sprout-runtime/sprout/cgroups"

// Pause freezes every process of a created or running container.
func (c *Container) Pause() error {
	_, err := onCgroup(c, OpPause, "pause", func(cg cgroups.Manager) (any, error) { return nil, cg.Freeze() })
	return err
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	_, err := onCgroup(c, OpResume, "resume", func(cg cgroups.Manager) (any, error) { return nil, cg.Thaw() })
	return err
}
