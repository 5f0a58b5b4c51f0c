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
