package collector

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// The tracker runs cross-origin and sends an event again after a 503's
// Retry-After: it can read both only with these CORS headers.
func TestServeStartingHeaders(t *testing.T) {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("POST")
	ctx.Request.SetRequestURI("/api/event")
	ServeStarting(&ctx)
	h := &ctx.Response.Header
	for _, tt := range []struct{ name, want string }{
		{"Access-Control-Allow-Origin", "*"},
		{"Access-Control-Expose-Headers", "Retry-After"},
		{"Retry-After", "5"},
	} {
		if got := string(h.Peek(tt.name)); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, got, tt.want)
		}
	}
	if ctx.Response.StatusCode() != fasthttp.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", ctx.Response.StatusCode())
	}
}
