package main

import (
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// buildBundle writes an OCI bundle in dir: a rootfs holding a static busybox
// and its applet links, and the config.json that `specTool spec` generates,
// changed only to run /bin/true without a terminal, so every runtime gets
// the stock namespaces and mounts.
func buildBundle(dir, busybox, specTool string) error {
	if err := requireStatic(busybox); err != nil {
		return err
	}
	bin := filepath.Join(dir, "rootfs", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("create rootfs: %w", err)
	}
	if err := copyFile(busybox, filepath.Join(bin, "busybox")); err != nil {
		return err
	}
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return fmt.Errorf("%s --list: %w", busybox, err)
	}
	applets := strings.Fields(string(out))
	if !slices.Contains(applets, "true") {
		return fmt.Errorf("%s has no true applet", busybox)
	}
	for _, name := range applets {
		if name == "busybox" {
			continue
		}
		if strings.ContainsRune(name, '/') {
			return fmt.Errorf("%s --list: bad applet name %q", busybox, name)
		}
		if err := os.Symlink("busybox", filepath.Join(bin, name)); err != nil {
			return fmt.Errorf("link applet %s: %w", name, err)
		}
	}
	return writeConfig(dir, specTool)
}

// requireStatic rejects a dynamically linked busybox, whose loader and
// libraries would be missing from the one-binary rootfs.
func requireStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("busybox %s: %w (install busybox-static)", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("busybox %s is dynamically linked (install busybox-static)", path)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	return nil
}

func writeConfig(dir, specTool string) error {
	gen := exec.Command(specTool, "spec")
	gen.Dir = dir
	if out, err := gen.CombinedOutput(); err != nil {
		return fmt.Errorf("%s spec in %s: %w: %s", specTool, dir, err, strings.TrimSpace(string(out)))
	}
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read generated config: %w", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	if s.Process == nil {
		return errors.New("config.json from spec has no process")
	}
	s.Process.Args = []string{"/bin/true"}
	s.Process.Terminal = false
	data, err = json.MarshalIndent(&s, "", "\t")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeLongBundle writes a bundle in dir whose container runs until it is
// killed, sharing base's read-only rootfs, for the exec and many scenarios.
func writeLongBundle(dir, base string) error {
	data, err := os.ReadFile(filepath.Join(base, "config.json"))
	if err != nil {
		return fmt.Errorf("read base config: %w", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("parse base config: %w", err)
	}
	s.Root = &specs.Root{Path: filepath.Join(base, "rootfs"), Readonly: true}
	s.Process.Args = []string{"/bin/sleep", "1000000"}
	if data, err = json.MarshalIndent(&s, "", "\t"); err != nil {
		return fmt.Errorf("encode long-running config: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create bundle %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		return fmt.Errorf("write long-running config: %w", err)
	}
	return nil
}
