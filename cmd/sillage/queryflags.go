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

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/dashboard"
	"github.com/sillage-analytics/sillage/query"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/store"
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
func (sf *serveFlags) queryHandler(eng store.Engine, acc *accounts.Service, proxies []netip.Prefix, log *slog.Logger) (fasthttp.RequestHandler, error) {
	secret, err := sf.loadSecret(log)
	if err != nil {
		return nil, err
	}
	a := api.New(api.Options{Accounts: acc, Engine: eng, Secret: secret, TrustedProxies: proxies, RequireTOTP: sf.require2FA, Logger: log})
	dist, err := fs.Sub(dashboard.Dist, "dist")
	if err != nil {
		return nil, err
	}
	path, integrity := trackerjs.Versioned()
	sampleAbove := uint64(sf.sampleAbove)
	switch {
	case sf.sampleAbove < 0:
		return nil, fmt.Errorf("--sample-above must be 0 or more, not %d", sf.sampleAbove)
	case sf.sampleAbove == 0:
		sampleAbove = math.MaxUint64
	}
	srv, err := query.New(query.Options{Engine: eng, Accounts: acc, API: a, Dashboard: dist,
		ScriptPath: path, Integrity: integrity, SampleAbove: sampleAbove, Logger: log})
	if err != nil {
		return nil, err
	}
	h := fasthttpadaptor.NewFastHTTPHandler(srv.Handler())
	return fasthttp.CompressHandlerBrotliLevel(h, fasthttp.CompressBrotliDefaultCompression, fasthttp.CompressDefaultCompression), nil
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
