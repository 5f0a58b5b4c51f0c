package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Run is every result of one runtime, as run.sh left them in one log
// directory: runtime (the runtime's path), and per program PROG.tap (its
// stdout) and PROG.rc (its exit status).
type Run struct {
	Name    string
	Results map[string]Result
}

// quietPrograms pass by printing nothing: they expect the runtime to refuse
// their configuration and only report when it does not.
var quietPrograms = map[string]bool{
	"process_capabilities_fail": true,
	"process_rlimits_fail":      true,
}

// LoadResult judges one program's logs in dir.
func LoadResult(dir, prog string) (Result, error) {
	rcPath := filepath.Join(dir, prog+".rc")
	rcText, err := os.ReadFile(rcPath)
	if err != nil {
		return Result{}, fmt.Errorf("reading exit status: %w", err)
	}
	status, err := strconv.Atoi(strings.TrimSpace(string(rcText)))
	if err != nil {
		return Result{}, fmt.Errorf("exit status in %s: %w", rcPath, err)
	}
	tapPath := filepath.Join(dir, prog+".tap")
	f, err := os.Open(tapPath)
	if err != nil {
		return Result{}, fmt.Errorf("opening TAP log: %w", err)
	}
	defer f.Close()
	res, err := Judge(f, status, quietPrograms[prog])
	if err != nil {
		return res, fmt.Errorf("%s: %w", tapPath, err)
	}
	return res, nil
}

// RuntimeName is the name a log directory's runtime is shown under.
func RuntimeName(dir string) (string, error) {
	path, err := os.ReadFile(filepath.Join(dir, "runtime"))
	if err != nil {
		return "", fmt.Errorf("reading runtime name: %w", err)
	}
	return filepath.Base(strings.TrimSpace(string(path))), nil
}

// LoadRun judges the programs in one log directory. A program without logs
// fails: the run was interrupted, and passing it would hide that.
func LoadRun(dir string, programs []string) (Run, error) {
	name, err := RuntimeName(dir)
	if err != nil {
		return Run{}, err
	}
	run := Run{Name: name, Results: make(map[string]Result, len(programs))}
	for _, p := range programs {
		res, err := LoadResult(dir, p)
		if errors.Is(err, os.ErrNotExist) {
			res = Result{Reasons: []string{"no log: the program did not run"}}
		} else if err != nil {
			return Run{}, err
		}
		run.Results[p] = res
	}
	return run, nil
}

// Known maps a program to why the first runtime may fail it while the
// reference runtime passes.
type Known map[string]string

// ParseKnown reads known.txt: one "program reason..." a line, blank lines
// and '#' comments ignored. Every program must be one of suite so that a
// typo cannot silently excuse nothing.
func ParseKnown(r io.Reader, suite []string) (Known, error) {
	known := Known{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		prog, reason, _ := strings.Cut(line, " ")
		reason = strings.TrimSpace(reason)
		switch {
		case reason == "":
			return nil, fmt.Errorf("line %d: %s has no reason", n, prog)
		case !slices.Contains(suite, prog):
			return nil, fmt.Errorf("line %d: %s is not a program of the suite", n, prog)
		case known[prog] != "":
			return nil, fmt.Errorf("line %d: %s is listed twice", n, prog)
		}
		known[prog] = reason
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading known differences: %w", err)
	}
	return known, nil
}

// FormatLine is the one line printed for a program as soon as it ran.
func FormatLine(runtime, prog string, res Result) string {
	line := fmt.Sprintf("%-8s %-4s %-34s %d passed, %d failed, %d skipped",
		runtime, res.Verdict(), prog, res.Passed, res.Failed, res.Skipped)
	if len(res.Reasons) > 0 {
		line += "  (" + oneLine(res.Reasons[0], 100)
		if more := len(res.Reasons) - 1; more > 0 {
			line += fmt.Sprintf("; %d more", more)
		}
		line += ")"
	}
	return line
}

func oneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > limit {
		s = s[:limit-3] + "..."
	}
	return s
}

// Summarize prints the scores, the programs on which the runtimes differ,
// every known difference, and last the conformance line of the first
// runtime. It returns the programs that pass with the second (reference)
// runtime, fail with the first and are not known differences.
func Summarize(w io.Writer, runs []Run, programs []string, known Known) []string {
	names := uniqueNames(runs)
	scores := make([]string, len(runs))
	for i, run := range runs {
		scores[i] = fmt.Sprintf("%s: %d/%d", names[i], count(run, programs, Pass), len(programs))
	}
	fmt.Fprintln(w, strings.Join(scores, ", "))

	var regressions []string
	if len(runs) > 1 {
		var rows []string
		for _, p := range programs {
			verdicts := make([]Verdict, len(runs))
			for i, run := range runs {
				verdicts[i] = run.Results[p].Verdict()
			}
			if allSame(verdicts) {
				continue
			}
			row := fmt.Sprintf("  %-34s", p)
			for _, v := range verdicts {
				row += fmt.Sprintf(" %-10s", v)
			}
			isRegression := verdicts[0] == Fail && verdicts[1] == Pass
			switch {
			case isRegression && known[p] != "":
				row += " known difference"
			case isRegression:
				row += " REGRESSION"
				regressions = append(regressions, p)
			}
			rows = append(rows, strings.TrimRight(row, " "))
		}
		if len(rows) == 0 {
			fmt.Fprintln(w, "no differences between the runtimes")
		} else {
			header := fmt.Sprintf("  %-34s", "differences:")
			for _, n := range names {
				header += fmt.Sprintf(" %-10s", n)
			}
			fmt.Fprintln(w, strings.TrimRight(header, " "))
			for _, r := range rows {
				fmt.Fprintln(w, r)
			}
		}
		for _, p := range programs {
			reason, ok := known[p]
			if !ok {
				continue
			}
			first, ref := runs[0].Results[p].Verdict(), runs[1].Results[p].Verdict()
			state := fmt.Sprintf("%s %s, %s %s", names[0], first, names[1], ref)
			if first != Fail || ref != Pass {
				state += ", not differing now"
			}
			fmt.Fprintf(w, "known difference: %s (%s): %s\n", p, state, reason)
		}
		for _, p := range regressions {
			fmt.Fprintf(w, "regression: %s passes with %s but fails with %s\n", p, names[1], names[0])
		}
	}
	fmt.Fprintf(w, "conformance: %d passed, %d failed, %d skipped\n",
		count(runs[0], programs, Pass), count(runs[0], programs, Fail), count(runs[0], programs, Skip))
	return regressions
}

// uniqueNames tells apart a runtime given twice, as when the harness
// is checked against itself.
func uniqueNames(runs []Run) []string {
	names := make([]string, len(runs))
	seen := map[string]int{}
	for i, run := range runs {
		seen[run.Name]++
		names[i] = run.Name
		if n := seen[run.Name]; n > 1 {
			names[i] = fmt.Sprintf("%s#%d", run.Name, n)
		}
	}
	return names
}

func count(run Run, programs []string, v Verdict) int {
	n := 0
	for _, p := range programs {
		if run.Results[p].Verdict() == v {
			n++
		}
	}
	return n
}

func allSame(vs []Verdict) bool {
	for _, v := range vs[1:] {
		if v != vs[0] {
			return false
		}
	}
	return true
}
