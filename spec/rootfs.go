package spec

import (
	"fmt"
	"os"
	"path/filepath"
)

// RootfsPath returns root.path made absolute against the bundle. Like
// runc it refuses a root.path that is a symlink or is reached through one
// below the bundle: the rootfs is where the config says, never somewhere a
// link in the bundle leads (the bundle directory itself may be reached
// through links).
func RootfsPath(bundle, root string) (string, error) {
	path, want := root, filepath.Clean(root)
	if !filepath.IsAbs(root) {
		path = filepath.Join(bundle, root)
		real, err := filepath.EvalSymlinks(bundle)
		if err != nil {
			return "", fmt.Errorf("bundle %s: %w", bundle, err)
		}
		want = filepath.Join(real, root)
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		return "", fmt.Errorf("root.path %s: not a directory", path)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("root.path %s: %w", path, err)
	}
	if real != want {
		return "", fmt.Errorf("root.path %s: invalid rootfs: it is a symlink or reached through one (to %s)", path, real)
	}
	return path, nil
}
