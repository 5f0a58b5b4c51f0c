package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sprout-runtime/sprout/tests/harness"
)

// Two containers given the same cgroupsPath, the first making it: ps of
// either lists both inits (runc's ps lists the cgroup), and delete
// --force of the first, which has its own PID namespace, kills only its
// own processes, as runc does; the cgroup still in use is left.
func TestSharedCgroupOfTwoContainers(t *testing.T) {
	r := newRuntime(t)
	name := fmt.Sprintf("sprout-twoshare-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		for _, m := range harness.CgroupMounts(t) {
			for range 100 {
				if err := os.Remove(filepath.Join(m, name)); err == nil || os.IsNotExist(err) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
	pids := map[string]int{}
	for _, id := range []string{"share1", "share2"} {
		b := newBundle(t, "sleep 1000")
		b.spec.Linux.CgroupsPath = "/" + name
		b.save(t)
		r.must("run", "-d", "--bundle", b.dir, id)
		pids[id] = r.mustState(id).Pid
	}
	var listed []int
	if err := json.Unmarshal([]byte(r.must("ps", "--format", "json", "share1")), &listed); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range listed {
		seen[p] = true
	}
	if !seen[pids["share1"]] || !seen[pids["share2"]] {
		t.Fatalf("ps share1 lists %v, want both inits %v", listed, pids)
	}
	if res := r.sprout("delete", "--force", "share1"); res.code != 0 {
		t.Fatalf("delete --force share1: exit %d: %s", res.code, res.stderr)
	}
	if alive(strconv.Itoa(pids["share1"])) {
		t.Fatalf("share1's init %d survived delete --force", pids["share1"])
	}
	if !alive(strconv.Itoa(pids["share2"])) {
		t.Fatalf("delete --force share1 killed share2's init %d", pids["share2"])
	}
	if st := r.mustState("share2"); st.Status != "running" {
		t.Fatalf("share2 after share1's delete: %s", st.Status)
	}
	r.must("delete", "--force", "share2")
}
