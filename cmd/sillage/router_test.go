package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// TestOversizedBodyAnswersJSON: a body over the server's bound is refused
// before any handler sees it; the answer is still the JSON error every
// route answers (Plausible's shape on /api/event), 413 as the collector's
// own check says, not a plain-text 400 that a client reads as a malformed
// event.
func TestOversizedBodyAnswersJSON(t *testing.T) {
	rt := &router{collects: true, queries: true}
	srv := newHTTPServer(rt, slog.New(slog.DiscardHandler))
	ln := fasthttputil.NewInmemoryListener()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	tests := []struct {
		path, want string
	}{
		{"/api/event", `{"errors":{"request":["should be at most 1048576 byte(s)"]}}`},
		{"/api/v2/query", `{"error":"request body over 1048576 bytes"}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			conn, err := ln.Dial()
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// The length alone is over the bound: the server answers
			// without reading a body, which this client never sends.
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: sillage.test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", tt.path, 2<<20)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != fasthttp.StatusRequestEntityTooLarge ||
				resp.Header.Get("Content-Type") != "application/json" || strings.TrimSpace(string(body)) != tt.want {
				t.Fatalf("got %d %s %s (%v), want 413 and %s", resp.StatusCode, resp.Header.Get("Content-Type"), body, err, tt.want)
			}
		})
	}
}
