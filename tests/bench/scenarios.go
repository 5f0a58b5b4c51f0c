package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Scenarios the bench can run (-scenarios).
const (
	scenarioCycle = "cycle"
	scenarioExec  = "exec"
	scenarioMany  = "many"
)

func parseScenarios(list string) (map[string]bool, error) {
	want := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		switch s = strings.TrimSpace(s); s {
		case scenarioCycle, scenarioExec, scenarioMany:
			want[s] = true
		default:
			return nil, fmt.Errorf("-scenarios: unknown scenario %q (want cycle, exec, many)", s)
		}
	}
	return want, nil
}

// parseScale reads -scale, a list of container counts.
func parseScale(list string) ([]int, error) {
	var counts []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-scale: %q is not a positive count", f)
		}
		counts = append(counts, n)
	}
	return counts, nil
}

// runExec starts one long-running container per runtime, then times
// `exec ID /bin/true` into each, interleaved and rotating as the cycles
// are, and removes the containers.
func runExec(rts []*runtime, base, long string, n, warmup int, timeout time.Duration, interrupted func() error) (map[string][]cycleResult, error) {
	fmt.Printf("\n%d execs (+%d warm-up) of /bin/true into a running container per runtime, order rotating\n", n, warmup)
	ids, pids := map[string]string{}, map[string]int{}
	defer func() {
		for _, rt := range rts {
			if id, ok := ids[rt.name]; ok {
				req := cycleRequest{Op: opTeardown, ID: id, Pid: pids[rt.name], Timeout: timeout}
				if _, err := rt.do("exec teardown", req); err != nil {
					fmt.Fprintf(os.Stderr, "bench: %v\n", err)
				}
			}
		}
	}()
	for _, rt := range rts {
		id := fmt.Sprintf("sprout-bench-%d-%s-exec", os.Getpid(), rt.name)
		// Recorded first: a failed start still leaves a container to delete.
		ids[rt.name] = id
		res, err := rt.do("exec set-up", cycleRequest{
			Op: opUp, Bundle: long, ID: id, PidFile: filepath.Join(base, rt.name, id+".pid"), Timeout: timeout,
		})
		pids[rt.name] = res.Pid
		if err != nil {
			return nil, err
		}
	}
	results := map[string][]cycleResult{}
	for i := range warmup + n {
		for k := range rts {
			rt := rts[(i+k)%len(rts)]
			res, err := rt.do(fmt.Sprintf("exec %d", i), cycleRequest{Op: opExec, ID: ids[rt.name], Timeout: timeout})
			if err != nil {
				return nil, err
			}
			if i >= warmup {
				results[rt.name] = append(results[rt.name], res)
			}
		}
		if err := interrupted(); err != nil {
			return nil, err
		}
	}
	return results, nil
}

// manyResult is one run of the many scenario.
type manyResult struct {
	runtime string
	count   int
	scale   bool // one of sprout's -scale runs, not the comparison
	res     cycleResult
}

// runMany brings -many containers up and down with -parallel commands at
// once for every runtime, then sprout alone at each -scale count, to show
// how its cost per container grows with the number of containers.
func runMany(cfg config, rts []*runtime, long string, interrupted func() error) ([]manyResult, error) {
	counts, err := parseScale(cfg.scale)
	if err != nil {
		return nil, err
	}
	fmt.Printf("\n%d containers (sleep) created and started, %d commands at once, then deleted with --force, per runtime; sprout also at %s\n",
		cfg.many, cfg.parallel, cfg.scale)
	var out []manyResult
	run := func(rt *runtime, count int, scale bool) error {
		id := fmt.Sprintf("sprout-bench-%d-%s-many%d", os.Getpid(), rt.name, count)
		res, err := rt.do(fmt.Sprintf("many %d", count), cycleRequest{
			Op: opMany, Bundle: long, ID: id, Count: count, Parallel: cfg.parallel, Timeout: cfg.timeout,
		})
		if err != nil {
			return err
		}
		out = append(out, manyResult{rt.name, count, scale, res})
		return interrupted()
	}
	for _, rt := range rts {
		if err := run(rt, cfg.many, false); err != nil {
			return nil, err
		}
	}
	for _, rt := range rts {
		if rt.name != nameSprout {
			continue
		}
		for _, count := range counts {
			if err := run(rt, count, true); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
