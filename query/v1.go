package query

import (
	"net/http"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/internal/httperr"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/query/stats"
)

// The Stats API v1 (see query/README.md): GET endpoints whose parameters
// are translated into a v2 query (stats.ParseV1), authorized and admitted
// like POST /api/v2/query, and answered in v1's shapes.

// v1Routes registers v1's stats endpoints; the realtime one is in Handler.
func (s *Server) v1Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/stats/aggregate", s.v1(stats.V1Aggregate))
	mux.HandleFunc("GET /api/v1/stats/timeseries", s.v1(stats.V1Timeseries))
	mux.HandleFunc("GET /api/v1/stats/breakdown", s.v1(stats.V1Breakdown))
}

func (s *Server) v1(endpoint string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Parameters first, as POST /api/v2/query: a malformed request
		// costs no statement.
		params, err := stats.ParseV1Params(r.URL.RawQuery)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v, err := stats.ParseV1(endpoint, params)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		site, release, ok := s.v1Authorize(w, r, v.Query.SiteID)
		if !ok {
			return
		}
		defer release()
		goals, err := s.goals(r, site)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		resp, err := s.stats.RunV1(r.Context(), site, goals, v)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

// v1Authorize is authorize with v1's answers: a missing site_id is a 400,
// and a refused API key answers as keyRefused says.
func (s *Server) v1Authorize(w http.ResponseWriter, r *http.Request, domain string) (sillage.Site, func(), bool) {
	if domain == "" {
		httperr.Write(w, http.StatusBadRequest, httperr.Body{Error: "site_id: required: the domain of the site, as configured"})
		return sillage.Site{}, nil, false
	}
	site, _, release, ok := s.admitted(w, r, domain, keyRefused(r))
	return site, release, ok
}

// keyRefused maps the refusals of a request that carries an API key to
// the Stats API's one answer: an unknown key, a key that does not open
// the site and a site that does not exist are the same 401 with the same
// sentence, as Plausible's, so a key learns nothing of other sites.
// Sessions and shared links keep their 403 and 404.
func keyRefused(r *http.Request) func(error) error {
	return func(err error) error {
		if r.Header.Get("Authorization") == "" {
			return err
		}
		switch api.Status(err) {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			return keyRefusedError{}
		}
		return err
	}
}

// keyRefusedError is answered as api.ErrUnauthenticated (401).
type keyRefusedError struct{}

func (keyRefusedError) Error() string {
	return "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested."
}

func (keyRefusedError) Unwrap() error { return api.ErrUnauthenticated }
