// Command sillage is the whole of Sillage in one binary: the collector, the
// query service and dashboard, migrations and administration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/internal/demo"
	"github.com/sillage-analytics/sillage/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, out io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the collector, query service and dashboard on one port", runServe},
		{"collect", "run the collector alone, against a ClickHouse server", runCollect},
		{"query", "run the query service and dashboard alone, against a ClickHouse server", runQuery},
		{"migrate", "apply or revert schema migrations: up | down [N] | version", runMigrate},
		{"site", "manage sites: add DOMAIN --owner EMAIL [--timezone TZ] | list", runSite},
		{"user", "manage accounts: add --email E [--password-stdin] [--site DOMAIN --role ROLE] [--operator] | reset-password --email E | reset-2fa --email E", runUser},
		{"demo", "fill a site with realistic synthetic traffic: --site DOMAIN --events N --days D", runDemo},
		{"import", "import a site's history: --site DOMAIN --from plausible FILE", runImport},
		{"export", "export a site: --site DOMAIN --out FILE.zip [--raw --format parquet|csv]", runExport},
		{"apikey", "create a Stats API key: create --site DOMAIN [--email OWNER] [--name NAME]", runAPIKey},
		{"version", "print the version", func(_ context.Context, _ []string, out io.Writer) error {
			_, err := fmt.Fprintln(out, "sillage", version)
			return err
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, "Sillage: cookieless, privacy-first web analytics.\n\nUsage: sillage COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'sillage COMMAND --help' for a command's flags; every flag also reads an environment variable SILLAGE_….\n")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout)
		if errors.Is(err, errHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "sillage %s: %s\n", c.name, oneLine(err))
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "sillage: unknown command %q (run 'sillage --help')\n", args[0])
	return 2
}

// oneLine keeps an error on one line for the terminal; engine errors can
// span several.
func oneLine(err error) string {
	s := strings.TrimSpace(err.Error())
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// cliLogger is the logger of the one-shot commands: warnings and errors
// only, so their output stays their answer.
func cliLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("invalid log level %q: debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("invalid log format %q: text or json", format)
}

// localOps performs the admin operations on an engine this process holds.
type localOps struct {
	*accounts.Service
}

func newOps(e store.Engine, cluster string) *localOps {
	acc := accounts.New(e)
	acc.Cluster = cluster
	return &localOps{acc}
}

func (o *localOps) Demo(ctx context.Context, domain string, events uint64, days int) (uint64, error) {
	site, err := o.SiteByDomain(ctx, domain)
	if err != nil {
		return 0, err
	}
	if events > 1_000_000_000 || days < 1 || days > 3660 {
		return 0, fmt.Errorf("demo: at most 1 000 000 000 events over 1 to 3660 days")
	}
	return demo.Generate(ctx, o.Engine, demo.Options{SiteID: site.ID, Hostname: site.Domain, Events: events, Days: days})
}

func (o *localOps) CreateAPIKey(ctx context.Context, domain, email, name string) (string, error) {
	site, err := o.SiteByDomain(ctx, domain)
	if err != nil {
		return "", err
	}
	var userID string
	if email != "" {
		u, err := o.UserByEmail(ctx, email)
		if err != nil {
			return "", err
		}
		// A key reads what its account may read: for an account that is
		// no member of the site it would answer 403 to every query.
		if _, err := o.RoleOf(ctx, u.ID, site.ID); errors.Is(err, accounts.ErrNotFound) {
			return "", fmt.Errorf("%s cannot read %s: give it a role first with 'sillage user add --email %s --site %s --role viewer'",
				u.Email, site.Domain, u.Email, site.Domain)
		} else if err != nil {
			return "", err
		}
		userID = u.ID
	} else {
		members, err := o.Members(ctx, site.ID)
		if err != nil {
			return "", err
		}
		for _, m := range members {
			if m.Role == sillage.RoleOwner {
				userID = m.UserID
				break
			}
		}
		if userID == "" {
			return "", fmt.Errorf("site %s has no owner yet: pass --email of the account that will own the key", site.Domain)
		}
	}
	if name == "" {
		name = "command line"
	}
	_, key, err := o.Service.CreateAPIKey(ctx, userID, name, []uint32{site.ID})
	return key, err
}
