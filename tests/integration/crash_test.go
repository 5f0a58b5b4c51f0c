package integration

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// An ID may start with '.', as in runc; the kernel refuses keyrings named
// so, and the session keyring must still be the container's own.
func TestDotIDSessionKeyring(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, "sleep 1000")
	b.save(t)
	id := fmt.Sprintf(".dot%d", time.Now().UnixNano())
	r.must("run", "-d", "--bundle", b.dir, id)
	defer r.sprout("delete", "--force", id)
	keys, err := os.ReadFile("/proc/keys")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(keys), "_ses."+id) {
		t.Fatalf("no session keyring _ses.%s in /proc/keys:\n%s", id, keys)
	}
	r.must("delete", "--force", id)
	if _, err := r.state(id); err == nil {
		t.Fatalf("container %s still exists after delete", id)
	}
}
