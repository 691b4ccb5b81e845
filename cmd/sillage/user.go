package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

func runUser(ctx context.Context, args []string, out io.Writer) error {
	var ef engineFlags
	var email string
	var fromStdin bool
	f := newFlags("user", `Usage: sillage user add --email E --password-stdin [flags]

Creates a dashboard account. The password is read from the first line of
standard input, so it never shows in the process list or shell history:
  printf '%s\n' "$PASSWORD" | sillage user add --email claire@example.fr --password-stdin`)
	ef.register(f)
	f.stringVar(&email, "email", "SILLAGE_USER_EMAIL", "", "the account's email address")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.args) != 1 || f.args[0] != "add" {
		return fmt.Errorf("usage: sillage user add --email E --password-stdin")
	}
	if email == "" {
		return fmt.Errorf("--email is required")
	}
	if !fromStdin {
		return fmt.Errorf("--password-stdin is required: pass the password on standard input")
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read password from standard input: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	log := cliLogger()
	ops, where, done, err := ef.ops(ctx, log)
	if err != nil {
		return err
	}
	defer done()
	u, err := ops.AddUser(ctx, email, password)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "added user %s through %s\n", u.Email, where)
	return err
}
