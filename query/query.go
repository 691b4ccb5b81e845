// Package query is the query service: the Stats API (POST /api/v2/query,
// compatible with Plausible's v2), realtime visitors, CSV exports, funnel
// reports, the JSON API of accounts and settings (query/api), and the
// dashboard itself, on one net/http handler.
package query

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/internal/httperr"
	"github.com/sillage-analytics/sillage/query/admit"
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
	// MaxMemory is stats.Engine.MaxMemory: 0 for the default.
	MaxMemory int64
	// Stats, when set, is the engine of the Stats API, shared with the
	// dashboard's API and the email reports; SampleAbove and MaxMemory
	// are then its own.
	Stats *stats.Engine
	// Limits queue each caller's stats requests; a zero field takes its
	// default from DefaultLimits.
	Limits Limits
	// Registerer receives the service's metrics; nil keeps them private.
	Registerer prometheus.Registerer
	Now        func() time.Time
	Logger     *slog.Logger
}

// Limits bound the stats requests of each kind of caller (see package
// admit): a member's sessions, an account's API keys together, a site's
// shared links together. Shared links and API keys, which anyone holding
// them may use from anywhere, get less than the members who log in.
type Limits struct {
	Member, APIKey, SharedLink admit.Limit
}

// DefaultLimits suit the embedded engine on 2 cores, whose stats lane runs
// two statements at once (embedded.DefaultStatsConns): a member may use
// both, and about as much engine time as one of them has; a site's shared
// links or an account's API keys one at a time, and a third of that time. The queues fit the
// dashboard, which asks for about ten panels at once.
var DefaultLimits = Limits{
	Member:     admit.Limit{Concurrent: 2, Queue: 16, Budget: time.Minute},
	APIKey:     admit.Limit{Concurrent: 1, Queue: 4, Budget: 20 * time.Second},
	SharedLink: admit.Limit{Concurrent: 1, Queue: 16, Budget: 20 * time.Second},
}

// Server serves the query service.
type Server struct {
	o        Options
	stats    *stats.Engine
	static   *static
	admit    *admit.Limiter
	refusals *prometheus.CounterVec
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
	for _, l := range []*admit.Limit{&o.Limits.Member, &o.Limits.APIKey, &o.Limits.SharedLink} {
		if *l == (admit.Limit{}) {
			continue
		}
		if l.Concurrent < 1 || l.Queue < 0 || l.Budget < 0 {
			return nil, fmt.Errorf("stats limit %s: want at least 1 concurrent query, a queue and a budget of 0 or more", l)
		}
	}
	if o.Limits.Member == (admit.Limit{}) {
		o.Limits.Member = DefaultLimits.Member
	}
	if o.Limits.APIKey == (admit.Limit{}) {
		o.Limits.APIKey = DefaultLimits.APIKey
	}
	if o.Limits.SharedLink == (admit.Limit{}) {
		o.Limits.SharedLink = DefaultLimits.SharedLink
	}
	refusals := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sillage_stats_refused_total",
		Help: "Stats requests refused with 429 because their caller was over its limits, by kind of caller (member, api_key, shared_link; recalled when refused again before being looked up) and reason (queue, budget, recalled).",
	}, []string{"caller", "reason"})
	if o.Registerer != nil {
		if err := o.Registerer.Register(refusals); err != nil {
			return nil, fmt.Errorf("register query metrics: %w", err)
		}
	}
	s := &Server{
		o: o, static: st, admit: admit.New(o.Now), refusals: refusals,
		stats: o.Stats,
	}
	if s.stats == nil {
		s.stats = &stats.Engine{Store: o.Engine, Now: o.Now, SampleAbove: o.SampleAbove, MaxMemory: o.MaxMemory}
	}
	if o.API != nil {
		o.API.SetAdmission(apiAdmission{s})
	}
	return s, nil
}

// refuse answers 429 with Retry-After. kind is the caller's, or empty for
// a refusal recalled by fingerprint, before the caller was looked up.
func (s *Server) refuse(w http.ResponseWriter, kind string, busy *admit.Busy) {
	if kind == "" {
		kind = "recalled"
	}
	s.refusals.WithLabelValues(kind, busy.Reason).Inc()
	w.Header().Set("Retry-After", strconv.Itoa(int(busy.RetryAfter/time.Second)))
	httperr.Write(w, http.StatusTooManyRequests, httperr.Body{Error: busy.Error()})
}

