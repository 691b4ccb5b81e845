package api

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A failed request's log line names the route, never the path: paths of
// invitation, reset and unsubscribe links carry their secret token.
func TestWriteErrorLogsTheRouteNotTheToken(t *testing.T) {
	const token = "s3cr3t-t0ken-of-a-link"
	for _, pattern := range []string{
		"GET /api/reports/unsubscribe/{token}",
		"POST /api/invitations/{token}/accept",
		"GET /api/password-reset/{token}",
	} {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		mux := http.NewServeMux()
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			WriteError(w, log, r, errors.New("engine unreachable"))
		})
		method, path, _ := strings.Cut(pattern, " ")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, strings.Replace(path, "{token}", token, 1), nil))
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("%s: status %d, want 500", pattern, rec.Code)
		}
		if strings.Contains(logs.String(), token) {
			t.Errorf("%s: the log carries the link's token: %s", pattern, logs.String())
		}
		if !strings.Contains(logs.String(), path) || !strings.Contains(logs.String(), "engine unreachable") {
			t.Errorf("%s: the log should name the route and the error: %s", pattern, logs.String())
		}
	}
}
