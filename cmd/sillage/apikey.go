package main

import (
	"context"
	"fmt"
	"io"
)

func runAPIKey(ctx context.Context, args []string, out io.Writer) error {
	var ef engineFlags
	var site, email, name string
	f := newFlags("apikey", `Usage: sillage apikey create --site DOMAIN [--email OWNER] [--name NAME] [flags]

Creates a Stats API key for one site and prints it once: Sillage keeps only
its hash. Use it as 'Authorization: Bearer KEY' on POST /api/v2/query.
The key belongs to the account --email (default: the site's first owner)
and can be revoked from the dashboard's settings.`)
	ef.register(f)
	f.stringVar(&site, "site", "SILLAGE_APIKEY_SITE", "", "domain of the site the key may read")
	f.stringVar(&email, "email", "SILLAGE_APIKEY_EMAIL", "", "account that owns the key")
	f.stringVar(&name, "name", "SILLAGE_APIKEY_NAME", "", "a name to recognise the key by")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.args) != 1 || f.args[0] != "create" {
		return fmt.Errorf("usage: sillage apikey create --site DOMAIN [--email OWNER]")
	}
	if site == "" {
		return fmt.Errorf("--site is required")
	}
	log := cliLogger()
	ops, _, done, err := ef.ops(ctx, log)
	if err != nil {
		return err
	}
	defer done()
	key, err := ops.CreateAPIKey(ctx, site, email, name)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, key)
	return err
}