// fingerprint hashes the credentials a request presents (an API key, a
// shared link, cookies), so that a caller just refused is refused again
// without a statement (admit.Limiter.Remember). The hash keeps no secret
// in memory.
func fingerprint(r *http.Request) string {
	h := sha256.New()
	for _, v := range [][]string{r.Header.Values("Authorization"), r.Header.Values(api.SharedLinkHeader), r.Header.Values("Cookie")} {
		for _, x := range v {
			io.WriteString(h, x)
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	return string(h.Sum(nil))
}

// authorizeAs decides whether a request may read a site's stats, then
// waits for its caller's turn (see Limits), and tells who the caller is
// (for the segments they may apply). When it returns ok, the request runs
// and must call release when its statements are done; otherwise the
// answer (401, 403, 404, 429…) is written. A caller refused moments ago
// is refused again before Authorize runs any statement.
func (s *Server) authorizeAs(w http.ResponseWriter, r *http.Request, domain string) (site sillage.Site, acc api.Access, release func(), ok bool) {
	return s.admitted(w, r, domain, nil)
}

// admitted is authorizeAs whose authorization errors pass through mapErr
// first, when it is not nil.
func (s *Server) admitted(w http.ResponseWriter, r *http.Request, domain string, mapErr func(error) error) (site sillage.Site, acc api.Access, release func(), ok bool) {
	fp := fingerprint(r)
	if busy := s.admit.Recall(fp); busy != nil {
		s.refuse(w, "", busy)
		return sillage.Site{}, api.Access{}, nil, false
	}
	site, acc, err := s.o.API.Authorize(r, domain)
	if err != nil && mapErr != nil {
		err = mapErr(err)
	}
	if err != nil {
		s.fail(w, r, err)
		return sillage.Site{}, api.Access{}, nil, false
	}
	key, kind, lim := s.callerLimit(site, acc)
	release, err = s.admit.Acquire(r.Context(), key, lim)
	var busy *admit.Busy
	if errors.As(err, &busy) {
		s.admit.Remember(fp, busy)
		s.refuse(w, kind, busy)
		return sillage.Site{}, api.Access{}, nil, false
	}
	if err != nil {
		// The client left while it waited: nobody reads an answer.
		return sillage.Site{}, api.Access{}, nil, false
	}
	return site, acc, release, true
}

// callerLimit is whose queue a request waits in, the kind of caller (for
// the metrics) and its limit. A tenant makes keys and links at will:
// counting each alone would multiply its share, so all of an account's
// keys queue together, and all of a site's links.
func (s *Server) callerLimit(site sillage.Site, acc api.Access) (key, kind string, lim admit.Limit) {
	switch acc.Via {
	case api.ViaAPIKey:
		return "keys:" + acc.UserID, "api_key", s.o.Limits.APIKey
	case api.ViaSharedLink:
		return "links:" + strconv.FormatUint(uint64(site.ID), 10), "shared_link", s.o.Limits.SharedLink
	}
	return "user:" + acc.UserID, "member", s.o.Limits.Member
}

// apiAdmission puts the API's routes that read events (the live view,
// property names) under the callers' limits of the stats endpoints.
type apiAdmission struct{ s *Server }

func (x apiAdmission) Recall(r *http.Request) error {
	busy := x.s.admit.Recall(fingerprint(r))
	if busy == nil {
		return nil
	}
	x.s.refusals.WithLabelValues("recalled", busy.Reason).Inc()
	return api.TooBusy(busy.Error(), busy.RetryAfter)
}

func (x apiAdmission) Admit(r *http.Request, site sillage.Site, acc api.Access) (func(), error) {
	key, kind, lim := x.s.callerLimit(site, acc)
	release, err := x.s.admit.Acquire(r.Context(), key, lim)
	var busy *admit.Busy
	if errors.As(err, &busy) {
		x.s.admit.Remember(fingerprint(r), busy)
		x.s.refusals.WithLabelValues(kind, busy.Reason).Inc()
		return nil, api.TooBusy(busy.Error(), busy.RetryAfter)
	}
	return release, err
}

// Handler routes the service's requests.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/query", s.query)
	mux.HandleFunc("GET /api/v1/stats/realtime/visitors", s.realtime)
	s.v1Routes(mux)
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
		httperr.Write(w, http.StatusBadRequest, httperr.Body{Error: qe.Message})
		return
	}
	api.WriteError(w, s.o.Logger, r, err)
}

