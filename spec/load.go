package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Load reads bundle/config.json.
func Load(bundle string) (*specs.Spec, error) {
	data, err := ReadConfigFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("bundle %s has no config.json", bundle)
		}
		return nil, fmt.Errorf("read config.json: %w", err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse config.json: %w", err)
	}
	return s, nil
}

// linuxConfig is the part of config.json a Linux runtime reads. encoding/json
// builds the codecs of a type's whole field tree on first use, and for
// specs.Spec's windows, solaris, vm and zos sections that costs every fresh
// process about 0.3 ms; those sections mean nothing here, as in runc.
type linuxConfig struct {
	Version     string            `json:"ociVersion"`
	Process     *specs.Process    `json:"process,omitempty"`
	Root        *specs.Root       `json:"root,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Domainname  string            `json:"domainname,omitempty"`
	Mounts      []specs.Mount     `json:"mounts,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *specs.Linux      `json:"linux,omitempty"`
}

// Marshal encodes s as config.json, without the sections of other
// platforms.
func Marshal(s *specs.Spec) ([]byte, error) {
	return json.Marshal(&linuxConfig{
		Version: s.Version, Process: s.Process, Root: s.Root, Hostname: s.Hostname,
		Domainname: s.Domainname, Mounts: s.Mounts, Hooks: s.Hooks,
		Annotations: s.Annotations, Linux: s.Linux,
	})
}

// Parse decodes a config.json document, leaving out the sections of other
// platforms.
func Parse(data []byte) (*specs.Spec, error) {
	var c linuxConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	return &specs.Spec{
		Version: c.Version, Process: c.Process, Root: c.Root, Hostname: c.Hostname,
		Domainname: c.Domainname, Mounts: c.Mounts, Hooks: c.Hooks,
		Annotations: c.Annotations, Linux: c.Linux,
	}, nil
}

// initLinuxConfig is linuxConfig as the container's init reads it: the
// init never looks at linux.resources, which the runtime applies to the
// cgroup from outside, and encoding/json, which builds the codecs of a
// type's whole field tree on first use, skips a subtree that a field of the
// same name nearer the top shadows: ~0.1 ms of every container start.
type initLinuxConfig struct {
	linuxConfig
	Linux *initLinux `json:"linux,omitempty"`
}

type initLinux struct {
	specs.Linux
	Resources *struct{} `json:"resources,omitempty"`
}

// ParseForInit decodes what Marshal encoded for the container's init:
// everything Parse returns but linux.resources, which stays nil.
func ParseForInit(data []byte) (*specs.Spec, error) {
	var c initLinuxConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	s := &specs.Spec{
		Version: c.Version, Process: c.Process, Root: c.Root, Hostname: c.Hostname,
		Domainname: c.Domainname, Mounts: c.Mounts, Hooks: c.Hooks,
		Annotations: c.Annotations,
	}
	if c.Linux != nil {
		s.Linux = &c.Linux.Linux
	}
	return s, nil
}

// Namespaces returns the configured namespaces by type.
func Namespaces(s *specs.Spec) map[specs.LinuxNamespaceType]specs.LinuxNamespace {
	m := map[specs.LinuxNamespaceType]specs.LinuxNamespace{}
	if s.Linux != nil {
		for _, n := range s.Linux.Namespaces {
			m[n.Type] = n
		}
	}
	return m
}

