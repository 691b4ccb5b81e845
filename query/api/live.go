package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/sillage-analytics/sillage/query/internal/live"
	"github.com/sillage-analytics/sillage/query/stats"
)

// The live view and the discovery of custom property names. Both read the
// site's stats, so whoever reads the site reads them: members, the site's
// API keys and its shared links (Plausible's shared dashboards offer the
// realtime view too).
func (a *API) liveRoutes() {
	a.serve("GET /api/sites/{domain}/live", siteStats, a.getLive)
	a.serve("GET /api/sites/{domain}/props", siteStats, a.getPropKeys)
}

// Live is the cache of live snapshots, which the Stats API v1's
// realtime/visitors reads too, so that both tell the same number.
func (a *API) Live() *live.Cache { return a.live }

// getLive answers the site's last 30 minutes, at most a TTL old; every
// open view of the site shares one statement per TTL.
func (a *API) getLive(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	s, err := a.live.Get(r.Context(), site.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

// getPropKeys lists the custom property names of a range and filters
// (a Stats API v2 query in the "query" parameter, its site_id ignored;
// the last 30 days without one), most used first.
func (a *API) getPropKeys(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	raw := r.URL.Query().Get("query")
	if raw == "" {
		raw = `{}`
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m == nil {
		return badRequest("query: not a JSON object")
	}
	site, _ := json.Marshal(g.site.Domain)
	m["site_id"] = site
	for k, v := range map[string]string{"metrics": `["visitors"]`, "date_range": `"30d"`} {
		if _, ok := m[k]; !ok {
			m[k] = json.RawMessage(v)
		}
	}
	q, err := stats.ParseQueryObject(m)
	if err != nil {
		return statsError(err)
	}
	if err := a.ExpandSegments(r.Context(), g.site, g.acc, q); err != nil {
		return statsError(err)
	}
	limit := stats.MaxPropKeys
	if s := r.URL.Query().Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
			return badRequest("limit: a positive number expected")
		}
	}
	goals, err := a.acc.Goals(r.Context(), g.site.ID)
	if err != nil {
		return err
	}
	keys, err := a.stats.PropKeys(r.Context(), g.site, goals, q, limit)
	if err != nil {
		return statsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
	return nil
}

// statsError answers a query the stats engine refused with a 400.
func statsError(err error) error {
	var qe *stats.QueryError
	if errors.As(err, &qe) {
		return badRequest("%s", qe.Message)
	}
	return err
}
