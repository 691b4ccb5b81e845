package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/dashboard"
	"github.com/sillage-analytics/sillage/internal/mail"
	"github.com/sillage-analytics/sillage/query"
	"github.com/sillage-analytics/sillage/query/admit"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
	trackerjs "github.com/sillage-analytics/sillage/tracker-js"
	"io/fs"
)

func runQuery(ctx context.Context, args []string, out io.Writer) error {
	return runRoles(ctx, args, out, roles{name: "query", query: true}, `Usage: sillage query [flags]

Runs the query service alone: the Stats API (/api/v2/query), the dashboard
and its JSON API, /healthz, /readyz and /metrics, for scaling queries apart
from ingestion against a ClickHouse server. It does not migrate: it waits
(--clickhouse-wait) for the schema that 'sillage migrate up' applies. Give
every query process the same --secret.`)
}

// queryHandler builds the query service and wraps it for fasthttp, with
// compression for the dashboard's assets and the API's JSON.
func (sf *serveFlags) queryHandler(eng store.Engine, acc *accounts.Service, proxies []netip.Prefix, reg prometheus.Registerer, log *slog.Logger) (fasthttp.RequestHandler, *mail.Outbox, error) {
	secret, err := sf.loadSecret(log)
	if err != nil {
		return nil, nil, err
	}
	box, publicURL, err := sf.mailFlags.outbox(eng, secret, log)
	if err != nil {
		return nil, nil, err
	}
	sampleAbove := uint64(sf.sampleAbove)
	switch {
	case sf.sampleAbove < 0:
		return nil, nil, fmt.Errorf("--sample-above must be 0 or more, not %d", sf.sampleAbove)
	case sf.sampleAbove == 0:
		sampleAbove = math.MaxUint64
	}
	limits, maxMemory, err := sf.statsFlags.options()
	if err != nil {
		return nil, nil, err
	}
	// One stats engine, under the operator's sampling and memory bounds,
	// for the Stats API, the property names and the email reports.
	se := &stats.Engine{Store: eng, SampleAbove: sampleAbove, MaxMemory: maxMemory}
	a := api.New(api.Options{Accounts: acc, Engine: eng, Secret: secret, TrustedProxies: proxies, RequireTOTP: sf.require2FA, Logger: log,
		Mail: box, PublicURL: publicURL, Reports: sf.buildReports(eng, acc, box, publicURL, se, log), Imports: sf.imports, Stats: se})
	dist, err := fs.Sub(dashboard.Dist, "dist")
	if err != nil {
		return nil, nil, err
	}
	path, integrity := trackerjs.Versioned()
	srv, err := query.New(query.Options{Engine: eng, Accounts: acc, API: a, Dashboard: dist,
		ScriptPath: path, Integrity: integrity, Stats: se,
		Limits: limits, Registerer: reg, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	h := fasthttpadaptor.NewFastHTTPHandler(srv.Handler())
	return fasthttp.CompressHandlerBrotliLevel(h, fasthttp.CompressBrotliDefaultCompression, fasthttp.CompressDefaultCompression), box, nil
}

// loadSecret returns --secret, or the data folder's own, created once.
func (sf *serveFlags) loadSecret(log *slog.Logger) ([]byte, error) {
	if sf.secret != "" {
		if len(sf.secret) < 32 {
			return nil, fmt.Errorf("--secret must have at least 32 characters")
		}
		return []byte(sf.secret), nil
	}
	path := filepath.Join(sf.data, "secret")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !sf.embedded() {
		log.Warn("no --secret: using one kept in the local data folder; give every query process the same --secret")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(sf.data, 0o750); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return b, nil
}

// statsFlags bound the engine time that stats queries take, per statement
// and per caller.
type statsFlags struct {
	limitMember, limitAPIKey, limitSharedLink string
	maxMemory                                 int64
}

func (s *statsFlags) register(f *flags, e *engineFlags) {
	f.intVar(&e.statsConns, "stats-connections", "SILLAGE_STATS_CONNECTIONS", embedded.DefaultStatsConns,
		"embedded engine: connections that run stats queries, apart from the one for logins and settings")
	f.stringVar(&s.limitMember, "stats-limit-member", "SILLAGE_STATS_LIMIT_MEMBER", query.DefaultLimits.Member.String(),
		"stats queries of one logged-in member: CONCURRENT,QUEUE,BUDGET (engine time per minute); past the queue or the budget, 429")
	f.stringVar(&s.limitAPIKey, "stats-limit-api-key", "SILLAGE_STATS_LIMIT_API_KEY", query.DefaultLimits.APIKey.String(),
		"stats queries of one account's API keys (all of them together), as --stats-limit-member")
	f.stringVar(&s.limitSharedLink, "stats-limit-shared-link", "SILLAGE_STATS_LIMIT_SHARED_LINK", query.DefaultLimits.SharedLink.String(),
		"stats queries of one site's shared links (all of them and their visitors together), as --stats-limit-member")
	f.int64Var(&s.maxMemory, "stats-max-memory", "SILLAGE_STATS_MAX_MEMORY", stats.DefaultMaxMemory,
		"bytes of memory one stats statement may use before it fails (0: the engine's own bound)")
}

func (s *statsFlags) options() (query.Limits, int64, error) {
	var l query.Limits
	for _, x := range []struct {
		flag, value string
		dst         *admit.Limit
	}{
		{"--stats-limit-member", s.limitMember, &l.Member},
		{"--stats-limit-api-key", s.limitAPIKey, &l.APIKey},
		{"--stats-limit-shared-link", s.limitSharedLink, &l.SharedLink},
	} {
		v, err := admit.ParseLimit(x.value)
		if err != nil {
			return query.Limits{}, 0, fmt.Errorf("%s: %w", x.flag, err)
		}
		*x.dst = v
	}
	switch {
	case s.maxMemory < 0:
		return query.Limits{}, 0, fmt.Errorf("--stats-max-memory must be 0 or more, not %d", s.maxMemory)
	case s.maxMemory == 0:
		return l, -1, nil // stats.Engine: negative leaves the engine's bound
	}
	return l, s.maxMemory, nil
}
