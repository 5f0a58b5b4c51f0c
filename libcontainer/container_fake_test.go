package libcontainer

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/cgroups"
	"github.com/sprout-runtime/sprout/spec"
)

// fakeManager is a cgroups.Manager that records what the lifecycle code
// asks of it, so that pause, resume, update, stats and delete run without
// root and without a cgroup.
type fakeManager struct {
	paused bool
	procs  []int
	stats  *cgroups.Stats
	oom    atomic.Uint64 // read by NotifyOOM's poller
	err    error         // returned by every call that changes the cgroup
	calls  []string
	set    []*specs.LinuxResources
}

func (f *fakeManager) Apply(int) error { f.calls = append(f.calls, "apply"); return f.err }
func (f *fakeManager) Set(r *specs.LinuxResources) error {
	f.calls = append(f.calls, "set")
	if f.err == nil {
		f.set = append(f.set, r)
	}
	return f.err
}

func (f *fakeManager) Freeze() error {
	f.calls = append(f.calls, "freeze")
	if f.err == nil {
		f.paused = true
	}
	return f.err
}

func (f *fakeManager) Thaw() error {
	f.calls = append(f.calls, "thaw")
	if f.err == nil {
		f.paused = false
	}
	return f.err
}
func (f *fakeManager) Paused() (bool, error)          { return f.paused, nil }
func (f *fakeManager) Procs() ([]int, error)          { return f.procs, nil }
func (f *fakeManager) Stats() (*cgroups.Stats, error) { return f.stats, nil }
func (f *fakeManager) OOMKillCount() (uint64, error)  { return f.oom.Load(), nil }
func (f *fakeManager) Destroy() error                 { f.calls = append(f.calls, "destroy"); return f.err }
func (f *fakeManager) Paths() map[string]string       { return map[string]string{"": "/fake"} }

// fakeContainer stores a container of status st under a temporary root,
// whose init is this test process (or, stopped, a process that started at
// another time), with cg as its cgroup manager.
func fakeContainer(t *testing.T, st Status, cg *fakeManager) *Container {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "c1")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	start, _, err := processStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	state := &State{ID: "c1", Pid: os.Getpid(), PidStart: start, CgroupPaths: cg.Paths(), CgroupOwned: []string{}}
	switch st {
	case Creating:
		state.Pid, state.PidStart = 0, 0
	case Stopped:
		state.PidStart = start + 1
	case Paused:
		cg.paused = true
	case Created:
		if err := os.WriteFile(filepath.Join(dir, startSock), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := spec.Default(false)
	s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100 << 20), Swap: i64(200 << 20)}}
	if _, err := writeConfig(dir, s); err != nil {
		t.Fatal(err)
	}
	if err := writeJSONAtomic(dir, stateFile, state); err != nil {
		t.Fatal(err)
	}
	c := &Container{root: root, dir: dir, state: state, cg: cg}
	if got := c.Status(); got != st {
		t.Fatalf("fake container is %s, want %s", got, st)
	}
	return c
}

func TestPauseResumeWithFakeCgroup(t *testing.T) {
	for _, tc := range []struct {
		from             Status
		pause, resume    error // refusal, nil when allowed
		pausedAfterPause bool
	}{
		{Created, nil, ErrNotPaused, true},
		{Running, nil, ErrNotPaused, true},
		{Paused, ErrNotRunning, nil, true},
		{Stopped, ErrNotRunning, ErrNotPaused, false},
		{Creating, ErrNotRunning, ErrNotPaused, false},
	} {
		cg := &fakeManager{}
		c := fakeContainer(t, tc.from, cg)
		err := c.Pause()
		if !errors.Is(err, tc.pause) || (tc.pause == nil) != (err == nil) {
			t.Errorf("pause when %s: %v, want %v", tc.from, err, tc.pause)
		}
		if tc.pause != nil && len(cg.calls) != 0 {
			t.Errorf("pause when %s: refused but the cgroup saw %v", tc.from, cg.calls)
		}
		if cg.paused != tc.pausedAfterPause {
			t.Errorf("pause when %s: frozen %v, want %v", tc.from, cg.paused, tc.pausedAfterPause)
		}

		cg = &fakeManager{}
		c = fakeContainer(t, tc.from, cg)
		err = c.Resume()
		if !errors.Is(err, tc.resume) || (tc.resume == nil) != (err == nil) {
			t.Errorf("resume when %s: %v, want %v", tc.from, err, tc.resume)
		}
		if tc.resume == nil && (cg.paused || !reflect.DeepEqual(cg.calls, []string{"thaw"})) {
			t.Errorf("resume when %s: frozen %v after %v", tc.from, cg.paused, cg.calls)
		}
	}
}

func TestPauseCgroupErrorNamesContainer(t *testing.T) {
	cg := &fakeManager{err: errors.New("freezer stuck")}
	err := fakeContainer(t, Running, cg).Pause()
	if err == nil || !strings.Contains(err.Error(), "pause container c1") || !strings.Contains(err.Error(), "freezer stuck") {
		t.Fatalf("pause with a failing freezer: %v", err)
	}
}

