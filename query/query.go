// Package query is the query service: the Stats API (POST /api/v2/query,
// compatible with Plausible's v2), realtime visitors, CSV exports, funnel
// reports, the JSON API of accounts and settings (query/api), and the
// dashboard itself, on one net/http handler.
package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/store"
)

// Options assemble a query service.
type Options struct {
	Engine    store.Engine
	Accounts  *accounts.Service
	API       *api.API
	Dashboard fs.FS // the built dashboard, index.html at its root
	// ScriptPath and Integrity name the versioned tracker, for site owners
	// who pin it with subresource integrity.
	ScriptPath, Integrity string
	// SampleAbove is stats.Engine.SampleAbove: 0 for the default.
	SampleAbove uint64
	Now         func() time.Time
	Logger      *slog.Logger
}

// Server serves the query service.
type Server struct {
	o      Options
	stats  *stats.Engine
	static *static
}

// New checks the options and builds the server.
func New(o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	st, err := newStatic(o.Dashboard)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return &Server{o: o, stats: &stats.Engine{Store: o.Engine, Now: o.Now, SampleAbove: o.SampleAbove}, static: st}, nil
}

// Handler routes the service's requests.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/query", s.query)
	mux.HandleFunc("GET /api/v1/stats/realtime/visitors", s.realtime)
	mux.HandleFunc("GET /api/sites/{domain}/export", s.export)
	mux.HandleFunc("POST /api/sites/{domain}/funnels/{id}/report", s.funnel)
	mux.HandleFunc("GET /api/sites/{domain}/snippet", s.snippet)
	mux.Handle("/api/", s.o.API.Handler())
	mux.Handle("/", s.static)
	return mux
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var qe *stats.QueryError
	if errors.As(err, &qe) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": qe.Message})
		return
	}
	api.WriteError(w, s.o.Logger, r, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// goals returns a site's goals in the stats engine's terms.
func (s *Server) goals(r *http.Request, site sillage.Site) ([]stats.Goal, error) {
	gs, err := s.o.Accounts.Goals(r.Context(), site.ID)
	if err != nil {
		return nil, err
	}
	out := make([]stats.Goal, len(gs))
	for i, g := range gs {
		out[i] = stats.Goal{ID: g.ID, EventName: g.EventName, PagePath: g.PagePath, Currency: g.Currency, DisplayName: g.DisplayName}
	}
	return out, nil
}

const maxQueryBytes = 64 << 10

// readQuery reads a request's query body; past maxQueryBytes it answers
// 413 and returns false.
func readQuery(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxQueryBytes))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "query larger than 64 KiB"})
		return nil, false
	}
	return body, true
}

// siteQuery parses a client's JSON object as a Stats API query of one
// site: its site_id is the site's whatever the object says, and the keys
// it lacks take the given defaults.
func siteQuery(m map[string]json.RawMessage, domain string, defaults map[string]string) (*stats.Query, error) {
	site, _ := json.Marshal(domain)
	m["site_id"] = site
	for k, v := range defaults {
		if _, ok := m[k]; !ok {
			m[k] = json.RawMessage(v)
		}
	}
	b, _ := json.Marshal(m)
	return stats.ParseQuery(b)
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	body, ok := readQuery(w, r)
	if !ok {
		return
	}
	q, err := stats.ParseQuery(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	site, _, err := s.o.API.Authorize(r, q.SiteID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	goals, err := s.goals(r, site)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := s.stats.Run(r.Context(), site, goals, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) realtime(w http.ResponseWriter, r *http.Request) {
	site, _, err := s.o.API.Authorize(r, r.URL.Query().Get("site_id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.stats.Realtime(r.Context(), site)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// exportQuery is the view to export: a Stats API query in the "query"
// parameter (its site_id is ignored), or the last 30 days.
func exportQuery(r *http.Request, domain string) (*stats.Query, error) {
	raw := r.URL.Query().Get("query")
	if raw == "" {
		raw = `{"metrics":["visitors"],"date_range":"30d"}`
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m == nil {
		return nil, &stats.QueryError{Message: "query: not a JSON object"}
	}
	return siteQuery(m, domain, map[string]string{"metrics": `["visitors"]`})
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	domain := r.PathValue("domain")
	site, _, err := s.o.API.Authorize(r, domain)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q, err := exportQuery(r, site.Domain)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	goals, err := s.goals(r, site)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("sillage-%s-%s.zip", site.Domain, s.o.Now().Format("20060102"))
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if err := s.stats.Export(r.Context(), site, goals, q, w); err != nil {
		// The zip may be half written; the client sees a broken download.
		s.o.Logger.Error("export failed", "site", site.Domain, "error", err)
	}
}

func (s *Server) funnel(w http.ResponseWriter, r *http.Request) {
	site, _, err := s.o.API.Authorize(r, r.PathValue("domain"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.o.Accounts.Funnel(r.Context(), site.ID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	goals, err := s.goals(r, site)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byID := map[string]stats.Goal{}
	for _, g := range goals {
		byID[g.ID] = g
	}
	steps := make([]stats.Goal, 0, len(f.Steps))
	for _, id := range f.Steps {
		g, ok := byID[id]
		if !ok {
			writeJSON(w, http.StatusConflict, map[string]string{"error": "a step of this funnel is a goal that was deleted"})
			return
		}
		steps = append(steps, g)
	}
	body, ok := readQuery(w, r)
	if !ok {
		return
	}
	// The report's options: a malformed body takes the defaults.
	var m map[string]json.RawMessage
	if len(body) == 0 || json.Unmarshal(body, &m) != nil || m == nil {
		m = map[string]json.RawMessage{}
	}
	m["metrics"] = json.RawMessage(`["visitors"]`)
	q, err := siteQuery(m, site.Domain, map[string]string{"date_range": `"30d"`})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.stats.Funnel(r.Context(), site, steps, time.Duration(f.WindowSeconds)*time.Second, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) snippet(w http.ResponseWriter, r *http.Request) {
	site, _, err := s.o.API.Authorize(r, r.PathValue("domain"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	origin := scheme + "://" + r.Host
	// The plain snippet follows upgrades; the pinned one must be replaced
	// after each upgrade, since the server only serves its own version.
	writeJSON(w, http.StatusOK, map[string]string{
		"snippet": fmt.Sprintf(`<script defer data-domain="%s" src="%s/js/script.js"></script>`, site.Domain, origin),
		"snippet_sri": fmt.Sprintf(`<script defer data-domain="%s" src="%s%s" integrity="%s" crossorigin="anonymous"></script>`,
			site.Domain, origin, s.o.ScriptPath, s.o.Integrity),
		"integrity": s.o.Integrity,
	})
}
