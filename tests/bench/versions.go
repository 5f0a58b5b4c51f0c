package main

import (
	"fmt"
	"io"
	"os/exec"
	"time"
)

// versionRuns is how many `--version` runs a runtime's figure is the
// median of.
const versionRuns = 21

// versionTimes measures the median wall time of `binary --version` for
// each runtime: the cost of starting the runtime at all on this machine.
func versionTimes(rts []*runtime) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, rt := range rts {
		var samples []time.Duration
		for range versionRuns {
			t0 := time.Now()
			if err := exec.Command(rt.binary, "--version").Run(); err != nil {
				break
			}
			samples = append(samples, time.Since(t0))
		}
		if len(samples) == versionRuns {
			out[rt.name] = median(samples)
		}
	}
	return out
}

func printVersionTimes(w io.Writer, rts []*runtime, vers map[string]time.Duration) {
	fmt.Fprintf(w, "`--version` wall time (median of %d runs):", versionRuns)
	for _, rt := range rts {
		if d, ok := vers[rt.name]; ok {
			fmt.Fprintf(w, " %s %.2f ms", rt.name, float64(d)/float64(time.Millisecond))
		} else {
			fmt.Fprintf(w, " %s n/a", rt.name)
		}
	}
	fmt.Fprintln(w)
}
