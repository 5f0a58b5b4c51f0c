package cgroups

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// deviceRule is an OCI device rule with its defaults filled in.
type deviceRule struct {
	allow bool
	// typ is 'a', 'b' or 'c'.
	typ byte
	// major and minor are -1 for "any".
	major, minor int64
	// access is a mask of unix.BPF_DEVCG_ACC_*.
	access uint32
}

const accessAll = unix.BPF_DEVCG_ACC_MKNOD | unix.BPF_DEVCG_ACC_READ | unix.BPF_DEVCG_ACC_WRITE

// resetsAll tells a rule that replaces the whole device policy: every
// access to every device.
func (r deviceRule) resetsAll() bool {
	return r.typ == 'a' && r.major == -1 && r.minor == -1 && r.access == accessAll
}

// normalizeDeviceRule applies OCI's defaults: no type means 'a', no major or
// minor means any, and no access means "rwm". A 'u' (unbuffered character
// device, as linux.devices may name it) is a character device; a 'p' (fifo)
// is not subject to the device controller: errSkipRule.
func normalizeDeviceRule(d specs.LinuxDeviceCgroup) (rule deviceRule, err error) {
	rule = deviceRule{allow: d.Allow, major: -1, minor: -1}
	switch d.Type {
	case "", "a":
		rule.typ = 'a'
	case "b", "c":
		rule.typ = d.Type[0]
	case "u":
		rule.typ = 'c'
	case "p":
		return rule, errSkipRule
	default:
		return rule, fmt.Errorf("type %q is not one of a, b, c", d.Type)
	}
	for _, n := range []struct {
		name string
		v    *int64
		dst  *int64
	}{{"major", d.Major, &rule.major}, {"minor", d.Minor, &rule.minor}} {
		if n.v == nil {
			continue
		}
		if *n.v < -1 || *n.v > math.MaxInt32 {
			return rule, fmt.Errorf("%s %d is neither -1 (any) nor a device number", n.name, *n.v)
		}
		*n.dst = *n.v
	}
	if d.Access == "" {
		rule.access = accessAll
	}
	// Any order and repeats; a character other than r, w and m is ignored,
	// as runc reduces an access string to the set of those three before it
	// writes a rule (configs in use carry "rwa"). A rule left with no
	// access grants or takes away nothing.
	for _, c := range d.Access {
		switch c {
		case 'r':
			rule.access |= unix.BPF_DEVCG_ACC_READ
		case 'w':
			rule.access |= unix.BPF_DEVCG_ACC_WRITE
		case 'm':
			rule.access |= unix.BPF_DEVCG_ACC_MKNOD
		}
	}
	if rule.access == 0 {
		return rule, errSkipRule
	}
	return rule, nil
}

// errSkipRule marks a rule that has no effect on the device controller.
var errSkipRule = errors.New("rule does not apply to the device controller")

