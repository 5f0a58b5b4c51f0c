package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var (
	passing = Result{Passed: 2}
	failing = Result{Passed: 1, Failed: 1, Reasons: []string{"not ok: x"}}
	skipped = Result{Skipped: 1}
)

func TestSummarizeRegressionsAndKnownDifferences(t *testing.T) {
	programs := []string{"create", "delete", "hooks", "kill", "start"}
	sprout := Run{Name: "sprout", Results: map[string]Result{
		"create": passing, "delete": passing, "hooks": failing, "kill": failing, "start": skipped,
	}}
	runc := Run{Name: "runc", Results: map[string]Result{
		"create": passing, "delete": failing, "hooks": passing, "kill": passing, "start": passing,
	}}
	known := Known{"hooks": "the suite expects poststart during create", "create": "kept on purpose"}

	var out bytes.Buffer
	regressions := Summarize(&out, []Run{sprout, runc}, programs, known)
	if !slices.Equal(regressions, []string{"kill"}) {
		t.Errorf("regressions %q, want [kill]", regressions)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if got, want := lines[0], "sprout: 2/5, runc: 4/5"; got != want {
		t.Errorf("score line %q, want %q", got, want)
	}
	if got, want := lines[len(lines)-1], "conformance: 2 passed, 2 failed, 1 skipped"; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
	text := out.String()
	for _, want := range []string{
		"known difference: hooks (sprout FAIL, runc ok): the suite expects poststart during create",
		"known difference: create (sprout ok, runc ok, not differing now): kept on purpose",
		"regression: kill passes with runc but fails with sprout",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	rows := map[string]string{}
	for _, l := range lines {
		if f := strings.Fields(l); len(f) >= 3 && slices.Contains(programs, f[0]) {
			rows[f[0]] = strings.Join(f[1:], " ")
		}
	}
	for prog, want := range map[string]string{
		"delete": "ok FAIL",
		"hooks":  "FAIL ok known difference",
		"kill":   "FAIL ok REGRESSION",
		"start":  "SKIP ok",
	} {
		if rows[prog] != want {
			t.Errorf("difference row for %s is %q, want %q", prog, rows[prog], want)
		}
	}
	if _, ok := rows["create"]; ok {
		t.Errorf("create is listed as a difference although both pass:\n%s", text)
	}
}

func TestSummarizeSameRuntimeTwice(t *testing.T) {
	run := Run{Name: "runc", Results: map[string]Result{"create": passing, "kill": failing}}
	var out bytes.Buffer
	if r := Summarize(&out, []Run{run, run}, []string{"create", "kill"}, Known{}); len(r) != 0 {
		t.Errorf("regressions %q against itself", r)
	}
	want := "runc: 1/2, runc#2: 1/2\nno differences between the runtimes\nconformance: 1 passed, 1 failed, 0 skipped\n"
	if out.String() != want {
		t.Errorf("output\n%s\nwant\n%s", out.String(), want)
	}
}

func TestSummarizeSingleRuntimeHasNoReference(t *testing.T) {
	run := Run{Name: "runc", Results: map[string]Result{"kill": failing}}
	var out bytes.Buffer
	if r := Summarize(&out, []Run{run}, []string{"kill"}, Known{}); len(r) != 0 {
		t.Errorf("regressions %q without a reference runtime", r)
	}
	if want := "runc: 0/1\nconformance: 0 passed, 1 failed, 0 skipped\n"; out.String() != want {
		t.Errorf("output\n%s\nwant\n%s", out.String(), want)
	}
}

func TestParseKnown(t *testing.T) {
	suite := []string{"create", "hooks", "poststart"}
	known, err := ParseKnown(strings.NewReader("# header\n\nhooks  the suite expects\tthis\npoststart spec order\n"), suite)
	if err != nil {
		t.Fatal(err)
	}
	if len(known) != 2 || known["hooks"] != "the suite expects\tthis" || known["poststart"] != "spec order" {
		t.Errorf("known %q", known)
	}
	for input, want := range map[string]string{
		"hooks\n":                     "line 1: hooks has no reason",
		"create ok\nhoks typo\n":      "line 2: hoks is not a program of the suite",
		"hooks one\n# c\nhooks two\n": "line 3: hooks is listed twice",
	} {
		if _, err := ParseKnown(strings.NewReader(input), suite); err == nil || err.Error() != want {
			t.Errorf("ParseKnown(%q) error %v, want %q", input, err, want)
		}
	}
}

func TestLoadRunFromLogs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("runtime", "/usr/local/bin/sprout\n")
	write("create.tap", "TAP version 13\nok 1 - created\n1..1\n")
	write("create.rc", "0\n")
	write("kill.tap", "TAP version 13\nok 1 - killed\n1..1\n")
	write("kill.rc", "2\n")
	write("process_rlimits_fail.tap", "")
	write("process_rlimits_fail.rc", "0\n")

	run, err := LoadRun(dir, []string{"create", "kill", "process_rlimits_fail", "start"})
	if err != nil {
		t.Fatal(err)
	}
	if run.Name != "sprout" {
		t.Errorf("name %q, want sprout", run.Name)
	}
	for prog, want := range map[string]Verdict{"create": Pass, "kill": Fail, "process_rlimits_fail": Pass, "start": Fail} {
		if got := run.Results[prog].Verdict(); got != want {
			t.Errorf("%s: verdict %s, want %s (reasons %q)", prog, got, want, run.Results[prog].Reasons)
		}
	}

	write("create.rc", "zero\n")
	if _, err := LoadRun(dir, []string{"create"}); err == nil || !strings.Contains(err.Error(), "create.rc") {
		t.Errorf("corrupt exit status: error %v, want one naming create.rc", err)
	}
}

func TestFormatLine(t *testing.T) {
	res := Result{Passed: 3, Failed: 2, Reasons: []string{"not ok: first\nsecond line", "not ok: other"}}
	got := FormatLine("sprout", "delete", res)
	want := "sprout   FAIL delete                             3 passed, 2 failed, 0 skipped  (not ok: first second line; 1 more)"
	if got != want {
		t.Errorf("line\n%q\nwant\n%q", got, want)
	}
}