// Validate checks what the runtime can tell from the configuration alone,
// before anything is created, so that a bad config leaves nothing behind.
// Each error names the field at fault.
func Validate(s *specs.Spec) error {
	if s.Root == nil || s.Root.Path == "" {
		return errors.New("root.path: must be set")
	}
	if s.Process == nil {
		return errors.New("process: must be set")
	}
	if s.Linux == nil {
		return errors.New("linux: must be set on Linux")
	}
	if err := validateNUL(s); err != nil {
		return err
	}
	if err := validateProcess(s.Process); err != nil {
		return err
	}
	ns, err := validateNamespaces(s.Linux.Namespaces)
	if err != nil {
		return err
	}
	if err := ValidateSharedNamespaces(s, SharedNamespaces(s)); err != nil {
		return err
	}
	// sethostname and setdomainname take at most 64 bytes.
	if len(s.Hostname) > 64 {
		return fmt.Errorf("hostname: %d bytes, more than the 64 the kernel takes", len(s.Hostname))
	}
	if len(s.Domainname) > 64 {
		return fmt.Errorf("domainname: %d bytes, more than the 64 the kernel takes", len(s.Domainname))
	}
	if !ns[specs.UserNamespace] {
		if len(s.Linux.UIDMappings) > 0 {
			return errors.New("linux.uidMappings: needs a new user namespace")
		}
		if len(s.Linux.GIDMappings) > 0 {
			return errors.New("linux.gidMappings: needs a new user namespace")
		}
	}
	if ns[specs.UserNamespace] && len(s.Linux.UIDMappings) == 0 && Namespaces(s)[specs.UserNamespace].Path == "" {
		return errors.New("linux.uidMappings: a new user namespace needs ID mappings")
	}
	if err := validateIDMappings("linux.uidMappings", s.Linux.UIDMappings); err != nil {
		return err
	}
	if err := validateIDMappings("linux.gidMappings", s.Linux.GIDMappings); err != nil {
		return err
	}
	if len(s.Linux.TimeOffsets) > 0 {
		if !ns[specs.TimeNamespace] || Namespaces(s)[specs.TimeNamespace].Path != "" {
			return errors.New("linux.timeOffsets: needs a new time namespace")
		}
		for clock := range s.Linux.TimeOffsets {
			if clock != "monotonic" && clock != "boottime" {
				return fmt.Errorf("linux.timeOffsets: unknown clock %q", clock)
			}
		}
	}
	for i, m := range s.Mounts {
		if m.Destination == "" {
			return fmt.Errorf("mounts[%d].destination: must be set", i)
		}
		// A relative destination is taken from /, as runc does; one that
		// comes to / itself would hide the rootfs.
		if filepath.Clean("/"+m.Destination) == "/" {
			return fmt.Errorf("mounts[%d].destination %q: a mount over the container's root is not allowed", i, m.Destination)
		}
		if err := validateMountOptions(m.Options); err != nil {
			return fmt.Errorf("mounts[%d] (%s): %w", i, m.Destination, err)
		}
		if err := validateMountIDs(m); err != nil {
			return fmt.Errorf("mounts[%d] (%s): %w", i, m.Destination, err)
		}
	}
	switch s.Linux.RootfsPropagation {
	case "", "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable":
	default:
		return fmt.Errorf("linux.rootfsPropagation: unknown propagation %q", s.Linux.RootfsPropagation)
	}
	for i, d := range s.Linux.Devices {
		if err := validateDevice(d); err != nil {
			return fmt.Errorf("linux.devices[%d] (%s): %w", i, d.Path, err)
		}
		if err := validateDeviceOwner(d); err != nil {
			return fmt.Errorf("linux.devices[%d] (%s): %w", i, d.Path, err)
		}
	}
	if err := validateHooks(s.Hooks); err != nil {
		return err
	}
	if s.Process.ApparmorProfile != "" && !LSMEnabled("apparmor") {
		return errors.New("process.apparmorProfile: AppArmor is not enabled on this host")
	}
	if s.Process.SelinuxLabel != "" && !LSMEnabled("selinux") {
		return errors.New("process.selinuxLabel: SELinux is not enabled on this host")
	}
	return nil
}

