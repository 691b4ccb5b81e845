package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

func runSite(ctx context.Context, args []string, out io.Writer) error {
	var ef engineFlags
	var tz, owner, publicURL string
	f := newFlags("site", `Usage: sillage site add DOMAIN --owner EMAIL [--timezone TZ] | sillage site list [flags]

Adds or lists the sites whose events Sillage accepts. The owner's account
must exist (sillage user add). An account made from the command line or by
first-run setup becomes owner at once; any other (one made by accepting an
invitation link, which may belong to whoever held that link) gets an owner
invitation instead, and the command prints its single-use link: hand it to
the person you mean. Without --owner, the instance's first account adopts
the site at its next login. While a server runs on the same data folder,
the command goes through its admin socket.`)
	ef.register(f)
	f.stringVar(&tz, "timezone", "SILLAGE_SITE_TIMEZONE", "Europe/Paris", "IANA time zone for the site's days, weeks and months")
	f.stringVar(&owner, "owner", "SILLAGE_SITE_OWNER", "", "email of the existing account that becomes the site's owner")
	f.stringVar(&publicURL, "public-url", "SILLAGE_PUBLIC_URL", "", "the address users open the dashboard at, for invitation links, e.g. https://stats.example.fr")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.args) == 0 {
		return fmt.Errorf("missing action: add DOMAIN or list")
	}
	log := cliLogger()
	switch action := f.args[0]; {
	case action == "add" && len(f.args) == 2:
		ops, where, done, err := ef.ops(ctx, log)
		if err != nil {
			return err
		}
		defer done()
		site, err := ops.AddSite(ctx, f.args[1], tz, owner)
		if err != nil {
			return err
		}
		who := "no owner yet"
		switch {
		case site.Invited != nil:
			who = "owner " + site.Invited.Email + " invited"
		case owner != "":
			who = "owner " + strings.ToLower(strings.TrimSpace(owner))
		}
		if _, err = fmt.Fprintf(out, "added site %s (id %d, time zone %s, %s) through %s\n", site.Domain, site.ID, site.Timezone, who, where); err != nil {
			return err
		}
		return printInvited(out, site.Invited, publicURL)
	case action == "add":
		return fmt.Errorf("usage: sillage site add DOMAIN --owner EMAIL [--timezone TZ]")
	case action == "list" && len(f.args) == 1:
		ops, _, done, err := ef.ops(ctx, log)
		if err != nil {
			return err
		}
		defer done()
		sites, err := ops.Sites(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DOMAIN\tID\tTIME ZONE\tCREATED")
		for _, s := range sites {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Domain, s.ID, s.Timezone, s.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	default:
		return fmt.Errorf("unknown site action %q: add DOMAIN or list", action)
	}
}
