package main

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/collector"
	"github.com/sillage-analytics/sillage/store"
)

// downEngine is a store that does not answer, as during an outage.
type downEngine struct{}

var errDown = errors.New("engine unavailable")

func (downEngine) Exec(context.Context, string, store.Params) error { return errDown }
func (downEngine) Query(context.Context, string, store.Params) (store.Rows, error) {
	return nil, errDown
}
func (downEngine) InsertEvents(context.Context, string, []sillage.Event) error { return errDown }
func (downEngine) Ping(context.Context) error                                  { return errDown }
func (downEngine) Kind() string                                                { return "server" }
func (downEngine) Close() error                                                { return nil }

type oneSite struct{ loaded bool }

func (o *oneSite) Sites(context.Context) ([]sillage.Site, error) {
	if !o.loaded {
		return nil, errDown
	}
	return []sillage.Site{{ID: 1, Domain: "atelier.fr", Timezone: "Europe/Paris"}}, nil
}

func readyz(rt *router) int {
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/readyz")
	rt.health(&ctx)
	return ctx.Response.StatusCode()
}

// A collector stays in the balancer while the engine is down (its log
// takes the events); a query service does not. A collector without its
// site list is not ready yet.
func TestReadyzDuringAnOutage(t *testing.T) {
	rt := &router{engine: downEngine{}}
	rt.ready.Store(true)
	if got := readyz(rt); got != fasthttp.StatusServiceUnavailable {
		t.Errorf("query service, engine down: /readyz %d, want 503", got)
	}
	sites := &oneSite{}
	col, err := collector.New(context.Background(), collector.Config{Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}, downEngine{}, sites)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// The accepted event cannot reach the down engine: stop waiting.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		col.Close(ctx)
	}()
	rt.collector.Store(col)
	if got := readyz(rt); got != fasthttp.StatusServiceUnavailable {
		t.Errorf("collector without its site list: /readyz %d, want 503", got)
	}
	sites.loaded = true
	for i := 0; i < 50 && !col.Ready(); i++ {
		var ctx fasthttp.RequestCtx // an unknown domain makes the collector ask for the list again
		ctx.Request.SetRequestURI("/api/event")
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.Header.SetUserAgent("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
		ctx.Request.SetBodyString(`{"n":"pageview","u":"https://atelier.fr/","d":"atelier.fr"}`)
		col.Handle(&ctx)
		time.Sleep(100 * time.Millisecond) // the list is asked for at most once a second
	}
	if got := readyz(rt); got != fasthttp.StatusOK {
		t.Errorf("collector with its site list, engine down: /readyz %d, want 200", got)
	}
}

// Before the collector exists, its routes answer 503 with Retry-After in a
// process that runs one; before the query handler exists, so do the
// dashboard's and the API's routes in a process that runs the query
// service. A process without the part answers 404, and the health
// endpoints answer all along.
func TestRoutesWhileStarting(t *testing.T) {
	tests := []struct {
		collects, queries bool
		method            string
		path              string
		want              int
	}{
		{true, false, "POST", "/api/event", fasthttp.StatusServiceUnavailable},
		{true, false, "OPTIONS", "/api/event", fasthttp.StatusServiceUnavailable},
		{true, false, "GET", "/js/script.js", fasthttp.StatusServiceUnavailable},
		{true, false, "GET", "/js/script.outbound-links.js", fasthttp.StatusServiceUnavailable},
		{true, false, "GET", "/api/stats/aggregate", fasthttp.StatusNotFound},
		{false, false, "POST", "/api/event", fasthttp.StatusNotFound},
		{true, true, "POST", "/api/event", fasthttp.StatusServiceUnavailable},
		{true, true, "GET", "/api/stats/aggregate", fasthttp.StatusServiceUnavailable},
		{false, true, "GET", "/", fasthttp.StatusServiceUnavailable},
		{false, true, "GET", "/sites/atelier.fr", fasthttp.StatusServiceUnavailable},
		{false, true, "GET", "/api/auth/me", fasthttp.StatusServiceUnavailable},
		{false, true, "POST", "/api/v2/query", fasthttp.StatusServiceUnavailable},
		{false, true, "GET", "/share/abc", fasthttp.StatusServiceUnavailable},
		{false, true, "GET", "/healthz", fasthttp.StatusOK},
		{true, true, "GET", "/healthz", fasthttp.StatusOK},
	}
	for _, tt := range tests {
		rt := &router{engine: downEngine{}, collects: tt.collects, queries: tt.queries}
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(tt.method)
		ctx.Request.SetRequestURI(tt.path)
		rt.handle(&ctx)
		got := ctx.Response.StatusCode()
		if got != tt.want {
			t.Errorf("collects=%v queries=%v %s %s: %d, want %d", tt.collects, tt.queries, tt.method, tt.path, got, tt.want)
		}
		if got != fasthttp.StatusServiceUnavailable {
			continue
		}
		if ra, err := strconv.Atoi(string(ctx.Response.Header.Peek("Retry-After"))); err != nil || ra <= 0 {
			t.Errorf("%s %s: 503 without a Retry-After in seconds: %s", tt.method, tt.path, ctx.Response.Header.String())
		}
		if collector.IsRoute([]byte(tt.path)) && string(ctx.Response.Header.Peek("Access-Control-Allow-Origin")) != "*" {
			t.Errorf("%s %s: 503 without CORS header: %s", tt.method, tt.path, ctx.Response.Header.String())
		}
	}

	// Once the handler is there, it answers.
	rt := &router{engine: downEngine{}, queries: true}
	var h fasthttp.RequestHandler = func(c *fasthttp.RequestCtx) { c.SetStatusCode(fasthttp.StatusUnauthorized) }
	rt.query.Store(&h)
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/api/auth/me")
	rt.handle(&ctx)
	if got := ctx.Response.StatusCode(); got != fasthttp.StatusUnauthorized {
		t.Errorf("GET /api/auth/me once the query handler is set: %d, want its 401", got)
	}
}
