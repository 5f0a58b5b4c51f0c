package integration

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// peerEnv names the directory through which a second run of this test
// binary, started by TestConcurrentRunsOwnCgroups, reports to the first.
const peerEnv = "SPROUT_TEST_PEER_DIR"

// Two runs of the suite at once (two developers on one host, CI beside a
// manual run) start containers of the same ID: each must get cgroups of
// its own, and the end of one must leave the other's container as it
// was. The second run is this test binary again, running this test.
func TestConcurrentRunsOwnCgroups(t *testing.T) {
	if systemdDriver {
		t.Skip("systemd names the unit from the ID, whatever this process's cgroup")
	}
	const id = "tworuns"
	r := newRuntime(t)
	_, pid := startSleeper(t, r, id)
	mine := procCgroups(t, strconv.Itoa(pid))
	if dir := os.Getenv(peerEnv); dir != "" {
		peerReport(t, dir, mine)
		return
	}

	dir := t.TempDir()
	peer := exec.Command(os.Args[0], "-test.run=^TestConcurrentRunsOwnCgroups$", "-test.count=1", "-test.v")
	peer.Env = append(os.Environ(), peerEnv+"="+dir)
	wait, err := harness.Start(peer, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var peerOut harness.Output
	ended := make(chan struct{})
	go func() { peerOut, _ = wait(); close(ended) }()
	done := filepath.Join(dir, "done")
	t.Cleanup(func() {
		os.WriteFile(done, []byte("done"), 0o644)
		<-ended
	})
	var data []byte
	reported := harness.Poll(90*time.Second, func() bool {
		select {
		case <-ended:
			t.Fatalf("the second run ended before its container ran: exit %d\n%s%s", peerOut.Code, peerOut.Stdout, peerOut.Stderr)
		default:
		}
		data, err = os.ReadFile(filepath.Join(dir, "cgroups"))
		return err == nil
	})
	if !reported {
		t.Fatal("the second run never reported its container's cgroups")
	}
	theirs := map[string]string{}
	if err := json.Unmarshal(data, &theirs); err != nil {
		t.Fatalf("the second run reported %q: %v", data, err)
	}
	for h, cg := range mine {
		if theirs[h] == cg {
			t.Errorf("both runs' container %s is in cgroup %s (hierarchy %q)", id, cg, h)
		}
	}
	if err := os.WriteFile(done, []byte("done"), 0o644); err != nil {
		t.Fatal(err)
	}
	if <-ended; peerOut.Code != 0 {
		t.Fatalf("the second run: exit %d\n%s%s", peerOut.Code, peerOut.Stdout, peerOut.Stderr)
	}
	// The second run has deleted its container and its run's cgroup.
	if now := procCgroups(t, strconv.Itoa(pid)); !harness.Alive(pid) || !maps.Equal(now, mine) {
		t.Fatalf("after the second run, this run's container (alive: %v) is in %v, was in %v", harness.Alive(pid), now, mine)
	}
	if st := r.mustState(id); st.Status != "running" {
		t.Fatalf("after the second run, this run's container is %s", st.Status)
	}
}

// peerReport is the second run's part: it writes its container's cgroups
// to dir/cgroups and holds the container until dir/done appears.
func peerReport(t *testing.T, dir string, cgroups map[string]string) {
	data, err := json.Marshal(cgroups)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "cgroups.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "cgroups")); err != nil {
		t.Fatal(err)
	}
	if _, ok := harness.PollFile(filepath.Join(dir, "done"), time.Minute); !ok {
		t.Fatal("the first run never said it was done")
	}
}
