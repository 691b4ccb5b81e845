// Package httperr writes the JSON error answer of both HTTP stacks, the
// collector's (fasthttp) and the query service's (net/http), so a client
// reads one shape from every route: {"error": "..."}, with "field" when the
// collector names the field of the event at fault.
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
	ctx.SetStatusCode(status)
	ctx.SetContentType(contentType)
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBody(b.encode())
}
