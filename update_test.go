package main

import "testing"

// The forms runc's update takes for --memory and the other sizes.
func TestParseMemSize(t *testing.T) {
	for in, want := range map[string]int64{
		"-1": -1, "0": 0, "512": 512, "5b": 5, "5 ": 5, "5 k": 5 << 10,
		"100m": 100 << 20, "100M": 100 << 20, "5kb": 5 << 10, "5KB": 5 << 10,
		"64MiB": 64 << 20, "64mib": 64 << 20, "1.5g": 3 << 29, "8p": 8 << 50,
		// runc 1.1 takes the Kubernetes spelling.
		"100Mi": 100 << 20, "2gi": 2 << 30,
		// What go-units v0.5, in today's runc, takes besides.
		".5g": 1 << 29, "5.g": 5 << 30, "+5": 5, "1e3": 1000,
	} {
		if got, err := parseMemSize(in); err != nil || got != want {
			t.Errorf("parseMemSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "12x", "-5", "-1m", " 5", "m", "5i", "5ib", "5kk", "5mbb", "1.5.2g",
		"9999999999999999999", "8192p",
	} {
		if got, err := parseMemSize(in); err == nil {
			t.Errorf("parseMemSize(%q) = %d, want an error", in, got)
		}
	}
}
