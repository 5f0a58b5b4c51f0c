package harness

import (
	"fmt"
	"os"
)

// SproutBin is the sprout binary under test, $SPROUT_BIN, for a tier's
// TestMain. It ends the test binary where the tier cannot run: not as
// root, without busybox, or without the binary.
func SproutBin(tier string) string {
	stop := func(why ...any) {
		fmt.Println(append([]any{tier + " tests:"}, why...)...)
		os.Exit(1)
	}
	if os.Geteuid() != 0 {
		stop("need root")
	}
	if _, err := Applets(); err != nil {
		stop("busybox-static is needed at", Busybox, err)
	}
	bin := os.Getenv("SPROUT_BIN")
	if bin == "" {
		stop("set SPROUT_BIN to the sprout binary under test (make does)")
	}
	return bin
}
