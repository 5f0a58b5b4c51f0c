package libcontainer

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzValidateID: an ID that is accepted names exactly one directory
// right below the state root, whatever bytes it is made of.
func FuzzValidateID(f *testing.F) {
	for _, id := range []string{"abc", "a.b_c+d-e", ".", "..", "../evil", "a/b", ".hidden", "a\x00b", "é", "", strings.Repeat("a", 1025), "/abs"} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ValidateID(id) != nil {
			return
		}
		const root = "/run/sprout"
		p := filepath.Join(root, id)
		if filepath.Dir(p) != root || filepath.Base(p) != id {
			t.Fatalf("ID %q names %s, not a directory right below %s", id, p, root)
		}
		if len(id) > 1024 || strings.ContainsAny(id, "/\x00") {
			t.Fatalf("ID %q accepted", id)
		}
	})
}
