package libcontainer

// Runs inside the container's init: the LSM labels of process.apparmorProfile
// and process.selinuxLabel, set for the coming execve.

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

type procWrite struct {
	field, path, value string
}

// lsmWrites lists what the init writes to label the process at execve,
// for the LSMs the host has. A requested label whose LSM is off was
// refused at create, so it never reaches here silently.
func lsmWrites(p *specs.Process, apparmor, selinux bool) []procWrite {
	var w []procWrite
	if p.ApparmorProfile != "" && apparmor {
		w = append(w, procWrite{"process.apparmorProfile", "/proc/thread-self/attr/apparmor/exec", "exec " + p.ApparmorProfile})
	}
	if p.SelinuxLabel != "" && selinux {
		w = append(w, procWrite{"process.selinuxLabel", "/proc/thread-self/attr/exec", p.SelinuxLabel})
	}
	return w
}
