// Package dashboard holds the built web UI, dist/, so that the Go binary
// serves it without node at build time. Rebuild it with `npm run build` in
// this folder after changing src/ (a node test fails when it is stale);
// README.md documents the UI, its URLs and what it expects of the server.
package dashboard

import "embed"

// Dist is dist/: index.html, served for every dashboard route, and
// assets/, whose file names carry a hash of their content (cache them
// forever).
//
//go:embed all:dist
var Dist embed.FS
