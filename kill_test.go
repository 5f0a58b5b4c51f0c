package main

import (
	"strconv"
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	const refused = -1
	cases := []struct {
		in   string
		want syscall.Signal
	}{
		{"9", 9}, {"KILL", 9}, {"sigterm", 15}, {"SIGRTMIN+0", 34}, {"RTMIN+30", 64}, {"SIGRTMAX-0", 64},
		{"RTMAX-30", 34}, {"RTMIN+31", refused}, {"SIGRTMIN+-40", refused}, {"RTMAX--1", refused}, {"RTMAX-31", refused},
		{"0", 0}, {"65", refused}, {"-9", refused}, {"NOSUCH", refused}, {"", refused},
	}
	for _, tc := range cases {
		got, err := parseSignal(tc.in)
		if (err != nil) != (tc.want == refused) || (err == nil && got != tc.want) {
			t.Errorf("parseSignal(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParseSignal: whatever kill is given, a signal it accepts is a real
// signal number or 0 (runc's existence check), and every such number is
// accepted as itself.
func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"9", "KILL", "sigusr1", "SIGRTMIN+3", "RTMAX-2", "SIGRTMIN+-40", "RTMIN+99999999999999999999", "0", "65", "-1", "+9", "SIG", "SIGRTMIN+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := parseSignal(s)
		if err == nil && (sig < 0 || sig > 64) {
			t.Fatalf("parseSignal(%q) = %d, not a signal", s, sig)
		}
		if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 64 {
			if got, err := parseSignal(s); err != nil || got != syscall.Signal(n) {
				t.Fatalf("parseSignal(%q) = %d, %v", s, got, err)
			}
		}
	})
}
