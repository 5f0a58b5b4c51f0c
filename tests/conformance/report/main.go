// Command report judges the TAP logs of the OCI runtime-tools validation
// programs for run.sh.
//
//	report line DIR PROG
//	report summary -known FILE -suite P1,P2,... -programs P1,P2,... DIR...
//
// line prints the verdict of one program's run. summary compares the log
// directories, the first being the runtime under test and the second the
// reference, and exits 1 when a program passes with the reference but fails
// with the runtime under test without being a known difference.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

var errUsage = errors.New("usage: report line DIR PROG, or report summary -known FILE -suite LIST -programs LIST DIR [DIR ...]")

func main() {
	regressions, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(2)
	}
	if regressions {
		os.Exit(1)
	}
}

func run(args []string) (bool, error) {
	if len(args) == 0 {
		return false, errUsage
	}
	switch args[0] {
	case "line":
		if len(args) != 3 {
			return false, errUsage
		}
		return false, line(args[1], args[2])
	case "summary":
		return summary(args[1:])
	default:
		return false, errUsage
	}
}

func line(dir, prog string) error {
	name, err := RuntimeName(dir)
	if err != nil {
		return err
	}
	res, err := LoadResult(dir, prog)
	if err != nil {
		return fmt.Errorf("program %s: %w", prog, err)
	}
	fmt.Println(FormatLine(name, prog, res))
	return nil
}

func summary(args []string) (bool, error) {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	knownPath := fs.String("known", "", "file of known differences")
	suiteList := fs.String("suite", "", "comma-separated programs of the whole suite")
	programList := fs.String("programs", "", "comma-separated programs that were run")
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	if *knownPath == "" || *suiteList == "" || *programList == "" || fs.NArg() == 0 {
		return false, errUsage
	}
	suite := strings.Split(*suiteList, ",")
	programs := strings.Split(*programList, ",")

	f, err := os.Open(*knownPath)
	if err != nil {
		return false, fmt.Errorf("opening known differences: %w", err)
	}
	defer f.Close()
	known, err := ParseKnown(f, suite)
	if err != nil {
		return false, fmt.Errorf("%s: %w", *knownPath, err)
	}

	runs := make([]Run, 0, fs.NArg())
	for _, dir := range fs.Args() {
		r, err := LoadRun(dir, programs)
		if err != nil {
			return false, fmt.Errorf("log directory %s: %w", dir, err)
		}
		runs = append(runs, r)
	}
	return len(Summarize(os.Stdout, runs, programs, known)) > 0, nil
}
