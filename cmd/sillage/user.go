package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/internal/admin"
)

func runUser(ctx context.Context, args []string, out io.Writer) error {
	var ef engineFlags
	var email, site, role, publicURL string
	var fromStdin, operator bool
	f := newFlags("user", `Usage: sillage user add --email E [--password-stdin] [--site DOMAIN --role ROLE] [--operator] [flags]
       sillage user reset-password --email E --public-url URL [flags]
       sillage user reset-2fa --email E [flags]

Creates a dashboard account, gives an account a role on a site, or both.
With --password-stdin the account is created; the password is read from
the first line of standard input, so it never shows in the process list or
shell history:
  printf '%s\n' "$PASSWORD" | sillage user add --email claire@example.fr --password-stdin --site example.fr --role owner
Without it the account must exist, and --site/--role give it that role
(or change its role there):
  sillage user add --email marc@agence.fr --site example.fr --role viewer
An account made from the command line or by first-run setup gets the role
at once. Any other account that is not yet a member (one made by accepting
an invitation link, which may belong to whoever held that link) gets an
invitation instead, and the command prints its single-use link: hand it to
the person you mean. A member's role always changes at once.
--operator makes the account an operator of the instance.

reset-password prints a single-use link, valid for a limited time, where
the account sets a new password; earlier reset links stop working. Pass it
on to the account's owner by a channel you trust. A reset link keeps the
account's second factor.

reset-2fa removes the account's second factor (its authenticator app and
recovery codes) and ends its sessions: for someone who lost both. Check who
asks first; the account then logs in with its password alone and may set
up a new authenticator.`)
	ef.register(f)
	f.stringVar(&email, "email", "SILLAGE_USER_EMAIL", "", "the account's email address")
	f.BoolVar(&fromStdin, "password-stdin", false, "create the account, with the password read from standard input")
	f.stringVar(&site, "site", "SILLAGE_USER_SITE", "", "domain of a site to give the account a role on")
	f.stringVar(&role, "role", "SILLAGE_USER_ROLE", "", "the account's role on --site: owner, admin or viewer")
	f.BoolVar(&operator, "operator", false, "make the account an operator of the instance")
	f.stringVar(&publicURL, "public-url", "SILLAGE_PUBLIC_URL", "", "the address users open the dashboard at, for links, e.g. https://stats.example.fr")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.args) == 1 && f.args[0] == "reset-password" {
		return resetPassword(ctx, ef, email, publicURL, out)
	}
	if len(f.args) == 1 && f.args[0] == "reset-2fa" {
		return resetTOTP(ctx, ef, email, out)
	}
	if len(f.args) != 1 || f.args[0] != "add" {
		return fmt.Errorf("usage: sillage user add --email E [--password-stdin] [--site DOMAIN --role ROLE] [--operator] | reset-password --email E | reset-2fa --email E")
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
	if res.Invited != nil {
		did = append(did, fmt.Sprintf("%s is invited as %s of %s", res.Invited.Email, res.Invited.Role, res.Invited.Domain))
	}
	if res.Operator {
		did = append(did, res.User.Email+" is an operator")
	}
	if _, err = fmt.Fprintf(out, "%s through %s\n", strings.Join(did, "; "), where); err != nil {
		return err
	}
	return printInvited(out, res.Invited, publicURL)
}

// printInvited prints an invitation's single-use link, shown this once.
// Without --public-url it prints the link's path on the dashboard's
// address: the token cannot be shown again.
func printInvited(out io.Writer, inv *admin.Invited, publicURL string) error {
	if inv == nil {
		return nil
	}
	base := "<dashboard address>"
	if publicURL != "" {
		b, err := parsePublicURL(publicURL)
		if err != nil {
			return fmt.Errorf("%w (the invitation's link: /invite/%s)", err, inv.Token)
		}
		base = b
	}
	_, err := fmt.Fprintf(out, "%s/invite/%s\nsingle use, for %s to accept logged in as that account, valid until %s\n",
		base, inv.Token, inv.Email, inv.Expires.UTC().Format("2006-01-02 15:04 UTC"))
	return err
}

// resetPassword prints a password reset link for the account email.
func resetPassword(ctx context.Context, ef engineFlags, email, publicURL string, out io.Writer) error {
	if email == "" {
		return fmt.Errorf("--email is required")
	}
	base, err := parsePublicURL(publicURL)
	if err != nil {
		return err
	}
	ops, _, done, err := ef.ops(ctx, cliLogger())
	if err != nil {
		return err
	}
	defer done()
	res, err := ops.ResetPassword(ctx, email)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s/reset/%s\nsingle use, for %s, valid until %s\n", base, res.Token, res.Email,
		res.Expires.UTC().Format("2006-01-02 15:04 UTC"))
	return err
}

// resetTOTP removes the second factor of the account email.
func resetTOTP(ctx context.Context, ef engineFlags, email string, out io.Writer) error {
	if email == "" {
		return fmt.Errorf("--email is required")
	}
	ops, where, done, err := ef.ops(ctx, cliLogger())
	if err != nil {
		return err
	}
	defer done()
	res, err := ops.ResetTOTP(ctx, email)
	if err != nil {
		return err
	}
	if res.Had {
		_, err = fmt.Fprintf(out, "removed the second factor of %s; its sessions ended through %s\n", res.Email, where)
	} else {
		_, err = fmt.Fprintf(out, "%s had no second factor; its sessions ended through %s\n", res.Email, where)
	}
	return err
}

// parsePublicURL checks the dashboard's address and returns it without a
// trailing slash.
func parsePublicURL(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("--public-url is required: the address users open the dashboard at, e.g. https://stats.example.fr (or set SILLAGE_PUBLIC_URL)")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--public-url %q: expected http(s)://host[/path], e.g. https://stats.example.fr", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}
