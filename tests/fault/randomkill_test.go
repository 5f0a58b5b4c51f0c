package fault

import (
	"math/rand"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// TestRandomKill SIGKILLs each command SPROUT_RANDOM_KILLS times at a
// random 0-40 ms after it starts, then checks, as TestFaultInjection does,
// that delete --force leaves nothing. `make faults` runs 300 per command;
// without the variable the test is skipped.
func TestRandomKill(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SPROUT_RANDOM_KILLS"))
	if n <= 0 {
		t.Skip("set SPROUT_RANDOM_KILLS to the number of kills per command")
	}
	var report []string
	failed := false
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := newRig(t, "sleep", "1000")
			landed, leaks := 0, 0
			for i := 0; i < n; i++ {
				sc.setup(r)
				cmd := r.cmd(sc.args(r)...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(rand.Int63n(int64(40 * time.Millisecond))))
				cmd.Process.Signal(syscall.SIGKILL)
				if !harness.WaitTimeout(cmd, 60*time.Second) {
					t.Fatalf("%s does not end after SIGKILL", sc.name)
				}
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					landed++
				}
				if bad := r.recover(); len(bad) > 0 {
					leaks++
					if leaks <= 5 {
						t.Errorf("%s kill %d:\n  %s", sc.name, i, strings.Join(bad, "\n  "))
					}
					r.cleanHost()
				}
			}
			report = append(report, sc.name+": "+strconv.Itoa(n)+" kills, "+strconv.Itoa(landed)+" landed before the command ended, "+strconv.Itoa(leaks)+" leaks")
			failed = failed || leaks > 0
		})
	}
	for _, l := range report {
		t.Log(l)
	}
	if failed {
		t.Fail()
	}
}
