package libcontainer

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestWriteAtomicReplaces writes a file and then replaces it: the content
// is the last write's and no temporary file is left in the directory.
func TestWriteAtomicReplaces(t *testing.T) {
	dir := t.TempDir()
	for _, data := range []string{`{"first":1}`, `{"second":2}`, `{"third":3}`} {
		if err := writeAtomic(dir, stateFile, []byte(data)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, stateFile))
		if err != nil || string(got) != data {
			t.Fatalf("%s holds %q (%v), want %q", stateFile, got, err, data)
		}
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 1 {
			t.Fatalf("directory holds %v (%v), want %s alone", entries, err, stateFile)
		}
	}
}

// fiemap is struct fiemap with room for one struct fiemap_extent.
type fiemap struct {
	start, length                  uint64
	flags, mapped, count, reserved uint32
	logical, physical, extLength   uint64
	extReserved64                  [2]uint64
	extFlags                       uint32
	extReserved                    [3]uint32
}

const (
	fsIocFiemap          = 0xc020660b // FS_IOC_FIEMAP
	fiemapExtentDelalloc = 0x4        // FIEMAP_EXTENT_DELALLOC
)

// TestWriteAtomicLeavesBlocksDelayed checks, on ext4, that replacing a
// state file does not force its blocks out: a rename over an existing file
// would (auto_da_alloc), and delete would pay to free them.
func TestWriteAtomicLeavesBlocksDelayed(t *testing.T) {
	dir := t.TempDir()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil || st.Type != unix.EXT4_SUPER_MAGIC {
		t.Skip("the temporary directory is not on ext4")
	}
	for _, data := range []string{`{"pid":0}`, `{"pid":1234}`} {
		if err := writeAtomic(dir, stateFile, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fm := fiemap{length: ^uint64(0), count: 1}
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fsIocFiemap, uintptr(unsafe.Pointer(&fm))); errno != 0 {
		t.Skipf("FIEMAP: %v", errno)
	}
	if fm.mapped != 1 || fm.extFlags&fiemapExtentDelalloc == 0 {
		t.Fatalf("replaced %s: %d extent(s), flags %#x: its blocks were allocated at once", stateFile, fm.mapped, fm.extFlags)
	}
}
