package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/valyala/fasthttp"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/collector/geo"
	"github.com/sillage-analytics/sillage/collector/geo/geotest"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
	trackerjs "github.com/sillage-analytics/sillage/tracker-js"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	t      *testing.T
	engine store.Engine
	c      *Collector
	clock  *clock
	sites  map[string]sillage.Site
	closed bool
}

type option func(*Config)

func newEnv(t *testing.T, eng store.Engine, opts ...option) *env {
	t.Helper()
	storetest.MustMigrate(t, eng)
	acc := accounts.New(eng)
	// 09:00 UTC today: the salts the collector writes are kept by the
	// engine's TTL for two days after their day, by the real clock.
	start := time.Now().UTC().Truncate(24 * time.Hour).Add(9 * time.Hour)
	e := &env{t: t, engine: eng, clock: &clock{t: start}, sites: map[string]sillage.Site{}}
	for _, d := range []string{"boulangerie.fr", "atelier.fr"} {
		s, err := acc.AddSite(context.Background(), d, "Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		e.sites[d] = s
	}
	cfg := Config{Dir: t.TempDir(), FlushInterval: 20 * time.Millisecond, Now: e.clock.now, Logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := New(context.Background(), cfg, eng, acc)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	t.Cleanup(func() {
		if !e.closed {
			c.Close(context.Background())
		}
	})
	return e
}

type request struct {
	method, contentType, body, ua, xff string
	peer                               string
	noUA                               bool // send no User-Agent header
}

func (e *env) send(r request) *fasthttp.Response {
	var req fasthttp.Request
	if r.method == "" {
		r.method = "POST"
	}
	req.Header.SetMethod(r.method)
	req.SetRequestURI("/api/event")
	if r.contentType == "" {
		r.contentType = "text/plain"
	}
	req.Header.SetContentType(r.contentType)
	if r.ua == "" {
		r.ua = firefox
	}
	if !r.noUA {
		req.Header.SetUserAgent(r.ua)
	} else {
		req.Header.Del("User-Agent")
	}
	for _, line := range strings.Split(r.xff, "\n") { // one header line each
		if line != "" {
			req.Header.Add("X-Forwarded-For", line)
		}
	}
	req.SetBodyString(r.body)
	if r.peer == "" {
		r.peer = "81.65.1.2"
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.ParseIP(r.peer), Port: 40000}, nil)
	if !e.c.Handle(&ctx) {
		e.t.Fatal("collector did not handle /api/event")
	}
	var resp fasthttp.Response
	ctx.Response.CopyTo(&resp)
	return &resp
}

// flush delivers every accepted event to the store.
func (e *env) flush() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.c.drain(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) count(where string, params store.Params) uint64 {
	e.t.Helper()
	var n uint64
	if err := store.QueryRow(context.Background(), e.engine, "SELECT count() FROM events WHERE "+where, params, &n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestPayloadShapes(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	tests := []struct {
		name, contentType, body string
		sites                   []string
	}{
		// each from its own address: one visitor's session keeps its first referrer
		{"short keys, text/plain", "text/plain", `{"n":"pageview","u":"https://boulangerie.fr/pain","d":"boulangerie.fr","r":null}`, []string{"boulangerie.fr"}},
		{"long keys, JSON", "application/json", `{"name":"pageview","url":"https://boulangerie.fr/","domain":"boulangerie.fr","referrer":"https://www.google.fr/"}`, []string{"boulangerie.fr"}},
		{"text/plain with charset", "text/plain;charset=UTF-8", `{"n":"Signup","u":"https://atelier.fr/","d":"atelier.fr","p":{"plan":"pro"}}`, []string{"atelier.fr"}},
		{"several domains", "text/plain", `{"n":"pageview","u":"https://atelier.fr/x","d":"atelier.fr,boulangerie.fr"}`, []string{"atelier.fr", "boulangerie.fr"}},
		{"unknown extra keys ignored", "text/plain", `{"n":"pageview","u":"https://atelier.fr/y","d":"atelier.fr","future":[1,2]}`, []string{"atelier.fr"}},
	}
	want := map[string]uint64{}
	for i, tt := range tests {
		resp := e.send(request{contentType: tt.contentType, body: tt.body, peer: fmt.Sprintf("81.65.2.%d", i)})
		if resp.StatusCode() != 202 || len(resp.Header.Peek(DroppedHeader)) != 0 {
			t.Fatalf("%s: status %d, dropped %q, body %s", tt.name, resp.StatusCode(), resp.Header.Peek(DroppedHeader), resp.Body())
		}
		if string(resp.Header.Peek("Access-Control-Allow-Origin")) != "*" {
			t.Fatalf("%s: no CORS header", tt.name)
		}
		for _, s := range tt.sites {
			want[s]++
		}
	}
	e.flush()
	for domain, n := range want {
		if got := e.count("site_id = {s:UInt32}", store.Params{"s": e.sites[domain].ID}); got != n {
			t.Errorf("%s: %d events stored, want %d", domain, got, n)
		}
	}
	var source, plan string
	if err := store.QueryRow(context.Background(), e.engine,
		"SELECT referrer_source FROM events WHERE pathname = '/' AND hostname = 'boulangerie.fr'", nil, &source); err != nil || source != "Google" {
		t.Errorf("referrer source = %q, %v; want Google", source, err)
	}
	if err := store.QueryRow(context.Background(), e.engine, "SELECT props['plan'] FROM events WHERE name = 'Signup'", nil, &plan); err != nil || plan != "pro" {
		t.Errorf("props = %q, %v", plan, err)
	}
}

func TestPreflight(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	resp := e.send(request{method: "OPTIONS"})
	if resp.StatusCode() != 204 || string(resp.Header.Peek("Access-Control-Allow-Origin")) != "*" ||
		!strings.Contains(string(resp.Header.Peek("Access-Control-Allow-Headers")), "Content-Type") {
		t.Fatalf("preflight: %d %s", resp.StatusCode(), resp.Header.String())
	}
	if resp := e.send(request{method: "GET"}); resp.StatusCode() != 405 {
		t.Fatalf("GET: %d", resp.StatusCode())
	}
}

func TestValidation(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	long := strings.Repeat("x", 121)
	props := make([]string, 31)
	for i := range props {
		props[i] = fmt.Sprintf(`"k%d":"v"`, i)
	}
	// Bodies as Plausible's: {"errors": {field: [message]}}, with its field
	// names and, where it has one, its message.
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"not JSON", `{"n":`, 400, `{"errors":{"request":["Unable to parse request body as json"]}}`},
		{"not an object", `[1,2]`, 400, `{"errors":{"request":["Unable to parse request body as json"]}}`},
		{"empty body", ``, 400, `{"errors":{"request":["Unable to parse request body as json"]}}`},
		{"no name", `{"u":"https://atelier.fr/","d":"atelier.fr"}`, 400, `{"errors":{"event_name":["can't be blank"]}}`},
		{"long name", `{"n":"` + long + `","u":"https://atelier.fr/","d":"atelier.fr"}`, 400, `{"errors":{"event_name":["should be at most 120 byte(s)"]}}`},
		{"no url", `{"n":"pageview","d":"atelier.fr"}`, 400, `{"errors":{"url":["is required"]}}`},
		{"relative url", `{"n":"pageview","u":"/page","d":"atelier.fr"}`, 400, `{"errors":{"url":["must be an absolute http(s) URL"]}}`},
		{"ftp url", `{"n":"pageview","u":"ftp://atelier.fr/","d":"atelier.fr"}`, 400, `{"errors":{"url":["must be an absolute http(s) URL"]}}`},
		{"no domain", `{"n":"pageview","u":"https://atelier.fr/"}`, 400, `{"errors":{"domain":["can't be blank"]}}`},
		{"long prop key", `{"n":"x","u":"https://atelier.fr/","d":"atelier.fr","p":{"` + strings.Repeat("k", 301) + `":"v"}}`, 400,
			`{"errors":{"props":["keys should have at most 300 bytes and values 2000 bytes"]}}`},
		{"long prop value", `{"n":"x","u":"https://atelier.fr/","d":"atelier.fr","p":{"k":"` + strings.Repeat("v", 2001) + `"}}`, 400,
			`{"errors":{"props":["keys should have at most 300 bytes and values 2000 bytes"]}}`},
		{"too large", `{"n":"x","u":"https://atelier.fr/","d":"atelier.fr","p":{"k":"` + strings.Repeat("v", 9000) + `"}}`, 413, `{"errors":{"request":["should be at most 8192 byte(s)"]}}`},
		{"invalid UTF-8", "{\"n\":\"x\xff\",\"u\":\"https://atelier.fr/\",\"d\":\"atelier.fr\"}", 400, `{"errors":{"request":["Unable to parse request body as json"]}}`},
		{"a negative scroll depth", `{"n":"engagement","u":"https://atelier.fr/","d":"atelier.fr","sd":-1}`, 400, `{"errors":{"sd":["must be a non-negative integer (a percentage)"]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.send(request{body: tt.body})
			if resp.StatusCode() != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode(), tt.status, resp.Body())
			}
			if got := string(resp.Body()); got != tt.want {
				t.Fatalf("body %s, want %s", got, tt.want)
			}
			if ct := string(resp.Header.ContentType()); ct != "application/json" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	e.flush()
	if n := e.count("1", nil); n != 0 {
		t.Fatalf("%d invalid events stored", n)
	}
}

// An invalid revenue drops the revenue, not the event: 202, stored without
// revenue, and counted.
// More than 30 props: Plausible keeps 30 and stores the event (202);
// Sillage keeps the first 30 the event lists.
func TestPropsBeyondThirtyAreLeftOut(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	props := make([]string, 31)
	for i := range props {
		props[i] = fmt.Sprintf(`"k%02d":"v"`, i)
	}
	r := e.send(request{body: `{"n":"x","u":"https://atelier.fr/","d":"atelier.fr","p":{` + strings.Join(props, ",") + `}}`})
	if r.StatusCode() != 202 {
		t.Fatalf("%d %s", r.StatusCode(), r.Body())
	}
	e.flush()
	if n := e.count("name = 'x' AND length(props) = 30 AND props['k29'] = 'v' AND NOT mapContains(props, 'k30')", nil); n != 1 {
		t.Fatalf("%d events stored with the first 30 props, want 1", n)
	}
}

func TestInvalidRevenueKeepsEvent(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	for _, body := range []string{
		`{"n":"Achat","u":"https://atelier.fr/a","d":"atelier.fr","$":{"amount":1,"currency":"EURO"}}`,
		`{"n":"Achat","u":"https://atelier.fr/b","d":"atelier.fr","revenue":{"amount":"12€","currency":"EUR"}}`,
	} {
		r := e.send(request{body: body})
		if r.StatusCode() != 202 || len(r.Header.Peek(DroppedHeader)) != 0 {
			t.Fatalf("%s: %d %q %s", body, r.StatusCode(), r.Header.Peek(DroppedHeader), r.Body())
		}
	}
	e.flush()
	if n := e.count("name = 'Achat' AND revenue_amount = 0 AND revenue_currency != 'EUR'", nil); n != 2 {
		t.Fatalf("%d events stored without revenue, want 2", n)
	}
	for field, want := range map[string]float64{"revenue.currency": 1, "revenue.amount": 1} {
		if got := counterValue(t, e.c.metrics.revenueDropped.WithLabelValues(field)); got != want {
			t.Errorf("sillage_revenue_dropped_total{field=%q} = %v, want %v", field, got, want)
		}
	}
}

// A server-side sender may send no User-Agent: Plausible stores its
// events, without browser, OS or device; a known bot's are still dropped.
func TestNoUserAgentIsStored(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	if r := e.send(request{body: `{"n":"Commande","u":"https://atelier.fr/serveur","d":"atelier.fr"}`, noUA: true}); r.StatusCode() != 202 || len(r.Header.Peek(DroppedHeader)) != 0 {
		t.Fatalf("no User-Agent: %d dropped=%q", r.StatusCode(), r.Header.Peek(DroppedHeader))
	}
	if r := e.send(request{body: `{"n":"Commande","u":"https://atelier.fr/vide","d":"atelier.fr"}`, ua: " ", peer: "81.65.1.3"}); r.StatusCode() != 202 || len(r.Header.Peek(DroppedHeader)) != 0 {
		t.Fatalf("blank User-Agent: %d dropped=%q", r.StatusCode(), r.Header.Peek(DroppedHeader))
	}
	if r := e.send(request{body: `{"n":"Commande","u":"https://atelier.fr/bot","d":"atelier.fr"}`, ua: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}); string(r.Header.Peek(DroppedHeader)) != "bot" {
		t.Fatalf("a known bot was not dropped: %q", r.Header.Peek(DroppedHeader))
	}
	e.flush()
	if n := e.count("name = 'Commande' AND browser = '' AND os = '' AND device = ''", nil); n != 2 {
		t.Fatalf("%d events without user agent stored, want 2", n)
	}
}

// An event whose referrer is on the referrer-spam list, or a subdomain of
// a listed domain, is answered 202, dropped and counted.
func TestReferrerSpamIsDroppedAndCounted(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	for _, ref := range []string{"https://semalt.com/", "https://www.buttons-for-website.com/x"} {
		r := e.send(request{body: `{"n":"pageview","u":"https://atelier.fr/","d":"atelier.fr","r":"` + ref + `"}`})
		if r.StatusCode() != 202 || string(r.Header.Peek(DroppedHeader)) != "referrer-spam" || string(r.Header.Peek("X-Plausible-Dropped")) != "1" {
			t.Fatalf("%s: %d dropped=%q", ref, r.StatusCode(), r.Header.Peek(DroppedHeader))
		}
	}
	if r := e.send(request{body: `{"n":"pageview","u":"https://atelier.fr/","d":"atelier.fr","r":"https://www.qwant.com/"}`}); len(r.Header.Peek(DroppedHeader)) != 0 {
		t.Fatalf("a real referrer was dropped: %q", r.Header.Peek(DroppedHeader))
	}
	e.flush()
	if n := e.count("1", nil); n != 1 {
		t.Fatalf("%d events stored, want only the real referrer's", n)
	}
	if got := counterValue(t, e.c.metrics.dropped.WithLabelValues("referrer_spam")); got != 2 {
		t.Fatalf("sillage_events_dropped_total{reason=\"referrer_spam\"} = %v, want 2", got)
	}
}

func TestBotsAndUnknownDomains(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	body := `{"n":"pageview","u":"https://atelier.fr/","d":"atelier.fr"}`
	for _, ua := range []string{
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
		"curl/8.5.0",
		"python-requests/2.32.3",
	} {
		resp := e.send(request{body: body, ua: ua})
		if resp.StatusCode() != 202 || string(resp.Header.Peek(DroppedHeader)) != "bot" {
			t.Errorf("UA %q: status %d dropped=%q", ua, resp.StatusCode(), resp.Header.Peek(DroppedHeader))
		}
	}
	resp := e.send(request{body: `{"n":"pageview","u":"https://inconnu.fr/","d":"inconnu.fr"}`})
	if resp.StatusCode() != 202 || string(resp.Header.Peek(DroppedHeader)) != "unknown-domain" || string(resp.Header.Peek("X-Plausible-Dropped")) != "1" {
		t.Errorf("unknown domain: %d %q, X-Plausible-Dropped %q", resp.StatusCode(), resp.Header.Peek(DroppedHeader), resp.Header.Peek("X-Plausible-Dropped"))
	}
	resp = e.send(request{body: body})
	if resp.StatusCode() != 202 || len(resp.Header.Peek(DroppedHeader)) != 0 {
		t.Errorf("a human was dropped: %q", resp.Header.Peek(DroppedHeader))
	}
	e.flush()
	if n := e.count("1", nil); n != 1 {
		t.Fatalf("%d events stored, want only the human's", n)
	}
}

func visitors(e *env) uint64 {
	var n uint64
	if err := store.QueryRow(context.Background(), e.engine, "SELECT uniqExact(visitor_id) FROM events", nil, &n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestForwardedForTrustedOnlyFromProxies(t *testing.T) {
	body := `{"n":"pageview","u":"https://atelier.fr/","d":"atelier.fr"}`
	t.Run("untrusted peer: header ignored", func(t *testing.T) {
		e := newEnv(t, storetest.Embedded(t))
		e.send(request{body: body, peer: "203.0.113.9", xff: "81.65.1.2"})
		e.send(request{body: body, peer: "203.0.113.9", xff: "90.1.2.3"})
		e.flush()
		if n := visitors(e); n != 1 {
			t.Fatalf("%d visitors; a spoofed X-Forwarded-For must not make new visitors", n)
		}
	})
	t.Run("trusted proxy: client from header", func(t *testing.T) {
		e := newEnv(t, storetest.Embedded(t), func(c *Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		})
		e.send(request{body: body, peer: "10.0.0.5", xff: "81.65.1.2"})
		e.send(request{body: body, peer: "10.0.0.5", xff: "90.1.2.3"})
		// a client prepending a fake address does not change who it is
		e.send(request{body: body, peer: "10.0.0.5", xff: "1.1.1.1, 90.1.2.3"})
		e.flush()
		if n := visitors(e); n != 2 {
			t.Fatalf("%d visitors behind a trusted proxy, want 2", n)
		}
	})
	t.Run("trusted proxy adding its own header line after the client's", func(t *testing.T) {
		e := newEnv(t, storetest.Embedded(t), func(c *Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		})
		for _, spoofed := range []string{"1.1.1.1", "2.2.2.2", "3.3.3.3, 4.4.4.4"} {
			e.send(request{body: body, peer: "10.0.0.5", xff: spoofed + "\n81.65.1.2"})
		}
		e.flush()
		if n := visitors(e); n != 1 {
			t.Fatalf("%d visitors from one client: the line the client wrote was believed", n)
		}
	})
}

func TestSessionsAndEnrichment(t *testing.T) {
	dir := t.TempDir()
	mmdb := filepath.Join(dir, "city.mmdb")
	if err := geotest.WriteTestDB(mmdb, []geotest.TestNetwork{{CIDR: "81.64.0.0/12", Country: "FR", Subdivision: "IDF", City: "Paris", CityGeonameID: 2988507}}); err != nil {
		t.Fatal(err)
	}
	db, err := geo.Open(mmdb)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := newEnv(t, storetest.Embedded(t), func(c *Config) { c.GeoIP = db })
	land := `{"n":"pageview","u":"https://atelier.fr/?utm_source=newsletter&utm_medium=email&utm_campaign=noel&gclid=SECRET","d":"atelier.fr","r":"https://www.qwant.com/?q=bois"}`
	next := `{"n":"pageview","u":"https://atelier.fr/tables","d":"atelier.fr","r":"https://atelier.fr/"}`
	e.send(request{body: land})
	e.clock.advance(29 * time.Minute)
	e.send(request{body: next}) // same session: 29 minutes of silence
	e.clock.advance(31 * time.Minute)
	e.send(request{body: next}) // new session: 31 minutes of silence
	e.send(request{body: `{"n":"engagement","u":"https://atelier.fr/tables","d":"atelier.fr","sd":75,"e":12000}`})
	e.flush()

	rows, err := e.engine.Query(context.Background(), `SELECT session_id, count(), any(utm_campaign), any(channel), any(click_id_param),
		any(toString(country_code)), any(region), any(city), countIf(name = 'engagement'), max(scroll_depth)
		FROM events GROUP BY session_id ORDER BY min(ts)`, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type sess struct {
		id                           uint64
		n                            uint64
		campaign, channel, click, cc string
		region, city                 string
		engagement                   uint64
		scroll                       uint8
	}
	var got []sess
	for rows.Next() {
		var s sess
		if err := rows.Scan(&s.id, &s.n, &s.campaign, &s.channel, &s.click, &s.cc, &s.region, &s.city, &s.engagement, &s.scroll); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if len(got) != 2 {
		t.Fatalf("%d sessions, want 2: %+v", len(got), got)
	}
	first, second := got[0], got[1]
	if first.n != 2 || first.campaign != "noel" || first.channel != "Email" || first.click != "gclid" {
		t.Errorf("first session %+v: want 2 events with the landing page's campaign copied onto both", first)
	}
	if first.cc != "FR" || first.region != "FR-IDF" || first.city != "Paris" {
		t.Errorf("first session location %+v", first)
	}
	if second.n != 2 || second.campaign != "" || second.engagement != 1 || second.scroll != 75 {
		t.Errorf("second session %+v: want a fresh session with its engagement event", second)
	}
	var stored uint64
	if err := store.QueryRow(context.Background(), e.engine, "SELECT count() FROM events WHERE position(pathname, 'SECRET') > 0 OR position(referrer, 'q=') > 0", nil, &stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Error("a click id value or a referrer query string was stored")
	}
}

func TestEngagementWithoutSessionIsDropped(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	resp := e.send(request{body: `{"n":"engagement","u":"https://atelier.fr/","d":"atelier.fr","sd":10,"e":3000}`})
	if resp.StatusCode() != 202 || string(resp.Header.Peek(DroppedHeader)) != "no-session" {
		t.Fatalf("%d %q", resp.StatusCode(), resp.Header.Peek(DroppedHeader))
	}
}

func TestVisitAcrossMidnightKeepsVisitor(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	e.clock.advance(14*time.Hour + 50*time.Minute) // 23:50 UTC
	body := `{"n":"pageview","u":"https://atelier.fr/","d":"atelier.fr"}`
	e.send(request{body: body})
	e.clock.advance(20 * time.Minute) // 00:10 the next day, new salt
	e.send(request{body: body})
	e.clock.advance(31 * time.Minute) // the visit is over; a new one gets today's id
	e.send(request{body: body})
	e.flush()
	var v, s uint64
	store.QueryRow(context.Background(), e.engine, "SELECT uniqExact(visitor_id), uniqExact(session_id) FROM events", nil, &v, &s)
	if v != 2 || s != 2 {
		t.Fatalf("visitors=%d sessions=%d; want the midnight visit whole (1 visitor, 1 session) plus a new one", v, s)
	}
}

// failingEngine fails inserts while down is set: an engine outage.
type failingEngine struct {
	store.Engine
	down     atomic.Bool
	attempts atomic.Int64
}

func (f *failingEngine) InsertEvents(ctx context.Context, token string, ev []sillage.Event) error {
	f.attempts.Add(1)
	if f.down.Load() {
		return errors.New("engine unavailable (injected)")
	}
	return f.Engine.InsertEvents(ctx, token, ev)
}

func TestOutageLosesNothing(t *testing.T) {
	fe := &failingEngine{Engine: storetest.Embedded(t)}
	e := newEnv(t, fe, func(c *Config) { c.BatchSize = 7 })
	fe.down.Store(true)
	const n = 100
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"n":"pageview","u":"https://atelier.fr/p%d","d":"atelier.fr"}`, i)
		if resp := e.send(request{body: body, peer: fmt.Sprintf("81.65.1.%d", i%200)}); resp.StatusCode() != 202 {
			t.Fatalf("event %d during the outage: %d %s", i, resp.StatusCode(), resp.Body())
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for fe.attempts.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if fe.attempts.Load() < 2 {
		t.Fatal("the batcher did not retry during the outage")
	}
	if got := e.count("1", nil); got != 0 {
		t.Fatalf("%d events stored during the outage", got)
	}
	fe.down.Store(false)
	e.flush()
	if got := e.count("1", nil); got != n {
		t.Fatalf("%d events stored after recovery, want exactly %d", got, n)
	}
	var paths uint64
	store.QueryRow(context.Background(), e.engine, "SELECT uniqExact(pathname) FROM events", nil, &paths)
	if paths != n {
		t.Fatalf("%d distinct events, want %d", paths, n)
	}
}

// A batch inserted but not committed before a crash is inserted again with
// the same token at the next start, and kept once.
func TestReplayAfterCrashIsExactlyOnce(t *testing.T) {
	eng := storetest.Embedded(t)
	storetest.MustMigrate(t, eng)
	acc := accounts.New(eng)
	if _, err := acc.AddSite(context.Background(), "atelier.fr", "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := Config{Dir: dir, FlushInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)}
	c, err := New(context.Background(), cfg, eng, acc)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, engine: eng, c: c}
	for i := 0; i < 10; i++ {
		e.send(request{body: fmt.Sprintf(`{"n":"pageview","u":"https://atelier.fr/%d","d":"atelier.fr"}`, i)})
	}
	// Insert the batch as the batcher would, then "crash" before the commit.
	from, to := c.wal.FirstUnflushed(), c.wal.LastSeq()
	var events []sillage.Event
	if _, err := c.wal.Read(from, 100, func(_ uint64, rec []byte) error {
		ev, err := decodeEvent(rec)
		events = append(events, ev)
		return err
	}); err != nil || len(events) != 10 {
		t.Fatalf("read %d events back from the log: %v", len(events), err)
	}
	if err := writeFileSync(filepath.Join(dir, intentFile), []byte(fmt.Sprintf("%d %d\n", from, to))); err != nil {
		t.Fatal(err)
	}
	if err := eng.InsertEvents(context.Background(), c.token(from, to), events); err != nil {
		t.Fatal(err)
	}
	c.stop()
	c.done.Wait()
	c.wal.Close() // no commit: as after kill -9

	c2, err := New(context.Background(), cfg, eng, acc)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(context.Background())
	if got := e.count("1", nil); got != 10 {
		t.Fatalf("%d events after replay, want exactly 10", got)
	}
	if c2.wal.FirstUnflushed() <= to {
		t.Fatal("replayed batch not committed")
	}
}

func TestRestartKeepsSessions(t *testing.T) {
	eng := storetest.Embedded(t)
	storetest.MustMigrate(t, eng)
	acc := accounts.New(eng)
	acc.AddSite(context.Background(), "atelier.fr", "Europe/Paris")
	clk := &clock{t: time.Now().UTC()}
	cfg := Config{Dir: t.TempDir(), FlushInterval: 20 * time.Millisecond, Now: clk.now, Logger: slog.New(slog.DiscardHandler)}
	body := `{"n":"pageview","u":"https://atelier.fr/","d":"atelier.fr","r":"https://www.ecosia.org/"}`
	for round := 0; round < 2; round++ {
		c, err := New(context.Background(), cfg, eng, acc)
		if err != nil {
			t.Fatal(err)
		}
		e := &env{t: t, engine: eng, c: c}
		e.send(request{body: body})
		if err := c.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.advance(5 * time.Minute)
	}
	var s uint64
	var src string
	store.QueryRow(context.Background(), eng, "SELECT uniqExact(session_id), any(referrer_source) FROM events", nil, &s, &src)
	if s != 1 || src != "Ecosia" {
		t.Fatalf("sessions=%d source=%q across a restart; want 1 session", s, src)
	}
}

// Engagement joins a session but does not extend it, restart or not: a
// pageview, an engagement event 29 minutes later and a pageview 11 minutes
// after that make two sessions.
func TestRestartKeepsEngagementFromExtendingSessions(t *testing.T) {
	for _, restart := range []bool{false, true} {
		eng := storetest.Embedded(t)
		storetest.MustMigrate(t, eng)
		acc := accounts.New(eng)
		if _, err := acc.AddSite(context.Background(), "atelier.fr", "Europe/Paris"); err != nil {
			t.Fatal(err)
		}
		clk := &clock{t: time.Now().UTC().Add(-time.Hour)}
		cfg := Config{Dir: t.TempDir(), FlushInterval: 20 * time.Millisecond, Now: clk.now, Logger: slog.New(slog.DiscardHandler)}
		c, err := New(context.Background(), cfg, eng, acc)
		if err != nil {
			t.Fatal(err)
		}
		e := &env{t: t, engine: eng, c: c}
		pageview := `{"n":"pageview","u":"https://atelier.fr/","d":"atelier.fr"}`
		e.send(request{body: pageview})
		clk.advance(29 * time.Minute)
		if r := e.send(request{body: `{"n":"engagement","u":"https://atelier.fr/","d":"atelier.fr","sd":50,"e":1000}`}); len(r.Header.Peek(DroppedHeader)) != 0 {
			t.Fatal("the engagement event was dropped")
		}
		if restart {
			if err := c.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if c, err = New(context.Background(), cfg, eng, acc); err != nil {
				t.Fatal(err)
			}
			e.c = c
		}
		clk.advance(11 * time.Minute)
		e.send(request{body: pageview})
		e.flush()
		if err := c.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		var sessions uint64
		if err := store.QueryRow(context.Background(), eng, "SELECT uniqExact(session_id) FROM events WHERE name = 'pageview'", nil, &sessions); err != nil {
			t.Fatal(err)
		}
		if sessions != 2 {
			t.Errorf("restart=%v: %d sessions, want 2", restart, sessions)
		}
	}
}

func TestScript(t *testing.T) {
	e := newEnv(t, storetest.Embedded(t))
	// The snippet's path, which the query service writes, is the one served.
	path, integrity := trackerjs.Versioned()
	if !strings.HasPrefix(integrity, "sha256-") {
		t.Fatalf("integrity %q", integrity)
	}
	get := func(p, enc, inm string) *fasthttp.Response {
		var req fasthttp.Request
		req.SetRequestURI(p)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, nil, nil)
		e.c.Handle(&ctx)
		var resp fasthttp.Response
		ctx.Response.CopyTo(&resp)
		return &resp
	}
	plain := get("/js/script.js", "", "")
	if plain.StatusCode() != 200 || len(plain.Body()) < 100 || !strings.Contains(string(plain.Header.Peek("Cache-Control")), "max-age=86400") {
		t.Fatalf("script.js: %d %s", plain.StatusCode(), plain.Header.String())
	}
	br := get("/js/script.js", "gzip, br", "")
	if string(br.Header.Peek("Content-Encoding")) != "br" || len(br.Body()) >= len(plain.Body()) {
		t.Fatalf("brotli: %s", br.Header.String())
	}
	gz := get(path, "gzip", "")
	if gz.StatusCode() != 200 || string(gz.Header.Peek("Content-Encoding")) != "gzip" || !strings.Contains(string(gz.Header.Peek("Cache-Control")), "immutable") {
		t.Fatalf("versioned: %d %s", gz.StatusCode(), gz.Header.String())
	}
	if nm := get("/js/script.js", "", string(plain.Header.Peek("ETag"))); nm.StatusCode() != 304 {
		t.Fatalf("If-None-Match: %d", nm.StatusCode())
	}
	if nf := get("/js/script.deadbeef.js", "", ""); nf.StatusCode() != 404 {
		t.Fatalf("unknown version: %d", nf.StatusCode())
	}
}

// A flood of new user agents from one address, or of addresses from one
// IPv6 /64, ends that network's own sessions past --session-network-cap:
// the collector hands the tracker the client's network, counts the
// evictions in /metrics, and another visitor's visit stays one session.
func TestFloodFromOneNetworkIsCapped(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, storetest.Embedded(t), func(c *Config) {
		c.Sessions.PerNetwork = 20
		c.Registerer = reg
	})
	real := func(path string) {
		e.send(request{body: `{"n":"pageview","u":"https://atelier.fr` + path + `","d":"atelier.fr"}`, peer: "90.12.1.2"})
	}
	real("/real/1")
	for i := range 100 {
		ua := fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.%d.0 Safari/537.36", i)
		e.send(request{body: `{"n":"pageview","u":"https://atelier.fr/flood","d":"atelier.fr"}`, ua: ua, peer: "81.65.1.2"})
		e.send(request{body: `{"n":"pageview","u":"https://atelier.fr/flood","d":"atelier.fr"}`, peer: fmt.Sprintf("2a01:cb00:1:2::%x", i+1)})
	}
	e.clock.advance(10 * time.Minute)
	real("/real/2")
	e.flush()
	if n := e.count("startsWith(pathname, '/real/')", nil); n != 2 {
		t.Fatalf("%d events of the real visitor stored, want 2", n)
	}
	var sessions uint64
	store.QueryRow(context.Background(), e.engine, "SELECT uniqExact(session_id) FROM events WHERE startsWith(pathname, '/real/')", nil, &sessions)
	if sessions != 1 {
		t.Fatalf("the real visitor's visit is %d sessions, want 1", sessions)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	evicted := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "sillage_sessions_evicted_total" {
			for _, m := range mf.GetMetric() {
				evicted[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	if evicted["network_cap"] != 2*(100-20) || evicted["budget"] != 0 {
		t.Fatalf("sillage_sessions_evicted_total = %v, want network_cap %d and budget 0", evicted, 2*(100-20))
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
