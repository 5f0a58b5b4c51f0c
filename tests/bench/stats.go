package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

// Targets sprout is held to.
const (
	maxRatioCrun     = 0.9 // sprout median / crun median, cycle
	maxRatioRSS      = 0.6 // sprout peak RSS / runc peak RSS, any process
	maxExecRatioCrun = 0.9 // sprout exec median / crun's
	maxExecRatioRunc = 0.5 // sprout exec median / runc's
	maxManyRatioCrun = 0.9 // sprout wall time for -many containers / crun's
	// Cost per container at the largest -scale count over the smallest:
	// flat, give or take the machine's noise, means no scan of the state
	// root or the cgroup tree per command.
	maxScaleGrowth = 1.3
)

// median of samples; the mean of the middle two for an even count.
func median(samples []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(samples))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile is the nearest-rank p-th percentile of samples (0 < p <= 100).
func percentile(samples []time.Duration, p float64) time.Duration {
	s := slices.Sorted(slices.Values(samples))
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

// summary condenses a runtime's measured cycles.
type summary struct {
	median, p90 time.Duration
	phases      [numPhases]time.Duration // medians
	peakRSS     int64                    // KiB, over every process and cycle
	rssByRole   map[string]int64
}

func summarize(results []cycleResult) summary {
	s := summary{rssByRole: map[string]int64{}}
	var totals []time.Duration
	var phases [numPhases][]time.Duration
	for _, r := range results {
		totals = append(totals, r.Total)
		for p, d := range r.Phases {
			phases[p] = append(phases[p], d)
		}
		for role, kib := range r.MaxRSS {
			s.rssByRole[role] = max(s.rssByRole[role], kib)
			s.peakRSS = max(s.peakRSS, kib)
		}
	}
	s.median = median(totals)
	s.p90 = percentile(totals, 90)
	for p := range phases {
		s.phases[p] = median(phases[p])
	}
	return s
}

func report(w io.Writer, rts []*runtime) {
	sums := map[string]summary{}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "runtime\tmedian ms\tp90 ms\tpeak RSS KiB\t")
	for _, rt := range rts {
		s := summarize(rt.results)
		sums[rt.name] = s
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t\n", rt.name, ms(s.median), ms(s.p90), s.peakRSS)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nmedian ms by phase:")
	fmt.Fprint(tw, "runtime\t")
	for _, name := range phaseNames {
		fmt.Fprintf(tw, "%s\t", name)
	}
	fmt.Fprintln(tw)
	for _, rt := range rts {
		fmt.Fprintf(tw, "%s\t", rt.name)
		for _, d := range sums[rt.name].phases {
			fmt.Fprintf(tw, "%s\t", ms(d))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	fmt.Fprintln(w, "\npeak RSS KiB by process (a command's includes the children it reaped itself):")
	fmt.Fprint(tw, "runtime\t")
	for _, role := range roles {
		fmt.Fprintf(tw, "%s\t", role)
	}
	fmt.Fprintln(tw)
	for _, rt := range rts {
		fmt.Fprintf(tw, "%s\t", rt.name)
		for _, role := range roles {
			fmt.Fprintf(tw, "%d\t", sums[rt.name].rssByRole[role])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	fmt.Fprintln(w)
	sp := sums[nameSprout]
	runc, haveRunc := sums[nameRunc]
	crun, haveCrun := sums[nameCrun]
	target(w, "sprout/crun median", haveCrun, nameCrun, ratio(float64(sp.median), float64(crun.median)), maxRatioCrun)
	info(w, "sprout/runc median", haveRunc, ratio(float64(sp.median), float64(runc.median)))
	target(w, "sprout/runc peak RSS", haveRunc, nameRunc, ratio(float64(sp.peakRSS), float64(runc.peakRSS)), maxRatioRSS)
}

// reportExec prints the exec scenario: medians, the exec command's peak
// RSS, and the targets.
func reportExec(w io.Writer, rts []*runtime, results map[string][]cycleResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "runtime	exec median ms	p90 ms	peak RSS KiB	")
	meds := map[string]time.Duration{}
	for _, rt := range rts {
		s := summarize(results[rt.name])
		meds[rt.name] = s.median
		fmt.Fprintf(tw, "%s	%s	%s	%d	\n", rt.name, ms(s.median), ms(s.p90), s.peakRSS)
	}
	tw.Flush()
	fmt.Fprintln(w)
	crun, haveCrun := meds[nameCrun]
	runc, haveRunc := meds[nameRunc]
	target(w, "sprout/crun exec", haveCrun, nameCrun, ratio(float64(meds[nameSprout]), float64(crun)), maxExecRatioCrun)
	target(w, "sprout/runc exec", haveRunc, nameRunc, ratio(float64(meds[nameSprout]), float64(runc)), maxExecRatioRunc)
}

// reportMany prints the many scenario: wall time up and down per runtime,
// sprout's cost per container at each count, and the targets.
func reportMany(w io.Writer, cfg config, results []manyResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "runtime	containers	up ms	down ms	total ms	ms per container	")
	walls := map[string]time.Duration{}
	var scale []manyResult
	for _, r := range results {
		fmt.Fprintf(tw, "%s	%d	%s	%s	%s	%.2f	\n", r.runtime, r.count, ms(r.res.Phases[phaseCreate]),
			ms(r.res.Phases[phaseDelete]), ms(r.res.Total), perContainer(r))
		if r.scale {
			scale = append(scale, r)
		} else {
			walls[r.runtime] = r.res.Total
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	crun, haveCrun := walls[nameCrun]
	target(w, fmt.Sprintf("sprout/crun %d at once", cfg.many), haveCrun, nameCrun,
		ratio(float64(walls[nameSprout]), float64(crun)), maxManyRatioCrun)
	if len(scale) >= 2 {
		small, large := scale[0], scale[0]
		for _, r := range scale {
			if r.count < small.count {
				small = r
			}
			if r.count > large.count {
				large = r
			}
		}
		target(w, fmt.Sprintf("sprout per container %d/%d", large.count, small.count), true, "",
			ratio(perContainer(large), perContainer(small)), maxScaleGrowth)
	}
}

func perContainer(r manyResult) float64 {
	return float64(r.res.Total) / float64(time.Millisecond) / float64(r.count)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.Inf(1)
	}
	return a / b
}

// info prints a ratio that has no target.
func info(w io.Writer, what string, have bool, got float64) {
	if have {
		fmt.Fprintf(w, "%-22s %5.2f\n", what, got)
	}
}

func target(w io.Writer, what string, have bool, other string, got, limit float64) {
	if !have {
		fmt.Fprintf(w, "%-22s   n/a  (target <= %.2f) %s not run\n", what, limit, other)
		return
	}
	verdict := "MISS"
	if got <= limit {
		verdict = "PASS"
	}
	fmt.Fprintf(w, "%-22s %5.2f  (target <= %.2f) %s\n", what, got, limit, verdict)
}
