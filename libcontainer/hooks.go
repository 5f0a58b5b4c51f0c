package libcontainer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runHook runs one OCI hook with the container state on its stdin. It runs
// in the namespaces of whoever calls it: the runtime's for the
// runtime-namespace hooks, the container's when the init calls it.
func runHook(h specs.Hook, state specs.State) error {
	data, err := json.Marshal(state)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return fmt.Errorf("hook %s: timeout must be positive, got %d", h.Path, *h.Timeout)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	} else {
		cmd.Args = []string{h.Path}
	}
	cmd.Env = h.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdin = bytes.NewReader(data)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A hook that forks a daemon holding stdout open must not hang us.
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("hook %s: killed after its timeout of %ds", h.Path, *h.Timeout)
	}
	if err != nil {
		msg := strings.TrimSpace(out.String())
		if msg != "" {
			return fmt.Errorf("error running hook %s: %w: %s", h.Path, err, msg)
		}
		return fmt.Errorf("error running hook %s: %w", h.Path, err)
	}
	return nil
}

// runHooks runs the hooks of one phase in order. With failFast the first
// failure is returned; otherwise every hook runs and failures come back as
// warnings, as the spec wants for poststart and poststop.
func runHooks(hooks []specs.Hook, phase string, state specs.State, failFast bool) []string {
	var warnings []string
	for i, h := range hooks {
		debugf("%s hook %d: running %s", phase, i, h.Path)
		if err := runHook(h, state); err != nil {
			msg := fmt.Sprintf("%s hook %d: %v", phase, i, err)
			if failFast {
				return []string{msg}
			}
			warnings = append(warnings, msg)
		}
	}
	return warnings
}

// runHooksStrict runs the hooks of a phase whose failure fails the operation.
func runHooksStrict(hooks []specs.Hook, phase string, state specs.State) error {
	if w := runHooks(hooks, phase, state, true); len(w) > 0 {
		return fmt.Errorf("%s", w[0])
	}
	return nil
}
