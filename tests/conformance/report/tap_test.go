package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The testdata files are the suite's own output, captured from runc 1.1.5.
func judgeFile(t *testing.T, name string, status int) Result {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Judge(f, status, false)
	if err != nil {
		t.Fatalf("Judge(%s): %v", name, err)
	}
	return res
}

func TestJudgeCapturedOutput(t *testing.T) {
	for _, tc := range []struct {
		file                    string
		verdict                 Verdict
		passed, failed, skipped int
		reason                  string
	}{
		// The only sign of failure is an error block before the plan "1..0".
		{"runc-poststart.tap", Fail, 0, 1, 0, "error outside any test: The post-start hooks MUST be called"},
		{"runc-hooks.tap", Fail, 0, 1, 0, "error outside any test: Hooks MUST be called in the listed order"},
		// Expected errors in the blocks of passing tests, descriptions
		// spanning two lines.
		{"runc-state.tap", Pass, 3, 0, 0, ""},
		{"runc-delete.tap", Fail, 3, 2, 0, "not ok: attempting to `delete` a container that is not `stopped` MUST generate an error"},
		// Two TAP documents, each with its own plan.
		{"runc-linux_cgroups_cpus.tap", Pass, 112, 0, 0, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			res := judgeFile(t, tc.file, 0)
			if got := res.Verdict(); got != tc.verdict {
				t.Errorf("verdict %s, want %s (reasons %q)", got, tc.verdict, res.Reasons)
			}
			if res.Passed != tc.passed || res.Failed != tc.failed || res.Skipped != tc.skipped {
				t.Errorf("counts %d/%d/%d, want %d/%d/%d", res.Passed, res.Failed, res.Skipped, tc.passed, tc.failed, tc.skipped)
			}
			if tc.reason == "" && len(res.Reasons) > 0 {
				t.Errorf("reasons %q, want none", res.Reasons)
			}
			if tc.reason != "" && (len(res.Reasons) == 0 || !strings.HasPrefix(res.Reasons[0], tc.reason)) {
				t.Errorf("reasons %q, want one starting %q", res.Reasons, tc.reason)
			}
		})
	}
}

func TestJudgeExitStatusFailsCleanTAP(t *testing.T) {
	res := judgeFile(t, "runc-state.tap", 1)
	if res.Verdict() != Fail || len(res.Reasons) != 1 || res.Reasons[0] != "exit status 1" {
		t.Errorf("verdict %s, reasons %q; want FAIL for exit status 1", res.Verdict(), res.Reasons)
	}
	res = judgeFile(t, "runc-state.tap", 124)
	if res.Verdict() != Fail || !strings.Contains(strings.Join(res.Reasons, ";"), "timed out") {
		t.Errorf("verdict %s, reasons %q; want FAIL for a timeout", res.Verdict(), res.Reasons)
	}
}

func TestJudgeSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name, tap               string
		quiet                   bool
		verdict                 Verdict
		passed, failed, skipped int
		reason                  string
	}{
		{"no output", "", false, Fail, 0, 0, 0, "no TAP plan"},
		{"no output, quiet program", "", true, Pass, 0, 0, 0, ""},
		{"quiet program that printed", "TAP version 13\nnot ok 1 - x\n1..1\n", true, Fail, 0, 1, 0, "not ok: x"},
		{"header only", "TAP version 13\n", false, Fail, 0, 0, 0, "no TAP plan"},
		{"fewer tests than planned", "TAP version 13\n1..3\nok 1 - a\nok 2 - b\n", false, Fail, 2, 0, 0, "planned 3 tests, ran 2"},
		{"two plans", "1..1\nok 1 - a\n1..1\n", false, Fail, 1, 0, 0, "more than one TAP plan"},
		{"bail out", "TAP version 13\nok 1 - a\nBail out! no rootfs\n1..1\n", false, Fail, 1, 0, 0, "Bail out! no rootfs"},
		{"skips only", "TAP version 13\n1..1\nok 1 # SKIP not linux\n", false, Skip, 0, 0, 1, ""},
		{"skip-all plan", "TAP version 13\n1..0 # Skipped: nothing to do\n", false, Skip, 0, 0, 0, ""},
		{"todo failure", "TAP version 13\nnot ok 1 # TODO later\nok 2 - b\n1..2\n", false, Pass, 1, 0, 1, ""},
		{"error block after a comment", "TAP version 13\nok 1 - a\n# note\n  ---\n  {\n    \"error\": \"boom\"\n  }\n  ...\n1..1\n", false, Fail, 1, 1, 0, "error outside any test: boom"},
		{"yaml-style error block", "TAP version 13\n  ---\n  error: hook failed\n  stderr: x\n  ...\n1..0\n", false, Fail, 0, 1, 0, "error outside any test: hook failed"},
		{"nested error key only", "TAP version 13\n  ---\n  {\n    \"state\": {\"error\": \"x\"}\n  }\n  ...\n1..0\n", false, Pass, 0, 0, 0, ""},
		{"unterminated block", "TAP version 13\nok 1 - a\n  ---\n  {\n1..1\n", false, Fail, 1, 0, 0, "unterminated YAML block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Judge(strings.NewReader(tc.tap), 0, tc.quiet)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Verdict(); got != tc.verdict {
				t.Errorf("verdict %s, want %s (reasons %q)", got, tc.verdict, res.Reasons)
			}
			if res.Passed != tc.passed || res.Failed != tc.failed || res.Skipped != tc.skipped {
				t.Errorf("counts %d/%d/%d, want %d/%d/%d", res.Passed, res.Failed, res.Skipped, tc.passed, tc.failed, tc.skipped)
			}
			if tc.reason == "" && len(res.Reasons) > 0 {
				t.Errorf("reasons %q, want none", res.Reasons)
			}
			if tc.reason != "" && !containsPrefix(res.Reasons, tc.reason) {
				t.Errorf("reasons %q, want one starting %q", res.Reasons, tc.reason)
			}
		})
	}
}

func TestJudgeLongLine(t *testing.T) {
	// A container's whole stdout lands in one JSON line of a block.
	long := strings.Repeat("x", 1<<20)
	tap := "TAP version 13\n  ---\n  {\n    \"stdout\": \"" + long + "\"\n  }\n  ...\nok 1 - inside\n1..1\n"
	res, err := Judge(strings.NewReader(tap), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict() != Pass || res.Passed != 1 {
		t.Errorf("verdict %s, passed %d, reasons %q; want ok with 1 passed", res.Verdict(), res.Passed, res.Reasons)
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
