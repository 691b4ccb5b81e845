package main

import (
	"context"
	"log/slog"
)

// component is one part of a running process. start brings it up; stop,
// when not nil, takes it down again and is called only if start succeeded.
// A stop reports what went wrong; the process goes on stopping the others.
type component struct {
	name  string
	start func(ctx context.Context) error
	stop  func() error
}

// runComponents starts parts in order, then waits, then stops the started
// ones in reverse order: what a component uses was started before it, so
// it is still there while the component stops. When a start fails, the
// parts started before it are stopped the same way and its error returned.
// wait returns on a signal (ctx done) or on a fatal error of a running part,
// which runComponents returns after the stops.
func runComponents(ctx context.Context, log *slog.Logger, parts []component, wait func(context.Context) error) error {
	started := make([]component, 0, len(parts))
	defer func() {
		for i := len(started) - 1; i >= 0; i-- {
			c := started[i]
			if c.stop == nil {
				continue
			}
			if err := c.stop(); err != nil {
				log.Error("stop "+c.name, "error", err)
			}
		}
	}()
	for _, c := range parts {
		if err := c.start(ctx); err != nil {
			return err
		}
		started = append(started, c)
	}
	return wait(ctx)
}
