// Package enrich derives the acquisition and page fields of sillage.Event
// from what a tracker sends: page URL, referrer and user agent. It is pure:
// the lists it needs are embedded, and nothing does I/O.
package enrich

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxPathBytes caps stored pathnames and referrers, as Plausible caps URLs.
const maxPathBytes = 2000

// URLOptions are a site's settings for turning page URLs into pathnames.
// The zero value is the default: no query string, trailing slash trimmed.
type URLOptions struct {
	// KeepQuery appends the query string to the pathname, less campaign
	// parameters and click ids, which are stored apart or not at all.
	KeepQuery bool
	// KeepTrailingSlash keeps "/blog/" apart from "/blog". It is the
	// inverse of a TrimTrailingSlash option so that the zero value trims.
	KeepTrailingSlash bool
}

// ErrURL is wrapped by every ParseURL error.
var ErrURL = errors.New("invalid page URL")

// ParseURL splits a page URL into what Sillage stores. hostname is
// lowercased without "www." or port. pathname has its percent-encoding made
// consistent ("/caf%C3%A9" and "/café" both give "/café", while "%2F" stays
// encoded), no query string unless opts.KeepQuery, the trailing slash
// trimmed except for "/", and in hashMode the fragment's route kept
// ("/app#/settings"); it is capped at 2000 bytes. query holds the decoded
// query parameters, for campaign tags; it is nil without a query string.
func ParseURL(raw string, hashMode bool, opts URLOptions) (hostname, pathname string, query url.Values, err error) {
	rest, ok := cutHTTPScheme(strings.TrimSpace(raw))
	if !ok {
		return "", "", nil, fmt.Errorf("%w: not an absolute http(s) URL: %q", ErrURL, clip(raw))
	}
	var auth, path, rawQuery, fragment string
	auth, rest = splitAt(rest, "/?#")
	path, rest = splitAt(rest, "?#")
	if strings.HasPrefix(rest, "?") {
		rawQuery, rest = splitAt(rest[1:], "#")
	}
	if strings.HasPrefix(rest, "#") {
		fragment = rest[1:]
	}
	hostname = normHost(auth)
	if hostname == "" || !validHost(hostname) {
		return "", "", nil, fmt.Errorf("%w: bad host in %q", ErrURL, clip(raw))
	}

	var b strings.Builder
	b.Grow(len(path) + 8)
	writePath(&b, cleanPath(path), opts)
	if hashMode && fragment != "" {
		route, _ := splitAt(fragment, "?")
		if route = cleanPath(route); route != "/" {
			route = trimEnd(route, opts)
		}
		if route != "" {
			b.WriteByte('#')
			b.WriteString(route)
		}
	}
	if opts.KeepQuery {
		if q := keptQuery(rawQuery); q != "" {
			b.WriteByte('?')
			b.WriteString(q)
		}
	}
	pathname = truncatePath(b.String(), maxPathBytes)

	if rawQuery != "" {
		// ParseQuery returns what it could parse along with its error, and
		// stray semicolons or bad escapes are no reason to lose the rest.
		query, _ = url.ParseQuery(rawQuery)
	}
	return hostname, pathname, query, nil
}

func writePath(b *strings.Builder, path string, opts URLOptions) {
	path = trimEnd(path, opts)
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
}

// trimEnd drops trailing spaces, which no link shows, and trailing slashes
// unless kept.
func trimEnd(path string, opts URLOptions) string {
	if opts.KeepTrailingSlash {
		return strings.TrimRight(path, " ")
	}
	return strings.TrimRight(path, " /")
}

func cutHTTPScheme(s string) (string, bool) {
	switch {
	case len(s) >= 8 && strings.EqualFold(s[:8], "https://"):
		return s[8:], true
	case len(s) >= 7 && strings.EqualFold(s[:7], "http://"):
		return s[7:], true
	}
	return "", false
}