func validateProcess(p *specs.Process) error {
	if len(p.Args) == 0 || p.Args[0] == "" {
		return errors.New("process.args: must name the program to run")
	}
	if p.Cwd == "" {
		return errors.New("process.cwd: must be set")
	}
	if !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("process.cwd %q: must be an absolute path", p.Cwd)
	}
	seen := map[string]bool{}
	for i, r := range p.Rlimits {
		if _, ok := Rlimits[r.Type]; !ok {
			return fmt.Errorf("process.rlimits[%d]: unknown type %q", i, r.Type)
		}
		if seen[r.Type] {
			return fmt.Errorf("process.rlimits[%d]: %s given twice", i, r.Type)
		}
		seen[r.Type] = true
		if r.Soft > r.Hard {
			return fmt.Errorf("process.rlimits[%d]: %s soft limit %d is above the hard limit %d", i, r.Type, r.Soft, r.Hard)
		}
	}
	if p.OOMScoreAdj != nil && (*p.OOMScoreAdj < -1000 || *p.OOMScoreAdj > 1000) {
		return fmt.Errorf("process.oomScoreAdj: %d is outside -1000..1000", *p.OOMScoreAdj)
	}
	if p.ConsoleSize != nil && !p.Terminal {
		return errors.New("process.consoleSize: needs process.terminal")
	}
	return ValidateExecProcess(p)
}

// ValidateExecProcess checks what a process given to exec shares with a
// container's own: the strings that reach execve and the IDs it runs as.
func ValidateExecProcess(p *specs.Process) error {
	if err := validateProcessNUL(p); err != nil {
		return err
	}
	for i, e := range p.Env {
		name, _, ok := strings.Cut(e, "=")
		if !ok {
			return fmt.Errorf("process.env[%d] %q: invalid environment variable: missing '='", i, e)
		}
		if name == "" {
			return fmt.Errorf("process.env[%d] %q: invalid environment variable: name cannot be empty", i, e)
		}
	}
	return validateUser(p.User)
}

func validateNamespaces(list []specs.LinuxNamespace) (map[specs.LinuxNamespaceType]bool, error) {
	ns := map[specs.LinuxNamespaceType]bool{}
	for i, n := range list {
		if _, ok := NamespaceKindOf(n.Type); !ok {
			return nil, fmt.Errorf("linux.namespaces[%d]: unknown namespace type %q", i, n.Type)
		}
		if ns[n.Type] {
			return nil, fmt.Errorf("linux.namespaces[%d]: %s namespace given twice", i, n.Type)
		}
		if n.Path != "" && !filepath.IsAbs(n.Path) {
			return nil, fmt.Errorf("linux.namespaces[%d].path %q: must be absolute", i, n.Path)
		}
		ns[n.Type] = true
	}
	return ns, nil
}

func validateDevice(d specs.LinuxDevice) error {
	if !filepath.IsAbs(d.Path) {
		return errors.New("path must be absolute")
	}
	switch d.Type {
	case "c", "u", "b":
	case "p":
		return nil
	default:
		return fmt.Errorf("unknown type %q", d.Type)
	}
	return nil
}

// LSMEnabled tells whether the host runs the named LSM (apparmor, selinux).
func LSMEnabled(name string) bool {
	switch name {
	case "apparmor":
		b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
		return err == nil && strings.HasPrefix(string(b), "Y")
	case "selinux":
		_, err := os.Stat("/sys/fs/selinux/enforce")
		return err == nil
	}
	return false
}

func validateHooks(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	for _, ph := range hookPhases(h) {
		for i, hk := range ph.hooks {
			if !filepath.IsAbs(hk.Path) {
				return fmt.Errorf("hooks.%s[%d].path %q: must be absolute", ph.name, i, hk.Path)
			}
			if hk.Timeout != nil && *hk.Timeout <= 0 {
				return fmt.Errorf("hooks.%s[%d].timeout: must be positive, got %d", ph.name, i, *hk.Timeout)
			}
		}
	}
	return nil
}

type hookPhase struct {
	name  string
	hooks []specs.Hook
}

func hookPhases(h *specs.Hooks) []hookPhase {
	return []hookPhase{
		//lint:ignore SA1019 deprecated, still in the spec and still run by sprout
		{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime}, {"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer}, {"poststart", h.Poststart}, {"poststop", h.Poststop},
	}
}
