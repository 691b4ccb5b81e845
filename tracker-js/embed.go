// Package trackerjs holds the built tracker script, dist/script.js, so that
// the Go binary serves it without node at build time. Rebuild it with
// `npm run build` in this folder after changing src/ (a node test fails when
// it is stale); README.md documents the script.
package trackerjs

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
)

// Script is dist/script.js, served at /js/script.js and, for subresource
// integrity, at /js/script.<first 12 hex digits of its SHA-256>.js.
//
//go:embed dist/script.js
var Script []byte

// Versioned returns the script's versioned path, which never changes
// content and can be cached for ever, and its subresource-integrity value.
func Versioned() (path, integrity string) {
	sum := sha256.Sum256(Script)
	return "/js/script." + hex.EncodeToString(sum[:6]) + ".js", "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
