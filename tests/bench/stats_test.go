package main

import (
	"testing"
	"time"
)

func TestMedianAndPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	for _, tc := range []struct {
		samples     []time.Duration
		median, p90 time.Duration
	}{
		{ms(7), 7 * time.Millisecond, 7 * time.Millisecond},
		{ms(30, 10, 20), 20 * time.Millisecond, 30 * time.Millisecond},
		{ms(4, 1, 3, 2), 2500 * time.Microsecond, 4 * time.Millisecond},
		// Nearest rank: ceil(0.9*10) = 9th of 10, not the maximum.
		{ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 100), 6500 * time.Microsecond, 10 * time.Millisecond},
	} {
		in := append([]time.Duration(nil), tc.samples...)
		if got := median(tc.samples); got != tc.median {
			t.Errorf("median(%v) = %v, want %v", in, got, tc.median)
		}
		if got := percentile(tc.samples, 90); got != tc.p90 {
			t.Errorf("percentile(%v, 90) = %v, want %v", in, got, tc.p90)
		}
		for i := range in {
			if tc.samples[i] != in[i] {
				t.Fatalf("samples reordered: %v, was %v", tc.samples, in)
			}
		}
	}
}

func TestParseScaleAndScenarios(t *testing.T) {
	if got, err := parseScale("10, 100,500"); err != nil || len(got) != 3 || got[2] != 500 {
		t.Errorf("parseScale = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "10,x", "-5"} {
		if _, err := parseScale(bad); err == nil {
			t.Errorf("parseScale(%q) accepted", bad)
		}
	}
	if got, err := parseScenarios("cycle,many"); err != nil || !got[scenarioCycle] || got[scenarioExec] || !got[scenarioMany] {
		t.Errorf("parseScenarios = %v, %v", got, err)
	}
	if _, err := parseScenarios("cycle,fork"); err == nil {
		t.Error("parseScenarios accepted an unknown scenario")
	}
}