// splitAt cuts s before the first of chars.
func splitAt(s, chars string) (string, string) {
	if i := strings.IndexAny(s, chars); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// normHost reduces a URL authority to a lowercased host name without
// user info, port, brackets, trailing dot or "www.".
func normHost(auth string) string {
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
	}
	if strings.HasPrefix(auth, "[") {
		if i := strings.IndexByte(auth, ']'); i > 0 {
			return strings.ToLower(auth[1:i])
		}
		return ""
	}
	// More than one colon: a bare IPv6 address, as a site's host may be.
	if i := strings.LastIndexByte(auth, ':'); i >= 0 && strings.IndexByte(auth, ':') == i {
		auth = auth[:i]
	}
	auth = strings.TrimRight(auth, ".")
	if hasASCIIUpper(auth) || !isASCII(auth) {
		auth = strings.ToLower(auth)
	}
	return strings.TrimPrefix(auth, "www.")
}

func hasASCIIUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// cleanPath gives equivalent paths one spelling: escapes of characters that
// need none are decoded, the rest are upper-cased, and control characters,
// stray '%' and bytes that are not valid UTF-8 are escaped. Escapes of '/',
// '?', '#' and '%' stay, since decoding them would change the path's
// meaning. UTF-8 is judged on the decoded bytes, whether they came escaped
// or raw, so that the result reads the same when cleaned again.
func cleanPath(p string) string {
	if isPlainPath(p) {
		return p
	}
	dec := make([]byte, 0, len(p))
	escaped := make([]bool, 0, len(p))
	for i := 0; i < len(p); {
		c := p[i]
		if c == '%' && i+2 < len(p) && unhex(p[i+1]) >= 0 && unhex(p[i+2]) >= 0 {
			c = byte(unhex(p[i+1])<<4 | unhex(p[i+2]))
			i += 3
			dec, escaped = append(dec, c), append(escaped, true)
			continue
		}
		// A stray '%' is a literal one, as if written "%25".
		dec, escaped = append(dec, c), append(escaped, c == '%')
		i++
	}
	b := make([]byte, 0, len(p)+8)
	for i := 0; i < len(dec); {
		c := dec[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || escaped[i] && (c == '/' || c == '?' || c == '#' || c == '%') {
				b = appendEscaped(b, dec[i:i+1])
			} else {
				b = append(b, c)
			}
			i++
			continue
		}
		if r, size := utf8.DecodeRune(dec[i:]); r == utf8.RuneError && size == 1 {
			b = appendEscaped(b, dec[i:i+1])
			i++
		} else {
			b = append(b, dec[i:i+size]...)
			i += size
		}
	}
	return string(b)
}

// isPlainPath reports a path that cleanPath would return unchanged without
// looking further: printable ASCII without escapes.
func isPlainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c == '%' || c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func appendEscaped(b, raw []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range raw {
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return b
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// truncatePath cuts s to at most max bytes, neither inside a UTF-8 sequence
// nor inside a %XX escape.
func truncatePath(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = truncateUTF8(s, max)
	if i := strings.LastIndexByte(s, '%'); i >= 0 && i >= len(s)-2 {
		s = s[:i]
	}
	return s
}

// truncateUTF8 cuts s to at most max bytes without splitting a rune.
func truncateUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

// keptQuery returns the raw query less the parameters Sillage reads
// itself, in their original order.
func keptQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var b strings.Builder
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		key, _, _ := strings.Cut(pair, "=")
		if pair == "" || isTrackingParam(key) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pair)
	}
	return cleanQuery(b.String())
}

// cleanQuery escapes what must not reach storage raw; the query's own
// escapes are left alone since '+', '&' and '=' carry meaning there.
func cleanQuery(q string) string {
	if isPlainPath(q) || !strings.ContainsFunc(q, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }) {
		return q
	}
	var b []byte
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		if r < 0x20 || r == 0x7f || (r == utf8.RuneError && size == 1) {
			b = appendEscaped(b, []byte(q[i:i+size]))
		} else {
			b = append(b, q[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// clip shortens input quoted in errors.
func clip(s string) string { return truncatePath(s, 100) }
