package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	trackerjs "github.com/sillage-analytics/sillage/tracker-js"
)

// get asks the script server for path, as the collector's Handle does, and
// reports whether Handle took it.
func getScript(t testing.TB, c *Collector, s *scripts, path string) (*fasthttp.Response, bool) {
	t.Helper()
	var req fasthttp.Request
	req.SetRequestURI(path)
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, nil, nil)
	handled := true
	if c != nil {
		handled = c.Handle(&ctx)
	} else {
		s.serve(&ctx)
	}
	var resp fasthttp.Response
	ctx.Response.CopyTo(&resp)
	return &resp, handled
}

// baked returns the options a served file carries and the variant it was
// made from.
func baked(t *testing.T, body []byte) (map[string]string, string) {
	t.Helper()
	vs, err := trackerjs.Variants()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		before, after, _ := bytes.Cut(v.Code, []byte(trackerjs.Placeholder))
		if bytes.HasPrefix(body, before) && bytes.HasSuffix(body, after) && len(body) >= len(before)+len(after) {
			opts := map[string]string{}
			middle := body[len(before) : len(body)-len(after)]
			if string(middle) == trackerjs.Placeholder {
				return opts, v.Name
			}
			if err := json.Unmarshal([]byte("{"+string(middle)+"}"), &opts); err != nil {
				t.Fatalf("baked options of %s: %v", v.Name, err)
			}
			return opts, v.Name
		}
	}
	t.Fatalf("served file is no variant: %.80s", body)
	return nil, ""
}

func TestScriptPaths(t *testing.T) {
	s, err := newScripts()
	if err != nil {
		t.Fatal(err)
	}
	// /js/script.js is dist/script.js as built, so the versioned name and
	// integrity computed from dist/ (README.md) are the served file's.
	if resp, _ := getScript(t, nil, s, "/js/script.js"); !bytes.Equal(resp.Body(), trackerjs.Script) {
		t.Fatal("/js/script.js is not dist/script.js")
	}
	for _, tc := range []struct {
		path    string
		variant string
		opts    map[string]string
	}{
		{"/js/script.js", "script.js", map[string]string{}},
		{"/js/core.js", "core.js", map[string]string{}},
		{"/js/core+hash.js", "core+hash.js", map[string]string{}},
		{"/js/plausible.js", "core+engagement.js", map[string]string{}},
		{"/js/script.hash.js", "core+engagement+hash.js", map[string]string{"hash": ""}},
		{"/js/plausible.outbound-links.js", "core+engagement+outbound.js", map[string]string{"outboundLinks": ""}},
		{"/js/script.manual.local.js", "core+engagement.js", map[string]string{"manual": "", "allowLocalhost": ""}},
		{"/js/script.tagged-events.js", "core+engagement+tagged.js", map[string]string{}},
		{"/js/script.exclusions.compat.js", "core+engagement.js", map[string]string{}},
		// No variant has just these: every feature, tagged elements off.
		{"/js/script.file-downloads.outbound-links.js", "script.js", map[string]string{"fileDownloads": "", "outboundLinks": "", "noTagged": ""}},
		{"/js/script.outbound-links.file-downloads.js", "script.js", map[string]string{"fileDownloads": "", "outboundLinks": "", "noTagged": ""}},
		{"/js/script.hash.outbound-links.file-downloads.tagged-events.revenue.pageview-props.exclusions.local.manual.compat.js", "script.js",
			map[string]string{"hash": "", "outboundLinks": "", "fileDownloads": "", "allowLocalhost": "", "manual": ""}},
	} {
		resp, _ := getScript(t, nil, s, tc.path)
		if resp.StatusCode() != 200 {
			t.Errorf("%s: %d", tc.path, resp.StatusCode())
			continue
		}
		opts, variant := baked(t, resp.Body())
		if variant != tc.variant || len(opts) != len(tc.opts) {
			t.Errorf("%s: %s with %v, want %s with %v", tc.path, variant, opts, tc.variant, tc.opts)
		}
		for k := range tc.opts {
			if _, ok := opts[k]; !ok {
				t.Errorf("%s: option %s not baked in: %v", tc.path, k, opts)
			}
		}
		// Its versioned name serves the same bytes, cached for ever.
		_, versioned, _, err := s.file(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := getScript(t, nil, s, versioned)
		if v.StatusCode() != 200 || !bytes.Equal(v.Body(), resp.Body()) || !strings.Contains(string(v.Header.Peek("Cache-Control")), "immutable") {
			t.Errorf("%s: versioned %s: %d", tc.path, versioned, v.StatusCode())
		}
	}
	// Any order of the extensions is one file, compressed once.
	before := len(s.files)
	for _, p := range []string{"/js/script.revenue.hash.js", "/js/script.hash.revenue.js", "/js/plausible.hash.revenue.js"} {
		if resp, _ := getScript(t, nil, s, p); resp.StatusCode() != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode())
		}
	}
	if n := len(s.files) - before; n != 1 {
		t.Errorf("three orders of the same extensions made %d files, want 1", n)
	}
	for _, path := range []string{
		"/js/script.unknown.js", "/js/script.hash.hash.js", "/js/script.hash.js.js", "/js/nope.js", "/js/", "/js/a/b.js",
		"/js/core+nope.js", "/js/script.0123456789ab.js", "/js/script.hash.0123456789ab.js", "/js/script", "/js/script.js/",
		"/js/plausible.Hash.js", "/js/core+hash+outbound.js",
	} {
		if resp, _ := getScript(t, nil, s, path); resp.StatusCode() != 404 {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode())
		}
	}
}

