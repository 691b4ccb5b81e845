package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/admin"
)

func runUser(ctx context.Context, args []string, out io.Writer) error {
	var ef engineFlags
	var email, site, role string
	var fromStdin, operator bool
	f := newFlags("user", `Usage: sillage user add --email E [--password-stdin] [--site DOMAIN --role ROLE] [--operator] [flags]

Creates a dashboard account, gives an account a role on a site, or both.
With --password-stdin the account is created; the password is read from
the first line of standard input, so it never shows in the process list or
shell history:
  printf '%s\n' "$PASSWORD" | sillage user add --email claire@example.fr --password-stdin --site example.fr --role owner
Without it the account must exist, and --site/--role give it that role
(or change its role there):
  sillage user add --email marc@agence.fr --site example.fr --role viewer
--operator makes the account an operator of the instance.`)
	ef.register(f)
	f.stringVar(&email, "email", "SILLAGE_USER_EMAIL", "", "the account's email address")
	f.BoolVar(&fromStdin, "password-stdin", false, "create the account, with the password read from standard input")
	f.stringVar(&site, "site", "SILLAGE_USER_SITE", "", "domain of a site to give the account a role on")
	f.stringVar(&role, "role", "SILLAGE_USER_ROLE", "", "the account's role on --site: owner, admin or viewer")
	f.BoolVar(&operator, "operator", false, "make the account an operator of the instance")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.args) != 1 || f.args[0] != "add" {
		return fmt.Errorf("usage: sillage user add --email E [--password-stdin] [--site DOMAIN --role ROLE] [--operator]")
	}
	if email == "" {
		return fmt.Errorf("--email is required")
	}
	if !fromStdin && site == "" && role == "" && !operator {
		return fmt.Errorf("--password-stdin is required to create an account: pass the password on standard input")
	}
	change := admin.UserChange{Email: email, Create: fromStdin, Site: site, Role: sillage.Role(role), Operator: operator}
	if fromStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read password from standard input: %w", err)
		}
		change.Password = strings.TrimRight(line, "\r\n")
	}
	log := cliLogger()
	ops, where, done, err := ef.ops(ctx, log)
	if err != nil {
		return err
	}
	defer done()
	res, err := ops.AddUser(ctx, change)
	if err != nil {
		return err
	}
	var did []string
	if res.Created {
		did = append(did, "added user "+res.User.Email)
	}
	if res.Site != "" {
		did = append(did, fmt.Sprintf("%s is %s of %s", res.User.Email, res.Role, res.Site))
	}
	if res.Operator {
		did = append(did, res.User.Email+" is an operator")
	}
	_, err = fmt.Fprintf(out, "%s through %s\n", strings.Join(did, "; "), where)
	return err
}
