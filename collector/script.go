package collector

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/valyala/fasthttp"

	trackerjs "github.com/sillage-analytics/sillage/tracker-js"
)

// scripts serves the tracker's variants precompressed, every path under
// /js/, and answers 404 to the rest of /js/ (never the dashboard's page):
//
//	/js/script.js              every feature (dist/script.js)
//	/js/core.js, /js/core+f.js a variant of dist/ as built
//	/js/script.<ext>….js       Plausible's legacy names (also plausible.<ext>….js):
//	/js/plausible.js           the smallest variant that holds the extensions'
//	                           features, with their options baked in
//
// Each is also served at a versioned name, the path with the first 12 hex
// digits of its content's SHA-256 before ".js", which never changes and is
// cached for a year; the plain names may change with a release, so they
// are cached for a day and revalidated by ETag.
type scripts struct {
	variants []trackerjs.Variant // smallest first
	mu       sync.Mutex
	files    map[string]*scriptFile // by integrity (the content's SHA-256)
	paths    map[string]servedPath  // by path (no version)

	// Per-site scripts, /js/s/<token>.js: the settings come from `sites`
	// (nil: none served), each file is kept siteScriptTTL.
	sites     SiteScripts
	siteFiles map[string]siteFile
	// siteMiss lets one lookup of the store at a time serve a token not
	// cached: a flood of made-up tokens queues instead of loading the
	// store, and requests for one token share its lookup.
	siteMiss chan struct{}
	now      func() time.Time
	log      *slog.Logger
}

// SiteScripts finds a site's own script settings by the token of its
// snippet (accounts.Service is one): the site's domain and the features
// ticked; found is false for no live site's token.
type SiteScripts interface {
	SiteScriptSettings(ctx context.Context, token string) (domain string, features []string, found bool, err error)
}

// siteScriptTTL is how long a per-site script is served as built before its
// settings are read again, and its Cache-Control max-age: a tick in the
// settings shows within twice that.
const siteScriptTTL = time.Minute

type siteFile struct {
	f       *scriptFile // nil: no such token
	expires time.Time
}

// siteOptions are the settings a ticked feature turns on in a per-site
// script, as data-* names (features that wait for their attribute).
var siteOptions = map[string]string{"hash": "hash", "outbound": "outboundLinks", "downloads": "fileDownloads", "forms": "forms"}

var siteToken = regexp.MustCompile(`^/js/s/([0-9a-f]{8,64})\.js$`)

// siteScript returns the file of the per-site script at path, or
// errNoScript.
func (s *scripts) siteScript(ctx context.Context, path string) (*scriptFile, error) {
	m := siteToken.FindStringSubmatch(path)
	if m == nil || s.sites == nil {
		return nil, errNoScript
	}
	token := m[1]
	cached := func() (*scriptFile, bool) {
		s.mu.Lock()
		sf, ok := s.siteFiles[token]
		s.mu.Unlock()
		return sf.f, ok && s.now().Before(sf.expires)
	}
	if f, ok := cached(); ok {
		if f == nil {
			return nil, errNoScript
		}
		return f, nil
	}
	select {
	case s.siteMiss <- struct{}{}:
		defer func() { <-s.siteMiss }()
	case <-ctx.Done():
		return nil, fmt.Errorf("site script %s: %w", token, context.Cause(ctx))
	}
	// Another request may have looked it up meanwhile.
	if f, ok := cached(); ok {
		if f == nil {
			return nil, errNoScript
		}
		return f, nil
	}
	now := s.now()
	domain, features, found, err := s.sites.SiteScriptSettings(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("site script %s: %w", token, err)
	}
	sf := siteFile{expires: now.Add(siteScriptTTL)}
	if found {
		opts := map[string]string{"domain": domain}
		for _, f := range features {
			if o, ok := siteOptions[f]; ok {
				opts[o] = ""
			}
		}
		raw, err := s.bake(features, opts)
		if err != nil {
			return nil, fmt.Errorf("site script %s: %w", token, err)
		}
		sf.f = compress(raw)
	}
	s.mu.Lock()
	if len(s.siteFiles) > 100_000 {
		clear(s.siteFiles) // tokens made up by a client: start again
	}
	s.siteFiles[token] = sf
	s.mu.Unlock()
	if sf.f == nil {
		return nil, errNoScript
	}
	return sf.f, nil
}

