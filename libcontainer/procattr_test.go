package libcontainer

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseIDList(t *testing.T) {
	for in, want := range map[string][]int{
		"0": {0}, "0-3,7": {0, 1, 2, 3, 7}, " 2 , 4-5": {2, 4, 5}, "1-1": {1},
	} {
		got, err := parseIDList(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseIDList(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a", "3-1", "-1", "1-", "1,,2", "70000", "0-70000"} {
		if got, err := parseIDList(in); err == nil {
			t.Errorf("parseIDList(%q) = %v, want an error", in, got)
		}
	}
}

func TestValidateProcAttrsNamesTheField(t *testing.T) {
	base := func() *specs.Spec {
		return &specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{}}
	}
	cases := []struct {
		field string
		edit  func(*specs.Spec)
	}{
		{"process.scheduler.policy", func(s *specs.Spec) { s.Process.Scheduler = &specs.Scheduler{Policy: "SCHED_X"} }},
		{"process.scheduler.flags[1]", func(s *specs.Spec) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Flags: []specs.LinuxSchedulerFlag{specs.SchedFlagResetOnFork, "X"}}
		}},
		{"process.scheduler.nice", func(s *specs.Spec) { s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Nice: 20} }},
		{"process.ioPriority.class", func(s *specs.Spec) { s.Process.IOPriority = &specs.LinuxIOPriority{Class: "X"} }},
		{"process.ioPriority.priority", func(s *specs.Spec) {
			s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 8}
		}},
		{"process.execCPUAffinity.final", func(s *specs.Spec) { s.Process.ExecCPUAffinity = &specs.CPUAffinity{Final: "x"} }},
		{"process.execCPUAffinity.initial", func(s *specs.Spec) { s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "2-1"} }},
		{"linux.personality.domain", func(s *specs.Spec) { s.Linux.Personality = &specs.LinuxPersonality{Domain: "X"} }},
		{"linux.memoryPolicy.mode", func(s *specs.Spec) { s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "X"} }},
		{"linux.memoryPolicy.nodes", func(s *specs.Spec) { s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind} }},
		{"linux.memoryPolicy.nodes", func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolLocal, Nodes: "0"}
		}},
		{"linux.memoryPolicy.flags[0]", func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolDefault, Flags: []specs.MemoryPolicyFlagType{"X"}}
		}},
	}
	for _, tc := range cases {
		s := base()
		tc.edit(s)
		err := validateProcAttrs(s)
		if err == nil || !strings.HasPrefix(err.Error(), tc.field+":") && !strings.HasPrefix(err.Error(), tc.field+" ") {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	s := base()
	s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Nice: 5}
	s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_IDLE}
	s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0", Final: "0-1"}
	s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}
	if err := validateProcAttrs(s); err != nil {
		t.Errorf("a valid config was refused: %v", err)
	}
}
