package spec

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A string passed to a system call ends at its first NUL byte: the kernel
// would act on a shorter path or value than the config shows (a namespace
// path "/proc/self/ns/net\x00x" is the runtime's own namespace). Every such
// string is checked before anything is done.

func checkNUL(field, v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("%s: contains a NUL byte", field)
	}
	return nil
}

func checkNULs(field string, vs []string) error {
	for i, v := range vs {
		if err := checkNUL(fmt.Sprintf("%s[%d]", field, i), v); err != nil {
			return err
		}
	}
	return nil
}

// validateProcessNUL checks what execve, chdir and the LSMs receive.
func validateProcessNUL(p *specs.Process) error {
	if err := checkNULs("process.args", p.Args); err != nil {
		return err
	}
	if err := checkNULs("process.env", p.Env); err != nil {
		return err
	}
	if err := checkNUL("process.cwd", p.Cwd); err != nil {
		return err
	}
	if err := checkNUL("process.apparmorProfile", p.ApparmorProfile); err != nil {
		return err
	}
	return checkNUL("process.selinuxLabel", p.SelinuxLabel)
}

// validateNUL checks every string of the config that reaches a system
// call, a path or a file the runtime writes.
func validateNUL(s *specs.Spec) error {
	if err := checkNUL("root.path", s.Root.Path); err != nil {
		return err
	}
	if err := checkNUL("hostname", s.Hostname); err != nil {
		return err
	}
	if err := checkNUL("domainname", s.Domainname); err != nil {
		return err
	}
	for i, m := range s.Mounts {
		f := fmt.Sprintf("mounts[%d]", i)
		if err := checkNUL(f+".destination", m.Destination); err != nil {
			return err
		}
		if err := checkNUL(f+".source", m.Source); err != nil {
			return err
		}
		if err := checkNUL(f+".type", m.Type); err != nil {
			return err
		}
		if err := checkNULs(f+".options", m.Options); err != nil {
			return err
		}
	}
	if err := validateHooksNUL(s.Hooks); err != nil {
		return err
	}
	l := s.Linux
	if l == nil {
		return nil
	}
	for i, n := range l.Namespaces {
		if err := checkNUL(fmt.Sprintf("linux.namespaces[%d].path", i), n.Path); err != nil {
			return err
		}
	}
	for k, v := range l.Sysctl {
		if err := checkNUL("linux.sysctl key", k); err != nil {
			return err
		}
		if err := checkNUL(fmt.Sprintf("linux.sysctl %q", k), v); err != nil {
			return err
		}
	}
	for i, d := range l.Devices {
		if err := checkNUL(fmt.Sprintf("linux.devices[%d].path", i), d.Path); err != nil {
			return err
		}
	}
	if err := checkNULs("linux.maskedPaths", l.MaskedPaths); err != nil {
		return err
	}
	if err := checkNULs("linux.readonlyPaths", l.ReadonlyPaths); err != nil {
		return err
	}
	if err := checkNUL("linux.cgroupsPath", l.CgroupsPath); err != nil {
		return err
	}
	if err := checkNUL("linux.mountLabel", l.MountLabel); err != nil {
		return err
	}
	if l.Seccomp != nil {
		if err := checkNUL("linux.seccomp.listenerPath", l.Seccomp.ListenerPath); err != nil {
			return err
		}
	}
	return nil
}

func validateHooksNUL(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	for _, ph := range hookPhases(h) {
		for i, hk := range ph.hooks {
			f := fmt.Sprintf("hooks.%s[%d]", ph.name, i)
			if err := checkNUL(f+".path", hk.Path); err != nil {
				return err
			}
			if err := checkNULs(f+".args", hk.Args); err != nil {
				return err
			}
			if err := checkNULs(f+".env", hk.Env); err != nil {
				return err
			}
		}
	}
	return nil
}