// unasked are the features that act without any setting, and the setting
// that turns each off in a variant served in place of one without it.
var unasked = map[string]string{"engagement": "noEngagement", "tagged": "noTagged"}

// bake returns the smallest variant that holds `need`, with `opts` baked
// in (none: as built), and the features it has beyond `need` that act
// without a setting turned off.
func (s *scripts) bake(need []string, opts map[string]string) ([]byte, error) {
	for _, v := range s.variants {
		if !v.Has(need) {
			continue
		}
		for f, off := range unasked {
			if v.Has([]string{f}) && !slices.Contains(need, f) {
				if opts == nil {
					opts = map[string]string{}
				}
				opts[off] = ""
			}
		}
		if len(opts) == 0 {
			// Served as built: the placeholder reads as no option.
			return v.Code, nil
		}
		js, err := json.Marshal(opts)
		if err != nil {
			return nil, fmt.Errorf("options %v: %w", opts, err)
		}
		// The object's members, in place of the placeholder's.
		return bytes.Replace(v.Code, []byte(trackerjs.Placeholder), js[1:len(js)-1], 1), nil
	}
	return nil, fmt.Errorf("no variant holds %v", need)
}

// scriptFile is one served file.
type scriptFile struct {
	raw, gz, br []byte
	etag        string
}

// legacyExtensions are Plausible's script extensions: the features each
// needs and the options (data-* names, as dataset spells them) it turns on.
var legacyExtensions = map[string]struct {
	feature string
	option  string
}{
	"hash":           {"hash", "hash"},
	"outbound-links": {"outbound", "outboundLinks"},
	"file-downloads": {"downloads", "fileDownloads"},
	"tagged-events":  {"tagged", ""},
	"revenue":        {"revenue", ""},
	"pageview-props": {"props", ""},
	"exclusions":     {"", ""}, // data-exclude and data-include are in the core
	"local":          {"", "allowLocalhost"},
	"manual":         {"", "manual"},
	"compat":         {"", ""}, // the tracker needs no compatibility mode
}

// legacyBase is what every Plausible script carries: engagement events.
var legacyBase = []string{"engagement"}

func newScripts() (*scripts, error) {
	vs, err := trackerjs.Variants()
	if err != nil {
		return nil, fmt.Errorf("tracker variants: %w", err)
	}
	slices.SortStableFunc(vs, func(a, b trackerjs.Variant) int { return len(a.Code) - len(b.Code) })
	s := &scripts{variants: vs, files: map[string]*scriptFile{}, paths: map[string]servedPath{}, siteFiles: map[string]siteFile{},
		siteMiss: make(chan struct{}, 1), now: time.Now, log: slog.Default()}
	if _, _, _, err := s.file("/js/script.js"); err != nil {
		return nil, err
	}
	return s, nil
}

