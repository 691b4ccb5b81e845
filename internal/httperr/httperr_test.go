package httperr

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestBothStacksWriteTheSameAnswer: the same error gives the same status,
// headers and bytes on net/http and on fasthttp.
func TestBothStacksWriteTheSameAnswer(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   Body
		want   string
	}{
		{"message", http.StatusBadRequest, Body{Error: "date_range: invalid"}, `{"error":"date_range: invalid"}` + "\n"},
		{"a field of the event", http.StatusRequestEntityTooLarge, Body{Error: "body: longer than 8192 bytes", Field: "body"},
			`{"error":"body: longer than 8192 bytes","field":"body"}` + "\n"},
		{"escaped", http.StatusServiceUnavailable, Body{Error: `"<starting>" & retry`}, `{"error":"\"\u003cstarting\u003e\" \u0026 retry"}` + "\n"},
		{"invalid UTF-8 replaced", http.StatusNotFound, Body{Error: "no site \xff"}, `{"error":"no site \ufffd"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("Cache-Control", "max-age=3600") // set before the failure
			Write(rec, tt.status, tt.body)
			var c fasthttp.RequestCtx
			WriteFast(&c, tt.status, tt.body)

			if rec.Code != tt.status || c.Response.StatusCode() != tt.status {
				t.Errorf("status: net/http %d, fasthttp %d, want %d", rec.Code, c.Response.StatusCode(), tt.status)
			}
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("net/http body %q, want %q", got, tt.want)
			}
			if got := string(c.Response.Body()); got != tt.want {
				t.Errorf("fasthttp body %q, want %q", got, tt.want)
			}
			for _, h := range []struct{ name, want string }{{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}} {
				if got := rec.Header().Get(h.name); got != h.want {
					t.Errorf("net/http %s %q, want %q", h.name, got, h.want)
				}
				if got := string(c.Response.Header.Peek(h.name)); got != h.want {
					t.Errorf("fasthttp %s %q, want %q", h.name, got, h.want)
				}
			}
		})
	}
}
