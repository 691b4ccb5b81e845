// Package trackerjs holds the built tracker, every variant of dist/, so
// that the Go binary serves it without node at build time. Rebuild it with
// `npm run build` in this folder after changing src/ (a node test fails when
// it is stale); README.md documents the script.
package trackerjs

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Script is dist/script.js, every feature, served at /js/script.js and, for
// subresource integrity, at /js/script.<first 12 hex digits of its
// SHA-256>.js.
//
//go:embed dist/script.js
var Script []byte

//go:embed dist/*.js
var dist embed.FS

// Features are the tracker's features, as src/features.js names them
// (embed_test.go checks they agree). dist/script.js has them all.
var Features = []string{"hash", "outbound", "downloads", "forms", "tagged", "revenue", "engagement", "notfound", "props", "init", "retry"}

// Placeholder is the object member every variant holds once, as the first
// member of the object of its settings ({_o:0,...dataset}): the server
// replaces it with JSON members of options read as data-* attributes
// ("hash":"","domain":"example.fr"). Left as is, it reads as no option.
const Placeholder = "_o:0"

// Variant is one built file of dist/.
type Variant struct {
	Name     string   // file name: core.js, core+hash.js, script.js
	Features []string // sorted
	Code     []byte
}

// Has reports whether v carries every feature of want.
func (v Variant) Has(want []string) bool {
	for _, f := range want {
		if !slices.Contains(v.Features, f) {
			return false
		}
	}
	return true
}

// Variants returns every variant of dist/, its features read from its
// name: core.js has none, core+a+b.js has a and b, script.js has all.
func Variants() ([]Variant, error) {
	names, err := fs.Glob(dist, "dist/*.js")
	if err != nil {
		return nil, fmt.Errorf("list dist: %w", err)
	}
	var out []Variant
	for _, p := range names {
		code, err := fs.ReadFile(dist, p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		name := strings.TrimPrefix(p, "dist/")
		var feats []string
		switch {
		case name == "script.js":
			feats = slices.Clone(Features)
		case name == "core.js":
		case strings.HasPrefix(name, "core+"):
			feats = strings.Split(strings.TrimSuffix(strings.TrimPrefix(name, "core+"), ".js"), "+")
		default:
			return nil, fmt.Errorf("dist/%s: not a variant's name", name)
		}
		for _, f := range feats {
			if !slices.Contains(Features, f) {
				return nil, fmt.Errorf("dist/%s: unknown feature %q", name, f)
			}
		}
		if strings.Count(string(code), Placeholder) != 1 {
			return nil, fmt.Errorf("dist/%s: holds the options placeholder %d times, want once", name, strings.Count(string(code), Placeholder))
		}
		slices.Sort(feats)
		out = append(out, Variant{Name: name, Features: feats, Code: code})
	}
	return out, nil
}

// Versioned returns the script's versioned path, which never changes
// content and can be cached for ever, and its subresource-integrity value.
func Versioned() (path, integrity string) {
	return VersionedName("/js/script.js", Script)
}

// VersionedName returns the versioned form of path for the content code
// (/js/x.js -> /js/x.<first 12 hex digits of its SHA-256>.js) and its
// subresource-integrity value.
func VersionedName(path string, code []byte) (versioned, integrity string) {
	sum := sha256.Sum256(code)
	return strings.TrimSuffix(path, ".js") + "." + hex.EncodeToString(sum[:6]) + ".js", "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
