package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"strconv"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/internal/httperr"
)

// The errors of Authorize and of every route, by the status they map to.
var (
	ErrUnauthenticated = errors.New("authentication required")            // 401
	ErrForbidden       = errors.New("not allowed")                        // 403
	ErrNotFound        = errors.New("not found")                          // 404
	ErrThrottled       = errors.New("too many attempts; try again later") // 429
)

// httpError carries a status and a message meant for the client.
type httpError struct {
	status int
	msg    string
	kind   error // one of the sentinels above, or nil
}

func (e *httpError) Error() string { return e.msg }
func (e *httpError) Unwrap() error { return e.kind }

func unauthenticated(msg string) error {
	return &httpError{http.StatusUnauthorized, msg, ErrUnauthenticated}
}
func forbidden(msg string) error { return &httpError{http.StatusForbidden, msg, ErrForbidden} }
func notFound(msg string) error  { return &httpError{http.StatusNotFound, msg, ErrNotFound} }
func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...), nil}
}

// Status is the HTTP status an error of this package or of accounts maps to;
// anything unexpected is a 500.
func Status(err error) int {
	var he *httpError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden), errors.Is(err, accounts.ErrWrongAccount), errors.Is(err, accounts.ErrOwnerInvited):
		return http.StatusForbidden
	case errors.Is(err, ErrNotFound), errors.Is(err, accounts.ErrNotFound), errors.Is(err, accounts.ErrBadToken):
		return http.StatusNotFound
	case errors.Is(err, ErrThrottled):
		return http.StatusTooManyRequests
	case errors.Is(err, accounts.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, accounts.ErrExists), errors.Is(err, accounts.ErrLastOwner), errors.Is(err, accounts.ErrInUse),
		errors.Is(err, accounts.ErrLastOperator):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// WriteError answers {"error": "..."} with the error's status. The text of
// an unexpected error stays in the log: it may name tables or queries.
func WriteError(w http.ResponseWriter, log *slog.Logger, r *http.Request, err error) {
	status := Status(err)
	msg := err.Error()
	var te *throttledError
	if errors.As(err, &te) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.wait.Seconds()))))
	}
	if status == http.StatusInternalServerError {
		if log != nil {
			// The route, not the path: the paths of invitation, reset and
			// unsubscribe links carry their secret token.
			log.Error("api request failed", "route", r.Pattern, "error", err)
		}
		msg = "internal error"
	}
	httperr.Write(w, status, httperr.Body{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		// The client may be gone; nothing useful to do about it.
		_ = json.NewEncoder(w).Encode(v)
	}
}

// MaxBodyBytes bounds every JSON request body of the query service, the
// dashboard's API and the Stats API's queries alike: the largest legitimate
// one (a funnel, a query with many filters) is a few kilobytes. Import
// uploads come in chunks of their own bound.
const MaxBodyBytes = 64 << 10

// decode reads a JSON body strictly: JSON content type, at most MaxBodyBytes
// bytes, one value, no unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		// Also a CSRF defence: cross-site forms and simple requests cannot
		// send this type without a CORS preflight, which this API refuses.
		return &httpError{http.StatusUnsupportedMediaType, "request body must be application/json", nil}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", MaxBodyBytes), nil}
		}
		return badRequest("malformed request body: %v", err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return badRequest("malformed request body: one JSON object expected")
	}
	return nil
}
