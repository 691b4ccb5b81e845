package api_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/query/api"
)

// Attacks on the API by someone who holds one account, a shared link, a
// key or nothing; each test was seen failing before its fix.

// TestStateChangesNeedCSRFToken: every route that changes state by a
// session asks for the session's CSRF token, whatever its need; the
// routes that a member's session reaches through Authorize (segments,
// the member's own reports) did not.
func TestStateChangesNeedCSRFToken(t *testing.T) {
	// POST routes that only read: a stats query and a funnel's report.
	reads := map[string]bool{
		"POST /api/v2/query":                           true,
		"POST /api/sites/{domain}/funnels/{id}/report": true,
	}
	f := newMatrixFixture(t)
	for _, row := range matrixRows() {
		method, _, _ := strings.Cut(row.pattern, " ")
		// Public routes carry their own credential (a password, a token
		// in the path); only the owner's successful requests are tried.
		if method == http.MethodGet || reads[row.pattern] || row.want[asAnonymous] != http.StatusUnauthorized ||
			row.want[asOwner] >= 300 {
			continue
		}
		t.Run(row.name(), func(t *testing.T) {
			f.reset()
			path := strings.TrimPrefix(row.pattern, method+" ")
			if row.path != nil {
				path = row.path(f)
			}
			var b any
			if row.body != nil {
				b = row.body(f)
			}
			cl := *f.clients[asOwner]
			cl.cookies = maps.Clone(cl.cookies)
			cl.csrf = ""
			r := cl.do(method, path, b)
			if r.status != http.StatusForbidden || !strings.Contains(r.String(), api.CSRFHeader) {
				t.Errorf("without %s: %d %.200s, want 403 naming the header", api.CSRFHeader, r.status, r)
			}
		})
	}
	f.reset()
}