func compress(raw []byte) *scriptFile {
	sum := sha256.Sum256(raw)
	f := &scriptFile{raw: raw, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	f.gz = append([]byte(nil), b.Bytes()...)
	b.Reset()
	bw := brotli.NewWriterLevel(&b, brotli.BestCompression)
	bw.Write(raw)
	bw.Close()
	f.br = append([]byte(nil), b.Bytes()...)
	return f
}

var versionSuffix = regexp.MustCompile(`\.[0-9a-f]{12}\.js$`)

// errNoScript: the path names no script.
var errNoScript = fmt.Errorf("no such script")

// compose returns the content served at a path without version, or
// errNoScript.
func (s *scripts) compose(path string) ([]byte, error) {
	name, ok := strings.CutPrefix(path, "/js/")
	if !ok || !strings.HasSuffix(name, ".js") || strings.Contains(name, "/") {
		return nil, errNoScript
	}
	for _, v := range s.variants {
		if v.Name == name {
			return v.Code, nil
		}
	}
	parts := strings.Split(strings.TrimSuffix(name, ".js"), ".")
	if parts[0] != "script" && parts[0] != "plausible" {
		return nil, errNoScript
	}
	need := slices.Clone(legacyBase)
	opts := map[string]string{}
	seen := map[string]bool{}
	for _, ext := range parts[1:] {
		e, ok := legacyExtensions[ext]
		if !ok || seen[ext] {
			return nil, errNoScript
		}
		seen[ext] = true
		if e.feature != "" {
			need = append(need, e.feature)
		}
		if e.option != "" {
			opts[e.option] = ""
		}
	}
	return s.bake(need, opts)
}

// file returns the file served at path (without version), with its
// versioned path and integrity. Composing is cheap; the compressed forms
// are made once per content: the legacy names are countless (any order of
// the extensions), their contents a few dozen (a variant and the options
// baked in).
func (s *scripts) file(path string) (f *scriptFile, versionedPath, integrity string, err error) {
	s.mu.Lock()
	p, ok := s.paths[path]
	s.mu.Unlock()
	if ok {
		return p.f, p.versionedPath, p.integrity, nil
	}
	raw, err := s.compose(path)
	if err != nil {
		return nil, "", "", err
	}
	versionedPath, integrity = trackerjs.VersionedName(path, raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok = s.files[integrity]
	if !ok {
		f = compress(raw)
		s.files[integrity] = f
	}
	// The paths asked for, up to a bound (past it, names made up by a
	// client are composed per request).
	if len(s.paths) < 1024 {
		s.paths[path] = servedPath{f, versionedPath, integrity}
	}
	return f, versionedPath, integrity, nil
}

type servedPath struct {
	f                        *scriptFile
	versionedPath, integrity string
}

func (s *scripts) serve(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	if strings.HasPrefix(path, "/js/s/") {
		s.serveSite(ctx, path)
		return
	}
	plain, versioned := path, false
	if versionSuffix.MatchString(path) {
		plain, versioned = path[:len(path)-len(".0123456789ab.js")]+".js", true
	}
	f, versionedPath, _, err := s.file(plain)
	if err == nil && versioned && versionedPath != path {
		err = errNoScript
	}
	if err != nil {
		ctx.Error("not found", fasthttp.StatusNotFound)
		return
	}
	if versioned {
		s.write(ctx, f, "public, max-age=31536000, immutable")
	} else {
		s.write(ctx, f, "public, max-age=86400, must-revalidate")
	}
}

// serveSite serves a per-site script, /js/s/<token>.js.
func (s *scripts) serveSite(ctx *fasthttp.RequestCtx, path string) {
	f, err := s.siteScript(ctx, path)
	if errors.Is(err, errNoScript) {
		ctx.Error("not found", fasthttp.StatusNotFound)
		return
	}
	if err != nil {
		// The store is down: the page goes on without its script for now,
		// and the browser asks again (no cache).
		s.log.Warn("per-site script not served", "error", err)
		ctx.Response.Header.Set("Retry-After", "5")
		ctx.Response.Header.Set("Cache-Control", "no-store")
		ctx.Error("settings unavailable", fasthttp.StatusServiceUnavailable)
		return
	}
	s.write(ctx, f, "public, max-age="+strconv.Itoa(int(siteScriptTTL/time.Second)))
}

// write answers a script file with its caching, CORS and encoding.
func (s *scripts) write(ctx *fasthttp.RequestCtx, f *scriptFile, cacheControl string) {
	h := &ctx.Response.Header
	h.Set("Cache-Control", cacheControl)
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Error("method not allowed", fasthttp.StatusMethodNotAllowed)
		return
	}
	h.Set("ETag", f.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.SetContentType("application/javascript; charset=utf-8")
	if string(ctx.Request.Header.Peek("If-None-Match")) == f.etag {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	switch {
	case ctx.Request.Header.HasAcceptEncoding("br"):
		h.Set("Content-Encoding", "br")
		ctx.SetBody(f.br)
	case ctx.Request.Header.HasAcceptEncoding("gzip"):
		h.Set("Content-Encoding", "gzip")
		ctx.SetBody(f.gz)
	default:
		ctx.SetBody(f.raw)
	}
}

// newScript builds the script server from the embedded variants. They are
// part of the binary and checked by tracker-js's tests, so a failure here
// is a broken build, not a runtime condition.
func newScript() *scripts {
	s, err := newScripts()
	if err != nil {
		panic(fmt.Sprintf("embedded tracker: %v", err))
	}
	return s
}
