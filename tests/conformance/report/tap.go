package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Verdict is the judgement of one run of one validation program.
type Verdict int

const (
	Pass Verdict = iota
	Fail
	Skip
)

func (v Verdict) String() string {
	switch v {
	case Pass:
		return "ok"
	case Fail:
		return "FAIL"
	default:
		return "SKIP"
	}
}

// Result is what one validation program reported, combined with how it
// exited.
type Result struct {
	Passed, Failed, Skipped int
	// Reasons explains every failure: failing tests, error blocks that belong
	// to no test, broken TAP, a non-zero exit status.
	Reasons []string
	// skipAll is set by a "1..0 # SKIP" plan: the program chose to test
	// nothing, which is not a pass.
	skipAll bool
}

// Verdict fails a program on any reason at all, because the suite reports
// some failures only through its exit status or an error block.
func (r Result) Verdict() Verdict {
	switch {
	case r.Failed > 0 || len(r.Reasons) > 0:
		return Fail
	case r.Passed == 0 && (r.Skipped > 0 || r.skipAll):
		return Skip
	default:
		return Pass
	}
}

var (
	planLine = regexp.MustCompile(`^1\.\.(\d+)\s*(?:#\s*(.*))?$`)
	testLine = regexp.MustCompile(`^(not )?ok\b\s*(?:\d+)?\s*(?:- )?(.*)$`)
	// The directive is whatever follows the last unescaped '#'; the suite's
	// descriptions never contain one, so the first is good enough.
	directive = regexp.MustCompile(`(?i)#\s*(skip|todo)\S*\s*(.*)$`)
)

// maxLine bounds one TAP line; the suite embeds a container's whole stdout
// in a single JSON line.
const maxLine = 16 << 20

// Judge reads the TAP stream of one program that exited with status. A YAML
// block that directly follows a test line is that test's diagnostic (it
// may carry an expected error); one that follows anything else and holds an
// "error" key is how the hook programs report their failures, so it counts
// as a failed test. The stream may hold several TAP documents, each with
// its own plan, as some programs run two suites in a row. quietPass
// accepts a stream without any line, for the programs that only print
// when the runtime wrongly accepts their configuration.
func Judge(tap io.Reader, status int, quietPass bool) (Result, error) {
	var (
		res          Result
		planned      = -1
		tests        int
		started      bool
		afterTest    bool
		inBlock      bool
		blockForTest bool
		block        []string
		anyLine      bool
	)
	endDocument := func() {
		switch {
		case planned < 0:
			res.Reasons = append(res.Reasons, "no TAP plan")
		case planned != tests:
			res.Reasons = append(res.Reasons, fmt.Sprintf("planned %d tests, ran %d", planned, tests))
		}
		planned, tests, started = -1, 0, false
	}
	sc := bufio.NewScanner(tap)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if inBlock {
			if trimmed == "..." {
				inBlock = false
				if msg, ok := blockError(block); ok && !blockForTest {
					res.Failed++
					res.Reasons = append(res.Reasons, "error outside any test: "+msg)
				}
				continue
			}
			block = append(block, line)
			continue
		}
		if trimmed == "---" && line != trimmed {
			inBlock, blockForTest, block = true, afterTest, nil
			afterTest = false
			continue
		}
		if trimmed == "" {
			continue
		}
		anyLine = true
		plan := planLine.FindStringSubmatch(line)
		test := testLine.FindStringSubmatch(line)
		switch {
		case strings.HasPrefix(line, "TAP version"):
			afterTest = false
			if started {
				endDocument()
			}
			started = true
		case strings.HasPrefix(line, "#"):
			afterTest = false
		case strings.HasPrefix(line, "Bail out!"):
			afterTest = false
			res.Reasons = append(res.Reasons, line)
		case plan != nil:
			afterTest, started = false, true
			if planned >= 0 {
				res.Reasons = append(res.Reasons, "more than one TAP plan")
			}
			n, err := strconv.Atoi(plan[1])
			if err != nil {
				return res, fmt.Errorf("TAP plan %q: %w", line, err)
			}
			planned = n
			res.skipAll = n == 0 && strings.HasPrefix(strings.ToLower(plan[2]), "skip")
		case test != nil:
			afterTest, started = true, true
			tests++
			res.count(test[1] != "", test[2])
		}
		// Any other line continues a test description, as the suite's span
		// lines ("...\nRefer to: URL"): a block after it is still the test's.
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("reading TAP: %w", err)
	}
	if inBlock {
		res.Reasons = append(res.Reasons, "unterminated YAML block")
	}
	if anyLine || !quietPass {
		endDocument()
	}
	switch {
	case status == 124 || status == 137:
		// timeout(1)'s own statuses: the program was stopped, not failing.
		res.Reasons = append(res.Reasons, fmt.Sprintf("timed out (exit status %d)", status))
	case status != 0:
		res.Reasons = append(res.Reasons, fmt.Sprintf("exit status %d", status))
	}
	return res, nil
}

// count adds one test line, desc being all after "ok N - ".
func (r *Result) count(failed bool, desc string) {
	kind := ""
	if d := directive.FindStringSubmatch(desc); d != nil {
		kind = strings.ToLower(d[1])
	}
	switch {
	case kind == "skip" && !failed:
		r.Skipped++
	case kind == "todo" && failed:
		// An expected failure, by TAP's definition not a failure.
		r.Skipped++
	case failed:
		r.Failed++
		r.Reasons = append(r.Reasons, "not ok: "+desc)
	default:
		r.Passed++
	}
}

var yamlErrorKey = regexp.MustCompile(`^error\s*:\s*(.*)$`)

// blockError returns the top-level "error" entry of a YAML block. tap-go
// writes its blocks as indented JSON unless built with the yaml tag, so
// both forms are read.
func blockError(lines []string) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(strings.Join(lines, "\n")), &obj) == nil {
		raw, ok := obj["error"]
		if !ok {
			return "", false
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		return s, true
	}
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if n := len(l) - len(strings.TrimLeft(l, " ")); indent < 0 || n < indent {
			indent = n
		}
	}
	for _, l := range lines {
		if len(l) <= indent || l[:indent] != strings.Repeat(" ", indent) {
			continue
		}
		if m := yamlErrorKey.FindStringSubmatch(l[indent:]); m != nil {
			return strings.Trim(m[1], `"'`), true
		}
	}
	return "", false
}
