package imports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
)

// Umami's data export is a CSV of a website's events, one row per event
// with the columns of its website_event table (session attributes
// included): website_id, session_id, visit_id, event_id, hostname,
// browser, os, device, screen, language, country, subdivision1,
// subdivision2, city, url_path, url_query, utm_source … utm_term,
// referrer_path, referrer_query, referrer_domain, page_title, gclid …,
// event_type (1 a pageview, 2 a custom event), event_name, tag,
// created_at. Columns are found by name, in any order; those it does not
// need are ignored. Umami's session id is a visitor of a month; its visit
// id, a visit: the first gives the visitor id, the pair the session.

// umamiRequired are the columns an export must have.
var umamiRequired = []string{"session_id", "created_at", "url_path", "event_type"}

type umami struct {
	col     map[string]int
	website string // the first row's website_id: a file holds one website
}

func (u *umami) header(file string, rec []string) error {
	u.col = map[string]int{}
	for i, h := range rec {
		if _, dup := u.col[h]; dup {
			return &InputError{File: file, Line: 1, Column: i + 1, Msg: fmt.Sprintf("column %q appears twice", h)}
		}
		u.col[h] = i
	}
	var missing []string
	for _, c := range umamiRequired {
		if _, ok := u.col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return &InputError{File: file, Line: 1, Msg: "not Umami's data export: the header lacks " + strings.Join(missing, ", ") +
			" (expected the columns of its website events: session_id, created_at, url_path, event_type …)"}
	}
	return nil
}

// get returns a column's value, "" when the header lacks it.
func (u *umami) get(rec []string, name string) (string, int) {
	i, ok := u.col[name]
	if !ok || i >= len(rec) {
		return "", i
	}
	return strings.TrimSpace(rec[i]), i
}

func (u *umami) row(rec []string, fail func(int, string, ...any) error) (eventRow, bool, error) {
	var r eventRow
	if len(rec) < len(u.col) {
		return r, false, fail(len(rec)-1, "%d fields, the header has %d", len(rec), len(u.col))
	}
	if w, i := u.get(rec, "website_id"); w != "" {
		if u.website == "" {
			u.website = w
		} else if w != u.website {
			return r, false, fail(i, "website %q: the file holds another website's events (%q) too; export one website", clip(w), clip(u.website))
		}
	}
	var i int
	if r.visitor, i = u.get(rec, "session_id"); r.visitor == "" {
		return r, false, fail(i, "empty session_id")
	}
	r.session, _ = u.get(rec, "visit_id")
	ts, i := u.get(rec, "created_at")
	t, ok := parseUmamiTime(ts)
	if !ok {
		return r, false, fail(i, "created_at %q is not a time (YYYY-MM-DD HH:MM:SS, in UTC)", clip(ts))
	}
	r.ts = t
	typ, i := u.get(rec, "event_type")
	switch typ {
	case "1":
		r.name = sillage.EventPageview
	case "2":
		name, _ := u.get(rec, "event_name")
		if name == "" {
			return r, false, fail(i, "a custom event (event_type 2) without event_name")
		}
		r.name = name
	default:
		n, err := strconv.Atoi(typ)
		if err != nil || n < 1 {
			return r, false, fail(i, "event_type %q is not Umami's (1 a pageview, 2 a custom event)", clip(typ))
		}
		// Later kinds (links, pixels…) have no counterpart here.
		return r, true, nil
	}
	if r.pathname, i = u.get(rec, "url_path"); r.pathname == "" && r.name == sillage.EventPageview {
		return r, false, fail(i, "a pageview without url_path")
	}
	if q, _ := u.get(rec, "url_query"); q != "" {
		r.query = strings.TrimPrefix(q, "?")
	}
	r.hostname, _ = u.get(rec, "hostname")
	if d, _ := u.get(rec, "referrer_domain"); d != "" {
		p, _ := u.get(rec, "referrer_path")
		r.referrer = d + p
	}
	r.utm.Source, _ = u.get(rec, "utm_source")
	r.utm.Medium, _ = u.get(rec, "utm_medium")
	r.utm.Name, _ = u.get(rec, "utm_campaign")
	r.utm.Term, _ = u.get(rec, "utm_term")
	r.utm.Content, _ = u.get(rec, "utm_content")
	c, i := u.get(rec, "country")
	if c != "" && !isCountry(c) {
		return r, false, fail(i, "country %q is not an ISO 3166-1 code", clip(c))
	}
	r.country = strings.ToUpper(c)
	if s, _ := u.get(rec, "subdivision1"); strings.HasPrefix(s, r.country+"-") && r.country != "" {
		r.region = s
	}
	r.city, _ = u.get(rec, "city")
	b, _ := u.get(rec, "browser")
	r.browser = umamiBrowser(b)
	o, _ := u.get(rec, "os")
	d, _ := u.get(rec, "device")
	r.device = umamiDevice(d)
	r.os, r.osVersion = umamiOS(o, r.device)
	return r, false, nil
}

func parseUmamiTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), t.Year() >= 1970 && t.Year() <= 2299
		}
	}
	return time.Time{}, false
}

func isCountry(c string) bool {
	return len(c) == 2 && strings.IndexFunc(c, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') }) < 0
}

// umamiBrowser gives Plausible's name (the collector's) for the browser
// ids Umami stores (detect-browser's).
func umamiBrowser(id string) string {
	switch strings.ToLower(id) {
	case "":
		return ""
	case "chrome", "crios", "chromium":
		return "Chrome"
	case "firefox", "fxios":
		return "Firefox"
	case "safari", "ios", "ios-webview":
		return "Safari"
	case "edge", "edge-chromium", "edge-ios":
		return "Microsoft Edge"
	case "opera", "opera-mini":
		return "Opera"
	case "samsung":
		return "Samsung Browser"
	case "yandexbrowser":
		return "Yandex Browser"
	case "silk":
		return "Mobile Silk"
	case "miui":
		return "MIUI Browser"
	case "ie":
		return "Internet Explorer"
	case "android":
		return "Android Browser"
	case "chromium-webview", "facebook", "instagram", "kakaotalk":
		return "Mobile App"
	case "brave":
		return "Brave"
	case "vivaldi":
		return "Vivaldi"
	case "duckduckgo":
		return "DuckDuckGo Privacy Browser"
	}
	return titleCase(id)
}

// umamiOS gives Plausible's name and version for Umami's OS names
// ("Windows 10", "Mac OS", "Android OS"…).
func umamiOS(name, device string) (string, string) {
	switch {
	case name == "":
		return "", ""
	case name == "Mac OS":
		return "Mac", ""
	case name == "Android OS":
		return "Android", ""
	case name == "Linux":
		return "GNU/Linux", ""
	case name == "iOS" && device == "Tablet":
		return "iPadOS", ""
	case strings.HasPrefix(name, "Windows "):
		v := strings.TrimPrefix(name, "Windows ")
		if v == "Mobile" || v == "CE" {
			return name, ""
		}
		return "Windows", v
	}
	return name, ""
}

func umamiDevice(d string) string {
	switch strings.ToLower(d) {
	case "desktop", "laptop":
		return "Desktop"
	case "mobile":
		return "Mobile"
	case "tablet":
		return "Tablet"
	}
	return ""
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
