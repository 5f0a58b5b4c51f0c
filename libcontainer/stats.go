package libcontainer

import "github.com/sprout-runtime/sprout/cgroups"

// Processes lists the host PIDs of every process in the container's cgroup.
func (c *Container) Processes() ([]int, error) {
	return onCgroup(c, "", "list processes of", cgroups.Manager.Procs)
}

// Stats reads the container's cgroup statistics.
func (c *Container) Stats() (*cgroups.Stats, error) {
	return onCgroup(c, "", "statistics of", cgroups.Manager.Stats)
}
