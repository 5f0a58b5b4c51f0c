package cgroups

// OwnPaths is the calling process's cgroup in each hierarchy as
// /proc/self/cgroup shows it, keyed by v1 controller (or "name=...") and
// by "" for cgroup v2. The container's init reads it to show the container
// its own cgroups.
func OwnPaths() (map[string]string, error) { return readProcCgroup("/proc/self/cgroup") }