// Every path under /js/ is the collector's: an unknown one is a 404, not
// left to the dashboard, which would answer its HTML page.
func TestUnknownScriptIsNotFound(t *testing.T) {
	c := &Collector{script: newScript()}
	for _, path := range []string{"/js/nope.js", "/js/app.js", "/js/script.outbound.js"} {
		resp, handled := getScript(t, c, nil, path)
		if !handled || resp.StatusCode() != 404 {
			t.Errorf("%s: handled %v, %d; want the collector's 404", path, handled, resp.StatusCode())
		}
	}
	if !IsRoute([]byte("/js/nope.js")) {
		t.Error("/js/nope.js is not the collector's route while it starts")
	}
}

func FuzzScriptPath(f *testing.F) {
	s, err := newScripts()
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{"/js/script.js", "/js/script.hash.outbound-links.js", "/js/core+hash.js", "/js/x", "/js/script..js", "/js/plausible.0123456789ab.js"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		body, err := s.compose(path)
		if err != nil {
			return
		}
		if !bytes.Contains(body, []byte("/api/event")) {
			t.Fatalf("%q: served a broken file", path)
		}
	})
}

func BenchmarkScriptServe(b *testing.B) {
	s, err := newScripts()
	if err != nil {
		b.Fatal(err)
	}
	var req fasthttp.Request
	req.SetRequestURI("/js/script.hash.outbound-links.js")
	req.Header.Set("Accept-Encoding", "gzip, br")
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	for b.Loop() {
		ctx.Init(&req, nil, nil)
		s.serve(&ctx)
	}
}

// fakeSiteScripts holds script settings by token, and counts lookups.
type fakeSiteScripts struct {
	mu      sync.Mutex
	byToken map[string][]string
	calls   int
}

func (f *fakeSiteScripts) SiteScriptSettings(ctx context.Context, token string) (string, []string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	fs, ok := f.byToken[token]
	if !ok {
		return "", nil, false, nil
	}
	if fs == nil {
		return "", nil, false, errors.New("store down")
	}
	return "librairie.fr", fs, true, nil
}

func TestSiteScript(t *testing.T) {
	s, err := newScripts()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	sites := &fakeSiteScripts{byToken: map[string][]string{"0123456789abcdef": {"outbound"}, "deadbeefdeadbeef": nil}}
	s.sites = sites
	resp, _ := getScript(t, nil, s, "/js/s/0123456789abcdef.js")
	opts, variant := baked(t, resp.Body())
	if resp.StatusCode() != 200 || variant != "core+outbound.js" || opts["domain"] != "librairie.fr" || len(opts) != 2 {
		t.Fatalf("site script: %d %s %v", resp.StatusCode(), variant, opts)
	}
	if _, ok := opts["outboundLinks"]; !ok {
		t.Fatalf("outbound links not turned on: %v", opts)
	}
	if cc := string(resp.Header.Peek("Cache-Control")); cc != "public, max-age=60" {
		t.Fatalf("Cache-Control %q", cc)
	}
	// A tick changes the file served at the same path once its minute is
	// over, not before (one lookup per minute and token).
	sites.mu.Lock()
	sites.byToken["0123456789abcdef"] = []string{"engagement", "tagged"}
	sites.mu.Unlock()
	resp, _ = getScript(t, nil, s, "/js/s/0123456789abcdef.js")
	if _, variant = baked(t, resp.Body()); variant != "core+outbound.js" || sites.calls != 1 {
		t.Fatalf("within the minute: %s, %d lookups", variant, sites.calls)
	}
	now = now.Add(siteScriptTTL)
	resp, _ = getScript(t, nil, s, "/js/s/0123456789abcdef.js")
	if opts, variant = baked(t, resp.Body()); variant != "core+engagement+tagged.js" || len(opts) != 1 {
		t.Fatalf("after the minute: %s %v", variant, opts)
	}
	// Ticks no variant has alone: every feature, the unticked that act
	// without a setting turned off.
	sites.mu.Lock()
	sites.byToken["0123456789abcdef"] = []string{"outbound", "forms"}
	sites.mu.Unlock()
	now = now.Add(siteScriptTTL)
	resp, _ = getScript(t, nil, s, "/js/s/0123456789abcdef.js")
	opts, variant = baked(t, resp.Body())
	want := map[string]string{"domain": "librairie.fr", "outboundLinks": "", "forms": "", "noEngagement": "", "noTagged": ""}
	if variant != "script.js" || !maps.Equal(opts, want) {
		t.Fatalf("two features: %s %v, want script.js %v", variant, opts, want)
	}
	for path, want := range map[string]int{
		"/js/s/ffffffffffffffff.js": 404, // no such site
		"/js/s/0123456789ABCDEF.js": 404, // tokens are lower-case hex
		"/js/s/deadbeefdeadbeef.js": 503, // the store is down
	} {
		if resp, _ := getScript(t, nil, s, path); resp.StatusCode() != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode(), want)
		}
	}
}
