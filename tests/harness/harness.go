// Package harness is what the root-only test tiers (tests/integration,
// tests/checkpoint, tests/fault) share to drive the built sprout binary:
// running a command with its output caught and a bound on its time,
// busybox bundles, waiting for a state, reading the host (processes,
// mounts, cgroups in every hierarchy) for what a container left, and a
// cgroup of its own for each run of a test binary.
package harness
