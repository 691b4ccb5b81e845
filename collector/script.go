package collector

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"

	"github.com/andybalholm/brotli"
	"github.com/valyala/fasthttp"

	trackerjs "github.com/sillage-analytics/sillage/tracker-js"
)

// script serves the tracker precompressed. /js/script.js may change with a
// release, so it is cached for a day and revalidated by ETag; the versioned
// name /js/script.<hash>.js never changes and is cached for a year.
type script struct {
	raw, gz, br   []byte
	etag          string
	versionedPath string
	integrity     string
}

func newScript() *script {
	sum := sha256.Sum256(trackerjs.Script)
	s := &script{raw: trackerjs.Script, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	s.versionedPath, s.integrity = trackerjs.Versioned()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(s.raw)
	zw.Close()
	s.gz = append([]byte(nil), b.Bytes()...)
	b.Reset()
	bw := brotli.NewWriterLevel(&b, brotli.BestCompression)
	bw.Write(s.raw)
	bw.Close()
	s.br = append([]byte(nil), b.Bytes()...)
	return s
}

// ScriptVersioned returns the versioned path and the integrity attribute of
// the tracker, for the snippet site owners paste.
func (c *Collector) ScriptVersioned() (path, integrity string) {
	return c.script.versionedPath, c.script.integrity
}

func (s *script) serve(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	h := &ctx.Response.Header
	switch path {
	case "/js/script.js":
		h.Set("Cache-Control", "public, max-age=86400, must-revalidate")
	case s.versionedPath:
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		ctx.Error("not found", fasthttp.StatusNotFound)
		return
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Error("method not allowed", fasthttp.StatusMethodNotAllowed)
		return
	}
	h.Set("ETag", s.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.SetContentType("application/javascript; charset=utf-8")
	if string(ctx.Request.Header.Peek("If-None-Match")) == s.etag {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	switch {
	case ctx.Request.Header.HasAcceptEncoding("br"):
		h.Set("Content-Encoding", "br")
		ctx.SetBody(s.br)
	case ctx.Request.Header.HasAcceptEncoding("gzip"):
		h.Set("Content-Encoding", "gzip")
		ctx.SetBody(s.gz)
	default:
		ctx.SetBody(s.raw)
	}
}
