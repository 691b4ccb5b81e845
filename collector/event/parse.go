package event

import (
	"errors"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	sillage "github.com/sillage-analytics/sillage"
)

// Keys of the body. Each field has a long key (the Events API) and usually
// a short one (the browser trackers); the short key wins when both are
// present, as in Plausible.
const (
	kN = iota
	kName
	kU
	kURL
	kD
	kDomain
	kR
	kReferrer
	kM
	kMeta
	kP
	kProps
	kRev
	kRevenue
	kH
	kHashMode
	kI
	kInteractive
	kV
	kSD
	kE
	numKeys
)

func keyIndex(key string) int {
	switch key {
	case "n":
		return kN
	case "name":
		return kName
	case "u":
		return kU
	case "url":
		return kURL
	case "d":
		return kD
	case "domain":
		return kDomain
	case "r":
		return kR
	case "referrer":
		return kReferrer
	case "m":
		return kM
	case "meta":
		return kMeta
	case "p":
		return kP
	case "props":
		return kProps
	case "$":
		return kRev
	case "revenue":
		return kRevenue
	case "h":
		return kH
	case "hashMode":
		return kHashMode
	case "i":
		return kI
	case "interactive":
		return kInteractive
	case "v":
		return kV
	case "sd":
		return kSD
	case "e":
		return kE
	}
	return -1
}

// TooLarge is the error of a body over limit bytes, whoever refused it:
// Parse, or the HTTP server before any handler read it.
func TooLarge(limit int) *FieldError {
	return &FieldError{Field: "body", Reason: "longer than " + strconv.Itoa(limit) + " bytes", cause: ErrBodyTooLarge}
}

// Parse decodes and validates an event body. The body is JSON whatever the
// request's content type, since trackers send text/plain to avoid a CORS
// preflight. Every error it returns is a *FieldError.
func Parse(body []byte, lim Limits) (Payload, error) {
	lim = lim.withDefaults()
	if len(body) > lim.MaxBodyBytes {
		return Payload{}, TooLarge(lim.MaxBodyBytes)
	}
	// Strings are copied out unchecked below, so this guards them all.
	if !utf8.Valid(body) {
		return Payload{}, fieldErr("body", "invalid UTF-8")
	}
	r := reader{b: body, s: string(body)}
	r.ws()
	if r.i == len(body) {
		return Payload{}, fieldErr("body", "empty")
	}
	if body[r.i] != '{' {
		return Payload{}, fieldErr("body", "must be a JSON object")
	}
	var f [numKeys]value
	if err := r.beginObject(); err != nil {
		return Payload{}, syntaxErr(err)
	}
	for {
		key, v, ok, err := r.next()
		if err != nil {
			return Payload{}, syntaxErr(err)
		}
		if !ok {
			break
		}
		if k := keyIndex(key); k >= 0 {
			f[k] = v
		}
	}
	if err := r.end(); err != nil {
		return Payload{}, syntaxErr(err)
	}

	var p Payload
	var err error
	// An integer name is taken as its text, as Plausible does: servers
	// send 404 for their not-found pages.
	if v := firstPresent(f[kN], f[kName]); v.kind == kNumber {
		n, ok := intValue(v)
		if !ok {
			return Payload{}, fieldErr("name", "must be a string or an integer")
		}
		p.Name = strconv.FormatInt(n, 10)
	} else if p.Name, err = stringField("name", f[kN], f[kName]); err != nil {
		return Payload{}, err
	}
	if p.URL, err = stringField("url", f[kU], f[kURL]); err != nil {
		return Payload{}, err
	}
	domains, err := stringField("domain", f[kD], f[kDomain])
	if err != nil {
		return Payload{}, err
	}
	if p.Referrer, err = stringField("referrer", f[kR], f[kReferrer]); err != nil {
		return Payload{}, err
	}
	p.Referrer = truncate(p.Referrer, lim.MaxURLBytes)

	if p.Name == "" {
		return Payload{}, fieldErr("name", "required")
	}
	if len(p.Name) > lim.MaxNameBytes {
		return Payload{}, tooLong("name", lim.MaxNameBytes)
	}
	if err := checkURL(p.URL, lim.MaxURLBytes); err != nil {
		return Payload{}, err
	}
	if p.Domains, err = parseDomains(domains); err != nil {
		return Payload{}, err
	}
	if p.Props, err = parseProps(firstPresent(f[kM], f[kMeta], f[kP], f[kProps]), lim); err != nil {
		return Payload{}, err
	}
	if p.RevenueMilli, p.RevenueCurrency, err = parseRevenue(firstPresent(f[kRev], f[kRevenue])); err != nil {
		var fe *FieldError
		if !errors.As(err, &fe) {
			return Payload{}, err
		}
		// Plausible keeps the event and drops the revenue.
		p.RevenueMilli, p.RevenueCurrency, p.RevenueInvalid = 0, "", fe.Field
	}

	p.HashMode = truthy(firstPresent(f[kH], f[kHashMode]))
	p.Interactive = !p.IsEngagement()
	switch firstPresent(f[kI], f[kInteractive]).kind {
	case kTrue:
		p.Interactive = true
	case kFalse:
		p.Interactive = false
	}
	if v, ok := intValue(f[kV]); ok && v >= 0 && v <= math.MaxInt32 {
		p.TrackerVersion = int(v)
	}

	p.ScrollDepth = -1
	if f[kSD].present() {
		sd, ok := intValue(f[kSD])
		if !ok || sd < 0 {
			return Payload{}, fieldErr("sd", "must be a non-negative integer (a percentage)")
		}
		p.ScrollDepth = int(min(sd, 100)) // beyond the page's end counts as all of it, as in Plausible
	}
	if f[kE].present() {
		e, ok := intValue(f[kE])
		// sillage.Event stores it as uint32.
		if !ok || e < 0 || e > math.MaxUint32 {
			return Payload{}, fieldErr("e", "must be a non-negative integer of milliseconds")
		}
		p.EngagementMS = e
	}
	return p, nil
}

