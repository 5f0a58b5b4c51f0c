package main

import (
	"reflect"
	"testing"
)

func TestReorderArgs(t *testing.T) {
	app := newApp()
	cases := []struct{ in, want []string }{
		{[]string{"sprout", "kill", "c1", "KILL", "-a"}, []string{"sprout", "kill", "-a", "c1", "KILL"}},
		{[]string{"sprout", "--root", "/r", "delete", "c1", "--force"}, []string{"sprout", "--root", "/r", "delete", "--force", "c1"}},
		{[]string{"sprout", "update", "c1", "--memory", "-1"}, []string{"sprout", "update", "--memory", "-1", "c1"}},
		{[]string{"sprout", "update", "c1", "--pids-limit=10", "--memory", "1m"}, []string{"sprout", "update", "--pids-limit=10", "--memory", "1m", "c1"}},
		{[]string{"sprout", "run", "c1", "-d", "--bundle", "/b"}, []string{"sprout", "run", "-d", "--bundle", "/b", "c1"}},
		{[]string{"sprout", "--debug", "state", "c1"}, []string{"sprout", "--debug", "state", "c1"}},
		// A dash argument that is no flag of the command stays.
		{[]string{"sprout", "kill", "c1", "-9"}, []string{"sprout", "kill", "c1", "-9"}},
		// exec and ps: what follows the ID is the process's.
		{[]string{"sprout", "exec", "c1", "ls", "-a"}, []string{"sprout", "exec", "c1", "ls", "-a"}},
		{[]string{"sprout", "ps", "c1", "-ef"}, []string{"sprout", "ps", "c1", "-ef"}},
		{[]string{"sprout", "list", "--", "-q"}, []string{"sprout", "list", "--", "-q"}},
		{[]string{"sprout"}, []string{"sprout"}},
		{[]string{"sprout", "nosuch", "x", "-a"}, []string{"sprout", "nosuch", "x", "-a"}},
	}
	for _, tc := range cases {
		if got := reorderArgs(app, tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("reorderArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseSignalZero(t *testing.T) {
	if sig, err := parseSignal("0"); err != nil || sig != 0 {
		t.Fatalf("parseSignal(0) = %v, %v: runc accepts 0 (existence check)", sig, err)
	}
	if _, err := parseSignal("-1"); err == nil {
		t.Fatal("parseSignal(-1) accepted")
	}
}