func normalizeDeviceRules(rules []specs.LinuxDeviceCgroup) ([]deviceRule, error) {
	out := make([]deviceRule, 0, len(rules))
	for i, d := range rules {
		r, err := normalizeDeviceRule(d)
		if errors.Is(err, errSkipRule) {
			continue
		}
		if err != nil {
			return nil, fieldErr(fmt.Sprintf("%s.devices[%d]", res, i), err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (r deviceRule) accessString() string {
	var b strings.Builder
	if r.access&unix.BPF_DEVCG_ACC_READ != 0 {
		b.WriteByte('r')
	}
	if r.access&unix.BPF_DEVCG_ACC_WRITE != 0 {
		b.WriteByte('w')
	}
	if r.access&unix.BPF_DEVCG_ACC_MKNOD != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

func devNum(n int64) string {
	if n == -1 {
		return "*"
	}
	return strconv.FormatInt(n, 10)
}

// v1Lines renders a rule for devices.allow / devices.deny. The v1 kernel
// reads any 'a' line as "everything, rwm" whatever follows it, so an 'a'
// rule narrower than that is spelled as the same rule for 'c' and for 'b'.
func (r deviceRule) v1Lines() []string {
	if r.resetsAll() {
		return []string{"a"}
	}
	types := []byte{r.typ}
	if r.typ == 'a' {
		types = []byte{'c', 'b'}
	}
	lines := make([]string, 0, len(types))
	for _, t := range types {
		lines = append(lines, fmt.Sprintf("%c %s:%s %s", t, devNum(r.major), devNum(r.minor), r.accessString()))
	}
	return lines
}

// deviceProgram compiles rules into a BPF_PROG_TYPE_CGROUP_DEVICE program
// with OCI semantics: the rules are evaluated in order and a later rule wins
// over an earlier one, access bit by access bit; with no rule at all (or
// none before) everything is allowed, as in a fresh cgroup, so a list meant
// as an allow-list starts with a deny-all.
//
// The program keeps in R0 the set of access bits allowed for the device
// being checked and updates it with each rule that matches the device; the
// request is granted when all its bits are left in the set.
func deviceProgram(rules []deviceRule) asm.Instructions {
	// Rules before the last "everything" rule cannot change the outcome.
	start, initial := 0, int32(accessAll)
	for i, r := range rules {
		if r.resetsAll() {
			start = i + 1
			initial = 0
			if r.allow {
				initial = accessAll
			}
		}
	}
	const (
		devType = asm.R2
		access  = asm.R3
		major   = asm.R4
		minor   = asm.R5
		allowed = asm.R0
	)
	// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; },
	// access_type being (access bits << 16) | device type.
	insns := asm.Instructions{
		asm.LoadMem(devType, asm.R1, 0, asm.Word),
		asm.Mov.Reg32(access, devType),
		asm.RSh.Imm32(access, 16),
		asm.And.Imm32(devType, 0xffff),
		asm.LoadMem(major, asm.R1, 4, asm.Word),
		asm.LoadMem(minor, asm.R1, 8, asm.Word),
		asm.Mov.Imm32(allowed, initial),
	}
	// A rule's checks jump past it to the next instruction emitted, which
	// takes the label.
	label := ""
	emit := func(ins asm.Instruction) {
		if label != "" {
			ins = ins.WithSymbol(label)
			label = ""
		}
		insns = append(insns, ins)
	}
	for i, r := range rules[start:] {
		skip := fmt.Sprintf("rule%d_end", i)
		jumps := false
		jne := func(reg asm.Register, v int32) {
			emit(asm.JNE.Imm(reg, v, skip))
			jumps = true
		}
		switch r.typ {
		case 'b':
			jne(devType, unix.BPF_DEVCG_DEV_BLOCK)
		case 'c':
			jne(devType, unix.BPF_DEVCG_DEV_CHAR)
		}
		if r.major != -1 {
			jne(major, int32(r.major))
		}
		if r.minor != -1 {
			jne(minor, int32(r.minor))
		}
		if r.allow {
			emit(asm.Or.Imm32(allowed, int32(r.access)))
		} else {
			emit(asm.And.Imm32(allowed, int32(accessAll&^r.access)))
		}
		if jumps {
			label = skip
		}
	}
	// Grant when access &^ allowed == 0.
	emit(asm.Xor.Imm32(allowed, accessAll))
	insns = append(insns,
		asm.And.Reg32(access, allowed),
		asm.JEq.Imm(access, 0, "grant"),
		asm.Mov.Imm32(asm.R0, 0),
		asm.Return(),
		asm.Mov.Imm32(asm.R0, 1).WithSymbol("grant"),
		asm.Return(),
	)
	return insns
}

// attachDeviceProgram loads insns and attaches them to the v2 cgroup dir with
// the legacy BPF_PROG_ATTACH (not a BPF link), so that the attachment lasts
// after sprout exits, until the cgroup is removed. BPF_F_ALLOW_MULTI lets it
// coexist with the programs of ancestors (systemd's, a parent runtime's). A
// program attached by an earlier Set is replaced atomically when it is the
// only one; otherwise the new program is attached first and the old ones
// detached after, so that the cgroup is never left without a filter.
func attachDeviceProgram(dir string, insns asm.Instructions) error {
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)

	q, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return fmt.Errorf("query device programs of %s: %w", dir, err)
	}
	var old []*ebpf.Program
	defer func() {
		for _, p := range old {
			p.Close()
		}
	}()
	for _, ap := range q.Programs {
		p, err := ebpf.NewProgramFromID(ap.ID)
		if err != nil {
			return fmt.Errorf("open device program %d of %s: %w", ap.ID, dir, err)
		}
		old = append(old, p)
	}

	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "sprout_devices",
		Type:         ebpf.CGroupDevice,
		Instructions: insns,
		License:      "Apache-2.0",
	})
	if err != nil {
		return fmt.Errorf("load device program: %w", err)
	}
	defer prog.Close()

	opts := link.RawAttachProgramOptions{
		Target:  fd,
		Program: prog,
		Attach:  ebpf.AttachCGroupDevice,
		Flags:   unix.BPF_F_ALLOW_MULTI,
	}
	if len(old) == 1 {
		opts.Anchor = link.ReplaceProgram(old[0])
		if err := link.RawAttachProgram(opts); err == nil {
			return nil
		}
		// Kernels before 5.6 have no BPF_F_REPLACE: attach, then detach.
		opts.Anchor = nil
	}
	if err := link.RawAttachProgram(opts); err != nil {
		return fmt.Errorf("attach device program to %s: %w", dir, err)
	}
	for _, p := range old {
		err := link.RawDetachProgram(link.RawDetachProgramOptions{Target: fd, Program: p, Attach: ebpf.AttachCGroupDevice})
		if err != nil {
			return fmt.Errorf("detach the previous device program from %s: %w", dir, err)
		}
	}
	return nil
}

// DeviceAllow is one entry of the allow-list that DeviceAllowList makes.
type DeviceAllow struct {
	// Type is 'c' or 'b'.
	Type byte
	// Major and Minor are -1 for "any".
	Major, Minor int64
	// Access is made of 'r', 'w' and 'm'.
	Access string
}

// DeviceAllowList reduces OCI device rules, evaluated in order, to the
// devices they allow, for managers such as systemd that take a plain
// allow-list on top of a deny-all. allowAll reports rules that leave every
// device allowed. ok is false for rules that deny a device after allowing
// others, which only a program evaluating the rules in order expresses
// (deviceProgram).
func DeviceAllowList(rules []specs.LinuxDeviceCgroup) (allow []DeviceAllow, allowAll, ok bool, err error) {
	norm, err := normalizeDeviceRules(rules)
	if err != nil {
		return nil, false, false, err
	}
	start, denyAll := 0, false
	for i, r := range norm {
		if r.resetsAll() {
			start, denyAll = i+1, !r.allow
		}
	}
	for _, r := range norm[start:] {
		if !r.allow {
			return nil, false, false, nil
		}
		if !denyAll {
			continue
		}
		types := []byte{r.typ}
		if r.typ == 'a' {
			types = []byte{'c', 'b'}
		}
		for _, t := range types {
			allow = append(allow, DeviceAllow{Type: t, Major: r.major, Minor: r.minor, Access: r.accessString()})
		}
	}
	return allow, !denyAll, true, nil
}
