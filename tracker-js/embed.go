// Package trackerjs holds the built tracker script, dist/script.js, so that
// the Go binary serves it without node at build time. Rebuild it with
// `npm run build` in this folder after changing src/ (a node test fails when
// it is stale); README.md documents the script.
package trackerjs

import _ "embed"

// Script is dist/script.js, served at /js/script.js and, for subresource
// integrity, at /js/script.<first 12 hex digits of its SHA-256>.js.
//
//go:embed dist/script.js
var Script []byte