func syntaxErr(err error) error { return fieldErr("body", "invalid JSON: "+err.Error()) }

// stringField returns the first non-empty of the short and long keys' strings;
// null counts as absent.
func stringField(field string, short, long value) (string, error) {
	for _, v := range [2]value{short, long} {
		if !v.present() {
			continue
		}
		if v.kind != kString {
			return "", fieldErr(field, "must be a string, not "+v.kind.String())
		}
		if s := v.text(); s != "" {
			return s, nil
		}
	}
	return "", nil
}

func firstPresent(vs ...value) value {
	for _, v := range vs {
		if v.present() {
			return v
		}
	}
	return value{}
}

// truncate cuts s to at most max bytes without splitting a UTF-8 sequence.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

func truthy(v value) bool {
	switch v.kind {
	case kTrue:
		return true
	case kNumber:
		return string(v.raw) == "1"
	case kString:
		return string(v.raw) == `"1"` || string(v.raw) == `"true"`
	}
	return false
}

// intValue reads a JSON integer; 12.0 counts, since some trackers do
// arithmetic in floating point.
func intValue(v value) (int64, bool) {
	if v.kind != kNumber {
		return 0, false
	}
	if n, err := strconv.ParseInt(v.s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(v.s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// checkURL accepts what net/url parses as an absolute http(s) URL with a
// host, without its cost: the URL is parsed again, once, at enrichment.
func checkURL(raw string, max int) error {
	if raw == "" {
		return fieldErr("url", "required")
	}
	if len(raw) > max {
		return tooLong("url", max)
	}
	var rest string
	switch {
	case hasPrefixFold(raw, "https://"):
		rest = raw[len("https://"):]
	case hasPrefixFold(raw, "http://"):
		rest = raw[len("http://"):]
	default:
		return errBadURL()
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < ' ' || raw[i] == 0x7f {
			return errBadURL()
		}
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	host, port := rest, ""
	if strings.HasPrefix(host, "[") {
		j := strings.IndexByte(host, ']')
		if j < 0 {
			return errBadURL()
		}
		host, port = host[1:j], host[j+1:]
		if port != "" && port[0] != ':' {
			return errBadURL()
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() || a.Zone() != "" {
			return errBadURL()
		}
	} else if j := strings.LastIndexByte(host, ':'); j >= 0 {
		host, port = host[:j], host[j:]
	}
	if !validHostChars(host) {
		return errBadURL()
	}
	for i := 1; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return errBadURL()
		}
	}
	return nil
}

// validHostChars matches enrich's host check, so that an accepted URL always
// enriches: letters, digits, '-', '_', '.', and any non-ASCII.
func validHostChars(h string) bool {
	if h == "" || h[0] == '.' || strings.Contains(h, "..") {
		return false
	}
	if strings.IndexByte(h, ':') >= 0 {
		return true // a checked IPv6 address
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c < utf8.RuneSelf && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func errBadURL() error { return fieldErr("url", "must be an absolute http(s) URL") }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func parseDomains(raw string) ([]string, error) {
	var out []string
	for rest := raw; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		d := sillage.NormalizeDomain(part)
		if d == "" {
			continue
		}
		if len(d) > 253 || strings.ContainsFunc(d, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return nil, fieldErr("domain", "invalid domain "+strconv.Quote(truncate(d, 64)))
		}
		if !contains(out, d) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, fieldErr("domain", "required")
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseProps accepts an object or a JSON-encoded object. Like Plausible it
// ignores props it cannot read rather than losing the whole event, drops
// null, empty, array and object values and keeps the first MaxProps; a key
// or value over its length is refused outright.
func parseProps(v value, lim Limits) (map[string]string, error) {
	r, ok := objectReader(v)
	if !ok {
		return nil, nil
	}
	var props map[string]string
	for {
		key, pv, more, err := r.next()
		if err != nil {
			return nil, nil
		}
		if !more {
			if r.end() != nil {
				return nil, nil
			}
			break
		}
		s, ok := scalarString(pv)
		if !ok || isBlank(key) || isBlank(s) {
			continue
		}
		k := key
		if len(k) > lim.MaxPropKeyBytes || len(s) > lim.MaxPropValueBytes {
			// Plausible's message, for either.
			return nil, fieldErr("props", "keys should have at most "+strconv.Itoa(lim.MaxPropKeyBytes)+
				" bytes and values "+strconv.Itoa(lim.MaxPropValueBytes)+" bytes")
		}
		if _, dup := props[key]; !dup && len(props) == lim.MaxProps {
			continue // as Plausible, props past the limit are left out, not the event
		}
		if props == nil {
			props = make(map[string]string, 4)
		}
		props[k] = s
	}
	return props, nil
}

func isBlank[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\v', '\f':
		default:
			return false
		}
	}
	return true
}

// objectReader returns a reader positioned inside an object given either as
// an object or as a string holding one, as trackers send props and revenue.
func objectReader(v value) (reader, bool) {
	var r reader
	switch v.kind {
	case kObject:
		r.b, r.s = v.raw, v.s
	case kString:
		r.b, r.s = v.raw[1:len(v.raw)-1], v.s[1:len(v.s)-1]
		if v.escaped {
			r.b = unescape(r.b)
			r.s = string(r.b)
		}
	default:
		return r, false
	}
	if r.beginObject() != nil {
		return r, false
	}
	return r, true
}

// scalarString renders a prop value as text; numbers take their shortest
// form so that 1.50 and 1.5 group together.
func scalarString(v value) (string, bool) {
	switch v.kind {
	case kString:
		return v.text(), true
	case kTrue:
		return "true", true
	case kFalse:
		return "false", true
	case kNumber:
		return formatNumber(v.s)
	}
	return "", false // null, array or object
}

func formatNumber(s string) (string, bool) {
	if !strings.ContainsAny(s, ".eE") && len(s) < 19 {
		return s, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", false
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64), true
	}
	return strconv.FormatFloat(f, 'g', -1, 64), true
}
