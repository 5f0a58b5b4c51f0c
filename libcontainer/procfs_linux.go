package libcontainer

import "github.com/sprout-runtime/sprout/libcontainer/nsexec"

// writeProc writes a procfs file, refusing anything that is not procfs or
// is reached through a magic link: plan.c's code, which an exec's process
// plan runs without Go.
func writeProc(path, value string) error {
	return nsexec.WriteProc(path, value)
}
