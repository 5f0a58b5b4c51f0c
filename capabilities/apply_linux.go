package capabilities

import "github.com/sprout-runtime/sprout/libcontainer/nsexec"

// PlanBounding appends to a process plan the drop from the bounding set of
// every capability the Set does not list, including those of a kernel
// newer than this package. Dropping needs CAP_SETPCAP, so it goes before
// the plan changes the uid; a capability already absent is not dropped
// again, so a Set that drops nothing needs no privilege.
func (s *Set) PlanBounding(p *nsexec.Plan) {
	p.CapNames(Names())
	p.CapBounding(s.bounding)
}

// PlanApply appends to a process plan the setting of the effective,
// permitted and inheritable sets, then the replacement of the ambient set.
// For a non-root process.user it goes after the uid change, which empties
// the effective and ambient sets; the plan keeps the permitted set across
// it, and this restores exactly the requested sets, so that the ambient
// set survives the final execve.
func (s *Set) PlanApply(p *nsexec.Plan) {
	p.CapNames(Names())
	p.CapSet(s.effective, s.permitted, s.inheritable, s.ambient)
}