func TestUpdateWithFakeCgroup(t *testing.T) {
	cg := &fakeManager{}
	c := fakeContainer(t, Running, cg)
	if err := c.Update(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(150 << 20)}, Pids: &specs.LinuxPids{Limit: i64(0)}}); err != nil {
		t.Fatal(err)
	}
	if len(cg.set) != 1 {
		t.Fatalf("Set called %d times, want once", len(cg.set))
	}
	// The stored swap comes along (one setting on v2); a zero pids limit
	// means unchanged, as with runc.
	d := cg.set[0]
	if d.Memory == nil || *d.Memory.Limit != 150<<20 || d.Memory.Swap == nil || *d.Memory.Swap != 200<<20 || d.Pids != nil {
		t.Fatalf("delta given to the cgroup: %+v", d)
	}
	// Later commands see the new limit in the stored config.
	again, err := Load(c.root, "c1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := again.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if m := s.Linux.Resources.Memory; *m.Limit != 150<<20 || *m.Swap != 200<<20 {
		t.Fatalf("stored memory after update: limit %d swap %d", *m.Limit, *m.Swap)
	}

	// A failing cgroup leaves the stored config as it was.
	cg = &fakeManager{err: errors.New("EBUSY")}
	c = fakeContainer(t, Running, cg)
	if err := c.Update(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(50 << 20)}}); err == nil || !strings.Contains(err.Error(), "update container c1") {
		t.Fatalf("update with a failing cgroup: %v", err)
	}
	c.spec = nil
	if s, err := c.Spec(); err != nil || *s.Linux.Resources.Memory.Limit != 100<<20 {
		t.Fatalf("stored limit after a failed update: %v", err)
	}

	for _, st := range []Status{Stopped, Creating} {
		cg := &fakeManager{}
		err := fakeContainer(t, st, cg).Update(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}})
		if !errors.Is(err, ErrNotRunning) || len(cg.calls) != 0 {
			t.Errorf("update when %s: %v, cgroup saw %v", st, err, cg.calls)
		}
	}
}

func TestStatsAndProcessesWithFakeCgroup(t *testing.T) {
	want := &cgroups.Stats{}
	cg := &fakeManager{procs: []int{7, 8}, stats: want}
	c := fakeContainer(t, Running, cg)
	pids, err := c.Processes()
	if err != nil || !reflect.DeepEqual(pids, []int{7, 8}) {
		t.Fatalf("processes: %v, %v", pids, err)
	}
	if s, err := c.Stats(); err != nil || s != want {
		t.Fatalf("stats: %v, %v", s, err)
	}
	// A state without a cgroup is damaged: said so, not a nil manager.
	c.cg = nil
	c.state.CgroupPaths = nil
	if err := writeJSONAtomic(c.dir, stateFile, c.state); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stats(); err == nil || !strings.Contains(err.Error(), "records no cgroup") {
		t.Fatalf("stats without a cgroup: %v", err)
	}
}

func TestDeleteWithFakeCgroup(t *testing.T) {
	for _, tc := range []struct {
		st     Status
		force  bool
		refuse error
	}{
		{Stopped, false, nil},
		{Running, false, ErrNotStopped},
		{Paused, false, ErrNotStopped},
		{Creating, false, ErrNotStopped},
	} {
		cg := &fakeManager{}
		c := fakeContainer(t, tc.st, cg)
		err := c.Delete(tc.force)
		if !errors.Is(err, tc.refuse) || (tc.refuse == nil) != (err == nil) {
			t.Errorf("delete when %s: %v, want %v", tc.st, err, tc.refuse)
		}
		_, serr := os.Stat(c.dir)
		if gone := errors.Is(serr, os.ErrNotExist); gone != (tc.refuse == nil) {
			t.Errorf("delete when %s: state directory gone %v (%v)", tc.st, gone, serr)
		}
		// It made no cgroup (cgroupOwned is empty): none is destroyed.
		if len(cg.calls) != 0 {
			t.Errorf("delete when %s: cgroup saw %v", tc.st, cg.calls)
		}
	}
}

func TestNotifyOOMWithFakeCgroup(t *testing.T) {
	cg := &fakeManager{}
	cg.oom.Store(2)
	stop := make(chan struct{})
	ch, err := fakeContainer(t, Running, cg).NotifyOOM(stop)
	if err != nil {
		t.Fatal(err)
	}
	// Kills counted before the call are not reported; each one after is.
	cg.oom.Store(4)
	for i := 0; i < 2; i++ {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("OOM kill %d not reported", i+1)
		}
	}
	select {
	case <-ch:
		t.Fatal("more OOM kills reported than counted")
	case <-time.After(3 * oomPollInterval):
	}
	close(stop)

	// A stopped container's channel closes after a last look.
	cg = &fakeManager{}
	cg.oom.Store(1)
	ch, err = fakeContainer(t, Stopped, cg).NotifyOOM(nil)
	if err != nil {
		t.Fatal(err)
	}
	for range ch {
		t.Fatal("an OOM kill from before NotifyOOM was reported")
	}
}
