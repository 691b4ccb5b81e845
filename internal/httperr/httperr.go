// Package httperr writes the JSON error answer of both HTTP stacks, the
// collector's (fasthttp) and the query service's (net/http), so a client
// reads one shape from every route: {"error": "..."}, with "field" when the
// collector names the field of the event at fault; a refused event is
// answered in Plausible's shape instead (Fields), which its clients parse.
package httperr

import (
	"encoding/json"
	"net/http"

	"github.com/valyala/fasthttp"
)

// Body is an error answer.
type Body struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// Fields are the errors of a refused event by field, written as
// {"errors": {field: [message]}}.
type Fields map[string][]string

// contentType is JSON's media type; RFC 8259 defines no charset parameter
// (JSON is UTF-8).
const contentType = "application/json"

// encode is the body's bytes, a line as json.Encoder writes it.
func (b Body) encode() []byte {
	out, err := json.Marshal(b)
	if err != nil {
		// Two strings always marshal; invalid UTF-8 is replaced, not refused.
		panic(err)
	}
	return append(out, '\n')
}

// Write answers an error on net/http. An error is never cached: the same
// request may succeed a moment later.
func Write(w http.ResponseWriter, status int, b Body) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// The client may be gone; nothing useful to do about it.
	_, _ = w.Write(b.encode())
}

// WriteFast answers an error on fasthttp, as Write does.
func WriteFast(ctx *fasthttp.RequestCtx, status int, b Body) {
	writeFast(ctx, status, b.encode())
}

// WriteFastFields answers a refused event on fasthttp.
func WriteFastFields(ctx *fasthttp.RequestCtx, status int, f Fields) {
	out, err := json.Marshal(struct {
		Errors Fields `json:"errors"`
	}{f})
	if err != nil {
		// Strings always marshal; invalid UTF-8 is replaced, not refused.
		panic(err)
	}
	writeFast(ctx, status, out)
}

func writeFast(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.SetStatusCode(status)
	ctx.SetContentType(contentType)
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBody(body)
}
