package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// flags is a flag.FlagSet in which every flag has an environment variable
// of the same meaning; a flag given on the command line wins.
type flags struct {
	*flag.FlagSet
	env   map[string]string // flag name → variable
	usage string
	args  []string // positional arguments, flags may come between them
}

func newFlags(name, usage string) *flags {
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), env: map[string]string{}, usage: usage}
	f.SetOutput(io.Discard)
	return f
}

func (f *flags) note(name, env string) {
	f.env[name] = env
	fl := f.Lookup(name)
	fl.Usage += " (env " + env + ")"
}

func (f *flags) stringVar(p *string, name, env, def, usage string) {
	f.StringVar(p, name, def, usage)
	f.note(name, env)
}

func (f *flags) durationVar(p *time.Duration, name, env string, def time.Duration, usage string) {
	f.DurationVar(p, name, def, usage)
	f.note(name, env)
}

// errHelp asks the caller to print help and exit 0.
var errHelp = flag.ErrHelp

func (f *flags) parse(args []string) error {
	for {
		if err := f.Parse(args); err != nil {
			if err == flag.ErrHelp {
				f.printUsage(os.Stdout)
				return errHelp
			}
			return fmt.Errorf("%w (see sillage %s --help)", err, f.Name())
		}
		rest := f.Args()
		if len(rest) == 0 {
			break
		}
		f.args = append(f.args, rest[0])
		args = rest[1:]
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for name, env := range f.env {
		if v, ok := os.LookupEnv(env); ok && !set[name] {
			if err := f.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %w", env, v, err)
			}
		}
	}
	return nil
}

func (f *flags) printUsage(w io.Writer) {
	fmt.Fprintf(w, "%s\n\nFlags:\n", strings.TrimSpace(f.usage))
	f.VisitAll(func(fl *flag.Flag) {
		name, usage := flag.UnquoteUsage(fl)
		line := "  --" + fl.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n      %s", line, usage)
		if fl.DefValue != "" && fl.DefValue != "0" && fl.DefValue != "0s" && fl.DefValue != "false" {
			fmt.Fprintf(w, " [default %s]", fl.DefValue)
		}
		fmt.Fprintln(w)
	})
}

func (f *flags) intVar(p *int, name, env string, def int, usage string) {
	f.IntVar(p, name, def, usage)
	f.note(name, env)
}

func (f *flags) int64Var(p *int64, name, env string, def int64, usage string) {
	f.Int64Var(p, name, def, usage)
	f.note(name, env)
}

func (f *flags) boolVar(p *bool, name, env string, def bool, usage string) {
	f.BoolVar(p, name, def, usage)
	f.note(name, env)
}
