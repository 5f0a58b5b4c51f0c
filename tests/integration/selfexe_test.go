package integration

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// CVE-2019-5736: while the init is still the sprout binary, the binary it
// runs from must sit on a read-only mount, so no process that reaches it
// through /proc/<pid>/exe can open it for writing, now or after it exits.
func TestSelfExeReadOnly(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "true")
	b.save(t)
	r.must("create", "--bundle", b.dir, "exe")
	defer r.sprout("delete", "--force", "exe")
	pid := r.mustState("exe").Pid
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if st.Flags&unix.ST_RDONLY == 0 {
		t.Fatalf("the init's binary is on a writable mount (flags %#x)", st.Flags)
	}
	w, err := os.OpenFile("/proc/"+strconv.Itoa(pid)+"/exe", os.O_WRONLY, 0)
	if err == nil {
		w.Close()
		t.Fatal("the init's binary could be opened for writing")
	}
}
