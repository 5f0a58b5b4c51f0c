package checkpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/checkpoint-restore/go-criu/v7/crit"
	"github.com/checkpoint-restore/go-criu/v7/crit/images/pagemap"
	"google.golang.org/protobuf/encoding/protowire"
)

// criu's pagemap entry flags (criu/include/pagemap.h).
const (
	pagesInParent = 1 << 0
	pagesPresent  = 1 << 2
)

// pagemapPages counts, over the pagemap images in a criu image directory,
// the pages the directory holds itself and those it takes from its parent
// images (a pre-dump's): the dump after a pre-dump must leave the pages
// that did not change since in the parent.
func pagemapPages(t *testing.T, dir string) (own, inParent uint64) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "pagemap-*.img"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pagemap images in %s (%v)", dir, err)
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := crit.New(f, nil, "", false, true).Decode(&pagemap.PagemapEntry{})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range img.Entries {
			pe, ok := e.Message.(*pagemap.PagemapEntry)
			if !ok {
				continue // the head, which names the pages image
			}
			n := entryPages(pe)
			switch {
			case pe.GetInParent() || pe.GetFlags()&pagesInParent != 0:
				inParent += n
			case pe.GetFlags()&pagesPresent != 0:
				own += n
			}
		}
	}
	return own, inParent
}

// entryPages is an entry's page count: nr_pages up to criu 3, a 64-bit
// field 5 (which go-criu's message does not know yet) from criu 4 on, with
// nr_pages left 0.
func entryPages(pe *pagemap.PagemapEntry) uint64 {
	if n := pe.GetNrPages(); n != 0 {
		return uint64(n)
	}
	b := pe.ProtoReflect().GetUnknown()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0
		}
		b = b[n:]
		if num == 5 && typ == protowire.VarintType {
			v, _ := protowire.ConsumeVarint(b)
			return v
		}
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return 0
		}
		b = b[n:]
	}
	return 0
}