// failV2 is fail for the Stats API v2, whose messages name the JSON path
// of the field at fault, as Plausible's ("#/metrics/0: …").
func (s *Server) failV2(w http.ResponseWriter, r *http.Request, err error) {
	var qe *stats.QueryError
	if errors.As(err, &qe) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": qe.PathMessage()})
		return
	}
	s.fail(w, r, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// goals returns a site's goals, which the stats engine counts.
func (s *Server) goals(r *http.Request, site sillage.Site) ([]stats.Goal, error) {
	return s.o.Accounts.Goals(r.Context(), site.ID)
}

// readQuery reads a request's query body; past api.MaxBodyBytes, the bound
// of every JSON body, it answers 413 and returns false.
func readQuery(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxBodyBytes))
	if err != nil {
		httperr.Write(w, http.StatusRequestEntityTooLarge, httperr.Body{Error: fmt.Sprintf("query larger than %d KiB", api.MaxBodyBytes>>10)})
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
	return stats.ParseQueryObject(m)
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	body, ok := readQuery(w, r)
	if !ok {
		return
	}
	q, err := stats.ParseQuery(body)
	if err != nil {
		s.failV2(w, r, err)
		return
	}
	site, acc, release, ok := s.admitted(w, r, q.SiteID, keyRefused(r))
	if !ok {
		return
	}
	defer release()
	if err := s.o.API.ExpandSegments(r.Context(), site, acc, q); err != nil {
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
		s.failV2(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) realtime(w http.ResponseWriter, r *http.Request) {
	site, release, ok := s.v1Authorize(w, r, r.URL.Query().Get("site_id"))
	if !ok {
		return
	}
	defer release()
	// The live view's snapshot, so that the API and the dashboard tell
	// the same number of current visitors at the same moment.
	snap, err := s.o.API.Live().Get(r.Context(), site.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, snap.Current)
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
	site, acc, release, ok := s.authorizeAs(w, r, r.PathValue("domain"))
	if !ok {
		return
	}
	defer release()
	q, err := exportQuery(r, site.Domain)
	if err == nil {
		err = s.o.API.ExpandSegments(r.Context(), site, acc, q)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	goals, err := s.goals(r, site)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	notes, err := s.exportAnnotations(r, site, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("sillage-%s-%s.zip", site.Domain, s.o.Now().Format("20060102"))
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := s.stats.Export(r.Context(), site, goals, q, w, notes...); err != nil {
		// The zip may be half written; the client sees a broken download.
		s.o.Logger.Error("export failed", "site", site.Domain, "error", err)
	}
}

// exportAnnotations is annotations.csv of an export: the site's notes
// that touch the exported days, for whoever may read them (a shared link
// only when the owner shares them). Text is neutralised for spreadsheets.
func (s *Server) exportAnnotations(r *http.Request, site sillage.Site, q *stats.Query) ([]stats.ExportFile, error) {
	_, acc, err := s.o.API.Authorize(r, site.Domain)
	if err != nil {
		return nil, err
	}
	ok, err := s.o.API.AnnotationsVisible(r, site.ID, acc)
	if err != nil || !ok {
		return nil, err
	}
	first, last, err := s.stats.Days(r.Context(), site, q)
	if err != nil {
		return nil, err
	}
	list, err := s.o.Accounts.Annotations(r.Context(), site.ID, first, last)
	if err != nil {
		return nil, err
	}
	header, lines := accounts.AnnotationsCSV(list)
	return []stats.ExportFile{{Name: "annotations.csv", Header: header, Lines: lines}}, nil
}

func (s *Server) funnel(w http.ResponseWriter, r *http.Request) {
	site, acc, release, ok := s.authorizeAs(w, r, r.PathValue("domain"))
	if !ok {
		return
	}
	defer release()
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
			httperr.Write(w, http.StatusConflict, httperr.Body{Error: "a step of this funnel is a goal that was deleted"})
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
	if err == nil {
		err = s.o.API.ExpandSegments(r.Context(), site, acc, q)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.stats.Funnel(r.Context(), site, steps, time.Duration(f.WindowSeconds)*time.Second, q, goals...)
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
	// The site's own script carries the features ticked in its settings,
	// its domain baked in: a tick changes the file, never this snippet.
	sc, err := s.o.Accounts.SiteScript(r.Context(), site.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The attribute-configured script.js snippet follows upgrades too; the
	// pinned one must be replaced after each upgrade, since the server only
	// serves its own version.
	writeJSON(w, http.StatusOK, map[string]string{
		"snippet":           fmt.Sprintf(`<script defer src="%s/js/s/%s.js"></script>`, origin, sc.Token),
		"snippet_script_js": fmt.Sprintf(`<script defer data-domain="%s" src="%s/js/script.js"></script>`, site.Domain, origin),
		"snippet_sri": fmt.Sprintf(`<script defer data-domain="%s" src="%s%s" integrity="%s" crossorigin="anonymous"></script>`,
			site.Domain, origin, s.o.ScriptPath, s.o.Integrity),
		"integrity": s.o.Integrity,
	})
}
