package systemd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// jobTimeout bounds each call and job, as runc's 30 s: systemd may be busy,
// but a create must not hang for ever.
const jobTimeout = 30 * time.Second

// bus is the D-Bus connection to systemd, opened on first use.
type bus struct {
	// user picks the user's own manager (systemd --user) over the user's
	// session bus instead of the system's, for rootless containers.
	user bool
	conn *sd.Conn
	ver  int
}

func (b *bus) connect() (*sd.Conn, error) {
	if b.conn != nil {
		return b.conn, nil
	}
	if b.user {
		c, err := connectUser()
		if err != nil {
			return nil, err
		}
		b.conn = c
		return c, nil
	}
	// The system bus; as root, systemd's private socket when no bus
	// daemon runs. The connection lives as long as its context, so that
	// is not the context of one call.
	c, err := sd.NewWithContext(context.Background())
	if err != nil {
		return nil, fmt.Errorf("connect to systemd over D-Bus: %w", err)
	}
	b.conn = c
	return c, nil
}

// call runs f with the connection and a context bounded by jobTimeout.
func (b *bus) call(f func(ctx context.Context, c *sd.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	c, err := b.connect()
	if err != nil {
		return err
	}
	return f(ctx, c)
}

func isDBusError(err error, name string) bool {
	var derr dbus.Error
	return errors.As(err, &derr) && derr.Name == name
}

func isInvalidArgs(err error) bool {
	return isDBusError(err, "org.freedesktop.DBus.Error.InvalidArgs") ||
		isDBusError(err, "org.freedesktop.DBus.Error.PropertyReadOnly")
}

// waitJob waits for the result of a job systemd queued.
func waitJob(ctx context.Context, ch <-chan string, what string) error {
	select {
	case result := <-ch:
		if result != "done" {
			return fmt.Errorf("systemd's job to %s ended %q", what, result)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("systemd did not %s within %s", what, jobTimeout)
	}
}

// startScope starts a transient scope. A unit of that name that is still
// loaded because it failed (an earlier container's) is reset and the start
// retried once, as runc does.
func (b *bus) startScope(name string, props []sd.Property) error {
	return b.call(func(ctx context.Context, c *sd.Conn) error {
		ch := make(chan string, 1)
		_, err := c.StartTransientUnitContext(ctx, name, "replace", props, ch)
		if isDBusError(err, "org.freedesktop.systemd1.UnitExists") {
			if rerr := c.ResetFailedUnitContext(ctx, name); rerr == nil {
				_, err = c.StartTransientUnitContext(ctx, name, "replace", props, ch)
			}
		}
		if err != nil {
			return err
		}
		if err := waitJob(ctx, ch, "start "+name); err != nil {
			_ = c.ResetFailedUnitContext(ctx, name)
			return err
		}
		return nil
	})
}

// stopUnit stops a unit and lets systemd forget it; a unit systemd does
// not know (any more) is already stopped.
func (b *bus) stopUnit(name string) error {
	return b.call(func(ctx context.Context, c *sd.Conn) error {
		ch := make(chan string, 1)
		_, err := c.StopUnitContext(ctx, name, "replace", ch)
		if isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
			return nil
		}
		if err != nil {
			return err
		}
		err = waitJob(ctx, ch, "stop "+name)
		// A failed unit stays loaded, with its name taken, until reset.
		_ = c.ResetFailedUnitContext(ctx, name)
		return err
	})
}

func (b *bus) setProperties(name string, props []sd.Property) error {
	return b.call(func(ctx context.Context, c *sd.Conn) error {
		return c.SetUnitPropertiesContext(ctx, name, true, props...)
	})
}

// attach moves pid into the unit's cgroup, or its sub-cgroup sub (a path
// from the unit's cgroup, "" for the cgroup itself).
func (b *bus) attach(name, sub string, pid int) error {
	return b.call(func(ctx context.Context, c *sd.Conn) error {
		return c.AttachProcessesToUnit(ctx, name, sub, []uint32{uint32(pid)})
	})
}

// managerProperty reads a property of the manager in its GVariant text
// form ("\"252.39-1~deb12u1\"").
func (b *bus) managerProperty(name string) (string, error) {
	var v string
	err := b.call(func(_ context.Context, c *sd.Conn) error {
		s, err := c.GetManagerProperty(name)
		v = s
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read systemd's %s: %w", name, err)
	}
	return v, nil
}

// version is systemd's major version, which decides the properties it
// takes.
func (b *bus) version() (int, error) {
	if b.ver != 0 {
		return b.ver, nil
	}
	s, err := b.managerProperty("Version")
	if err != nil {
		return 0, err
	}
	v, err := parseVersion(s)
	if err != nil {
		return 0, err
	}
	b.ver = v
	return v, nil
}

// parseVersion reads the major version from systemd's Version property in
// GVariant text form, such as "\"252.39-1~deb12u1\"" or "\"v245.4-1.fc32\"".
func parseVersion(s string) (int, error) {
	t := strings.TrimLeft(s, "\"v")
	end := 0
	for end < len(t) && t[end] >= '0' && t[end] <= '9' {
		end++
	}
	v, err := strconv.Atoi(t[:end])
	if err != nil {
		return 0, fmt.Errorf("systemd version %s: no number", s)
	}
	return v, nil
}
