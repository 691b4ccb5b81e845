package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
)

func runMigrate(ctx context.Context, args []string, out io.Writer) error {
	var ef engineFlags
	f := newFlags("migrate", `Usage: sillage migrate up | down [N] | version [flags]

Applies the schema migrations embedded in the binary (serve also applies
pending ones at start). "down" reverts N migrations, or all of them.`)
	ef.register(f)
	if err := f.parse(args); err != nil {
		return err
	}
	rest := f.args
	if len(rest) == 0 {
		return fmt.Errorf("missing action: up, down [N] or version")
	}
	action := rest[0]
	n := 0
	switch {
	case action == "up" || action == "version":
		if len(rest) > 1 {
			return fmt.Errorf("%s takes no argument, got %q", action, rest[1])
		}
	case action == "down":
		if len(rest) > 2 {
			return fmt.Errorf("down takes at most one argument")
		}
		if len(rest) == 2 {
			v, err := strconv.Atoi(rest[1])
			if err != nil || v < 1 {
				return fmt.Errorf("down N: N must be a positive number, got %q", rest[1])
			}
			n = v
		}
	default:
		return fmt.Errorf("unknown action %q: up, down [N] or version", action)
	}
	log := cliLogger()
	eng, err := ef.open(ctx, log)
	if err != nil {
		return err
	}
	defer eng.Close()
	m, err := ef.migrator(ctx, eng, log)
	if err != nil {
		return err
	}
	switch action {
	case "up":
		err = m.Up()
	case "down":
		err = m.Down(n)
	}
	if err != nil {
		return err
	}
	v, dirty, err := m.Version()
	if err != nil {
		return err
	}
	state := ""
	if dirty {
		state = " (dirty: the last migration did not finish; 'migrate up' runs it again)"
	}
	_, err = fmt.Fprintf(out, "schema version %d%s\n", v, state)
	return err
}
