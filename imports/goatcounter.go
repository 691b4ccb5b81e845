package imports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
)

// GoatCounter's export is a CSV of a site's pageviews (its help page
// "export"), often gzipped. Version 2 of the format, the current one, has
// the header
//
//	2Path,Title,Event,UserAgent,Browser,System,Session,Bot,Referrer,Referrer scheme,Screen size,Location,FirstVisit,Date
//
// where the first field carries the format's version before "Path". Path
// is the page, or the event's name when Event is true; Browser and System
// are a name and a version ("Firefox 121", "Windows 10"); Session tracks
// unique visitors; Bot is 0 for people (bots are not imported); Referrer
// scheme says what Referrer is (h a URL, g a generated name such as
// "Hacker News", c a campaign, o other); Screen size is width,height,scale;
// Location an ISO 3166-2 code ("US" or "US-TX"); Date RFC 3339.

var goatCounterColumns = []string{"Path", "Title", "Event", "UserAgent", "Browser", "System", "Session", "Bot",
	"Referrer", "Referrer scheme", "Screen size", "Location", "FirstVisit", "Date"}

type goatCounter struct {
	col map[string]int
}

func (g *goatCounter) header(file string, rec []string) error {
	if len(rec) == 0 {
		return &InputError{File: file, Line: 1, Msg: "empty header"}
	}
	first := rec[0]
	version, ok := strings.CutSuffix(first, "Path")
	switch {
	case !ok:
		return &InputError{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("not GoatCounter's export: the header starts with %q, expected 2Path", clip(first))}
	case version != "2":
		return &InputError{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("GoatCounter export format version %q: only version 2 (exports since GoatCounter 2.0) is read; export again", clip(version))}
	}
	g.col = map[string]int{"Path": 0}
	for i, h := range rec[1:] {
		if _, dup := g.col[h]; dup {
			return &InputError{File: file, Line: 1, Column: i + 2, Msg: fmt.Sprintf("column %q appears twice", h)}
		}
		g.col[h] = i + 1
	}
	var missing []string
	for _, c := range goatCounterColumns {
		if _, ok := g.col[c]; !ok && c != "UserAgent" && c != "Title" && c != "FirstVisit" {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return &InputError{File: file, Line: 1, Msg: "not GoatCounter's export: the header lacks " + strings.Join(missing, ", ")}
	}
	return nil
}

func (g *goatCounter) get(rec []string, name string) (string, int) {
	i, ok := g.col[name]
	if !ok || i >= len(rec) {
		return "", i
	}
	return strings.TrimSpace(rec[i]), i
}

func (g *goatCounter) row(rec []string, fail func(int, string, ...any) error) (eventRow, bool, error) {
	var r eventRow
	if len(rec) < len(g.col) {
		return r, false, fail(len(rec)-1, "%d fields, the header has %d", len(rec), len(g.col))
	}
	bot, i := g.get(rec, "Bot")
	if n, err := strconv.Atoi(bot); err != nil || n < 0 {
		return r, false, fail(i, "Bot %q is not a number", clip(bot))
	} else if n != 0 {
		return r, true, nil
	}
	d, i := g.get(rec, "Date")
	t, err := time.Parse(time.RFC3339Nano, d)
	if err != nil || t.Year() < 1970 || t.Year() > 2299 {
		return r, false, fail(i, "Date %q is not an RFC 3339 time", clip(d))
	}
	r.ts = t.UTC()
	if r.visitor, i = g.get(rec, "Session"); r.visitor == "" {
		return r, false, fail(i, "empty Session")
	}
	path, i := g.get(rec, "Path")
	if path == "" {
		return r, false, fail(i, "empty Path")
	}
	ev, i := g.get(rec, "Event")
	switch strings.ToLower(ev) {
	case "true", "1":
		r.name = strings.TrimPrefix(path, "/")
	case "false", "0", "":
		r.name = sillage.EventPageview
		r.pathname = path
	default:
		return r, false, fail(i, "Event %q is neither true nor false", clip(ev))
	}
	ref, _ := g.get(rec, "Referrer")
	scheme, i := g.get(rec, "Referrer scheme")
	switch scheme {
	case "h", "":
		r.referrer = ref
	case "g":
		r.source = ref
	case "o":
		// An app's referrer (android-app://com.slack): a source where the
		// collector knows the app, else the text as it is.
		r.referrer, r.source = ref, ref
	case "c":
		r.utm.Source = ref
	default:
		return r, false, fail(i, "Referrer scheme %q is not one of h, g, c, o", clip(scheme))
	}
	loc, i := g.get(rec, "Location")
	if loc != "" {
		c, _, _ := strings.Cut(loc, "-")
		if !isCountry(c) {
			return r, false, fail(i, "Location %q is not an ISO 3166-2 code", clip(loc))
		}
		r.country = strings.ToUpper(c)
		if len(loc) > 3 {
			r.region = strings.ToUpper(loc)
		}
	}
	b, _ := g.get(rec, "Browser")
	r.browser, r.browserVersion = goatCounterBrowser(b)
	s, _ := g.get(rec, "System")
	r.os, r.osVersion = goatCounterSystem(s)
	size, _ := g.get(rec, "Screen size")
	r.device = goatCounterDevice(size, r.os)
	if r.os == "iOS" && r.device == "Tablet" {
		r.os = "iPadOS"
	}
	return r, false, nil
}

// splitVersion splits "Firefox 121" into its name and version.
func splitVersion(s string) (string, string) {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 || i == len(s)-1 || s[i+1] < '0' || s[i+1] > '9' {
		return s, ""
	}
	return s[:i], s[i+1:]
}

func goatCounterBrowser(s string) (string, string) {
	name, v := splitVersion(s)
	switch name {
	case "Edge":
		name = "Microsoft Edge"
	case "Samsung Internet":
		name = "Samsung Browser"
	case "Internet Explorer", "IE":
		name = "Internet Explorer"
	case "Chrome Mobile", "Chrome iOS":
		name = "Chrome"
	case "Firefox Mobile", "Firefox iOS":
		name = "Firefox"
	case "Mobile Safari":
		name = "Safari"
	}
	return name, v
}

func goatCounterSystem(s string) (string, string) {
	name, v := splitVersion(s)
	switch name {
	case "macOS", "Mac OS X", "OS X":
		name = "Mac"
	case "Linux":
		name = "GNU/Linux"
	}
	return name, v
}

// goatCounterDevice classes a screen by its width as Plausible does;
// without one, by its system.
func goatCounterDevice(size, os string) string {
	w, _, _ := strings.Cut(size, ",")
	if n, err := strconv.ParseFloat(strings.TrimSpace(w), 64); err == nil && n > 0 {
		switch {
		case n < 576:
			return "Mobile"
		case n < 992:
			return "Tablet"
		}
		return "Desktop"
	}
	switch os {
	case "":
		return ""
	case "iOS", "Android":
		return "Mobile"
	case "iPadOS":
		return "Tablet"
	}
	return "Desktop"
}
