package stats

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
)

// Cases from Plausible's main Stats API v2 suite, rebuilt on our own
// fixtures: each Plausible event without a user id is a visitor of its
// own (hit), events of one user within 30 minutes are one session
// (newVisit), and Plausible's "all" range becomes the scenario day.

type mod = func(*sillage.Event)

// with applies several modifiers, for newVisit's one attrs function.
func with(mods ...mod) mod {
	return func(e *sillage.Event) {
		for _, m := range mods {
			m(e)
		}
	}
}

func src(s string) mod      { return func(e *sillage.Event) { e.ReferrerSource = s } }
func channel(c string) mod  { return func(e *sillage.Event) { e.Channel = c } }
func referrer(r string) mod { return func(e *sillage.Event) { e.Referrer = r } }
func country(c string) mod  { return func(e *sillage.Event) { e.CountryCode = c } }
func cityID(id uint32) mod  { return func(e *sillage.Event) { e.CityGeonameID = id } }
func browser(b, v string) mod {
	return func(e *sillage.Event) { e.Browser, e.BrowserVersion = b, v }
}
func osv(o, v string) mod { return func(e *sillage.Event) { e.OS, e.OSVersion = o, v } }
func utmMedium(v string) mod {
	return func(e *sillage.Event) { e.UTMMedium = v }
}
func utmSource(v string) mod   { return func(e *sillage.Event) { e.UTMSource = v } }
func utmCampaign(v string) mod { return func(e *sillage.Event) { e.UTMCampaign = v } }
func utmTerm(v string) mod     { return func(e *sillage.Event) { e.UTMTerm = v } }
func utmContent(v string) mod  { return func(e *sillage.Event) { e.UTMContent = v } }

// hitAt is hit at a given local time of the scenario day. The modifiers
// set the visit's attributes and, again, the event's own fields (props).
func hitAt(visitor uint64, h, m int, name, path string, mods ...mod) *visit {
	return newVisit(1, visitor, visitor*10, at(h, m), with(mods...)).event(0, name, path, mods...)
}

// userAndAnon is Plausible's usual filter fixture: a user's session of two
// pageviews 25 minutes apart carrying the attributes, and another
// visitor's pageview without them.
func userAndAnon(attrs ...mod) []sillage.Event {
	u := newVisit(1, 50, 500, at(0, 0), with(attrs...)).pv(0, "/").pv(25*time.Minute, "/")
	return join(u, hitAt(1, 0, 0, "pageview", "/"))
}

const fourMetrics = `"pageviews","visitors","bounce_rate","visit_duration"`

// TestQueryAggregatesParity: aggregates and filters on visit and event
// dimensions.
func TestQueryAggregatesParity(t *testing.T) {
	t.Run("aggregates", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(0, 0), nil).pv(0, "/").pv(25*time.Minute, "/")
		w := newVisit(1, 51, 510, at(0, 0), nil).pv(0, "/").pv(25*time.Minute, "/")
		e := loaded(t, join(u, hitAt(1, 0, 0, "pageview", "/")), at(20, 0))
		runCases(t, e, []queryCase{
			{"a single metric", day(`"pageviews"`, ``), []string{" | 3"}},
			{"every metric at once", day(`"pageviews","visits","views_per_visit","visitors","bounce_rate","visit_duration"`, ``),
				[]string{" | 3 2 1.5 2 50 750"}},
		})
		e2 := loaded(t, join(u, w, hitAt(1, 0, 0, "pageview", "/")), at(20, 0))
		runCases(t, e2, []queryCase{
			{"views per visit has two decimals", day(`"views_per_visit"`, ``), []string{" | 1.67"}},
		})
	})
	t.Run("engagement", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(0, 0), nil).pv(0, "/").engage(3*time.Second, "/", 3000, 20)
		e := loaded(t, join(u), at(20, 0))
		runCases(t, e, []queryCase{
			{"not an event", day(`"events"`, ``), []string{" | 1"}},
			{"no bounce cancelled, no duration", day(`"bounce_rate","visit_duration"`, ``), []string{" | 100 0"}},
		})
	})
	visitFilters := []struct {
		name   string
		attrs  []mod
		filter string
		want   string
	}{
		{"source", []mod{src("Google")}, `["is","visit:source",["Google"]]`, " | 2 1 0 1500"},
		{"channel", []mod{src("Google"), channel("Organic Search")}, `["is","visit:channel",["Organic Search"]]`, " | 2 1 0 1500"},
		{"referrer", []mod{referrer("facebook.com"), src("Facebook")}, `["is","visit:referrer",["facebook.com"]]`, " | 2 1 0 1500"},
		{"utm_medium", []mod{utmMedium("social")}, `["is","visit:utm_medium",["social"]]`, " | 2 1 0 1500"},
		{"utm_medium ignoring case", []mod{utmMedium("Social")}, `["is","visit:utm_medium",["sociaL"],{"case_sensitive":false}]`, " | 2 1 0 1500"},
		{"utm_source", []mod{utmSource("Twitter")}, `["is","visit:utm_source",["Twitter"]]`, " | 2 1 0 1500"},
		{"utm_campaign", []mod{utmCampaign("profile")}, `["is","visit:utm_campaign",["profile"]]`, " | 2 1 0 1500"},
		{"device", []mod{device("Desktop")}, `["is","visit:device",["Desktop"]]`, " | 2 1 0 1500"},
		{"browser", []mod{browser("Chrome", "")}, `["is","visit:browser",["Chrome"]]`, " | 2 1 0 1500"},
		{"browser version", []mod{browser("Chrome", "56")}, `["is","visit:browser_version",["56"]]`, " | 2 1 0 1500"},
		{"os", []mod{osv("Mac", "")}, `["is","visit:os",["Mac"]]`, " | 2 1 0 1500"},
		{"os version", []mod{osv("", "10.5")}, `["is","visit:os_version",["10.5"]]`, " | 2 1 0 1500"},
		{"country", []mod{country("EE")}, `["is","visit:country",["EE"]]`, " | 2 1 0 1500"},
	}
	for _, f := range visitFilters {
		t.Run("visit filter "+f.name, func(t *testing.T) {
			e := loaded(t, userAndAnon(f.attrs...), at(20, 0))
			runCases(t, e, []queryCase{{f.name, day(fourMetrics, `,"filters":[`+f.filter+`]`), []string{f.want}}})
		})
	}
	t.Run("direct / none", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(0, 0), nil).pv(0, "/").pv(25*time.Minute, "/")
		e := loaded(t, join(u, hitAt(1, 0, 0, "pageview", "/", src("Google"))), at(20, 0))
		runCases(t, e, []queryCase{{"no source", day(fourMetrics, `,"filters":[["is","visit:source",["Direct / None"]]]`), []string{" | 2 1 0 1500"}}})
	})
	t.Run("is_not utm_medium ignoring case", func(t *testing.T) {
		e := loaded(t, userAndAnon(utmMedium("SOCIAL")), at(20, 0))
		runCases(t, e, []queryCase{{"pageviews", day(`"pageviews"`, `,"filters":[["is_not","visit:utm_medium",["sociaL"],{"case_sensitive":false}]]`), []string{" | 1"}}})
	})
	t.Run("contains referrer", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "pageview", "/", referrer("a.com")), hitAt(2, 0, 0, "pageview", "/", referrer("a.com")),
			hitAt(3, 0, 0, "pageview", "/", referrer("ab.com"))), at(20, 0))
		runCases(t, e, []queryCase{{"visitors", day(`"visitors"`, `,"filters":[["contains","visit:referrer",["a.com"]]]`), []string{" | 2"}}})
	})
	t.Run("page", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(0, 0), country("EE")).pv(0, "/").pv(25*time.Minute, "/blogpost")
		e := loaded(t, join(u, hitAt(1, 0, 0, "pageview", "/"), hitAt(2, 0, 0, "pageview", "/blogpost")), at(20, 0))
		runCases(t, e, []queryCase{
			{"page: bounce rate of the visits entering there, duration of those that saw it", day(fourMetrics, `,"filters":[["is","event:page",["/blogpost"]]]`),
				[]string{" | 2 2 100 750"}},
			{"page and country", day(fourMetrics, `,"filters":[["is","event:page",["/blogpost"]],["is","visit:country",["EE"]]]`),
				[]string{" | 1 1 0 1500"}},
		})
	})
	t.Run("hostname", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "pageview", "/", onHost("one.example.com")), hitAt(2, 0, 25, "pageview", "/", onHost("example.com")),
			hitAt(3, 0, 0, "pageview", "/", onHost("other.test"))), at(20, 0))
		runCases(t, e, []queryCase{{"contains", day(fourMetrics, `,"filters":[["contains","event:hostname",["one.example.com","example.com"]]]`),
			[]string{" | 2 2 100 0"}}})
	})
	t.Run("event name", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(0, 25), nil).event(0, "Signup", "/").event(0, "Signup", "/")
		e := loaded(t, join(hitAt(1, 0, 0, "Signup", "/"), u, hitAt(2, 0, 0, "pageview", "/")), at(20, 0))
		runCases(t, e, []queryCase{{"visitors, pageviews", day(`"visitors","pageviews"`, `,"filters":[["is","event:name",["Signup"]]]`), []string{" | 2 0"}}})
	})
	t.Run("goals", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(0, 25), nil).event(0, "Signup", "/").event(0, "Signup", "/")
		e := loaded(t, join(hitAt(1, 0, 0, "Signup", "/"), u, hitAt(2, 0, 25, "NotConfigured", "/")), at(20, 0))
		goals := []Goal{{ID: "s", EventName: "Signup"}}
		runGoalCases(t, e, goals, []queryCase{
			{"custom event goal", day(`"visitors","events"`, `,"filters":[["is","event:goal",["Signup"]]]`), []string{" | 2 3"}},
			{"ignoring case", day(`"visitors","events"`, `,"filters":[["is","event:goal",["signup"],{"case_sensitive":false}]]`), []string{" | 2 3"}},
		})
		p := newVisit(1, 60, 600, at(0, 25), nil).event(0, "Purchase", "/").event(0, "Purchase", "/")
		e = loaded(t, join(hitAt(1, 0, 0, "Purchase", "/"), p), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "p", EventName: "Purchase", Currency: "USD"}}, []queryCase{
			{"revenue goal", day(`"visitors","events"`, `,"filters":[["is","event:goal",["Purchase"]]]`), []string{" | 2 3"}},
		})
		r := newVisit(1, 70, 700, at(0, 25), nil).pv(0, "/register").pv(0, "/register")
		e = loaded(t, join(hitAt(1, 0, 0, "pageview", "/register"), r, hitAt(2, 0, 25, "pageview", "/")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "r", PagePath: "/register"}}, []queryCase{
			{"page goal", day(`"visitors","pageviews"`, `,"filters":[["is","event:goal",["Visit /register"]]]`), []string{" | 2 3"}},
		})
		b := newVisit(1, 80, 800, at(0, 0), nil).pv(0, "/blog/post-2").pv(0, "/blog")
		e = loaded(t, join(hitAt(1, 0, 0, "pageview", "/blog/post-1"), b, hitAt(2, 0, 0, "pageview", "/")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "b", PagePath: "/blog**"}}, []queryCase{
			{"wildcard page goal", day(`"visitors","pageviews"`, `,"filters":[["is","event:goal",["Visit /blog**"]]]`), []string{" | 2 3"}},
		})
		m := newVisit(1, 90, 900, at(0, 0), nil).event(0, "Purchase", "/").event(0, "Purchase", "/")
		e = loaded(t, join(hitAt(1, 0, 0, "Signup", "/"), m, hitAt(2, 0, 0, "pageview", "/")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "s", EventName: "Signup"}, {ID: "p", EventName: "Purchase"}}, []queryCase{
			{"two event goals", day(`"visitors","events"`, `,"filters":[["is","event:goal",["Signup","Purchase"]]]`), []string{" | 2 3"}},
		})
		x := newVisit(1, 95, 950, at(0, 0), nil).pv(0, "/register").event(0, "Signup", "/")
		e = loaded(t, join(hitAt(1, 0, 0, "pageview", "/account/register"), x, hitAt(2, 0, 0, "pageview", "/")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "s", EventName: "Signup"}, {ID: "r", PagePath: "/**register"}}, []queryCase{
			{"an event goal and a page goal", day(`"visitors","events","pageviews"`, `,"filters":[["is","event:goal",["Signup","Visit /**register"]]]`), []string{" | 2 3 2"}},
		})
	})
	t.Run("page operators", func(t *testing.T) {
		pages := func(paths ...string) *Engine {
			var vs []*visit
			for i, p := range paths {
				vs = append(vs, hitAt(uint64(i+1), 0, 0, "pageview", p))
			}
			return loaded(t, join(vs...), at(20, 0))
		}
		e := pages("/en/page1", "/en/page2", "/pl/page1")
		runCases(t, e, []queryCase{
			{"contains", day(`"visitors"`, `,"filters":[["contains","event:page",["/en/"]]]`), []string{" | 2"}},
			{"contains_not", day(`"visitors"`, `,"filters":[["contains_not","event:page",["/en/"]]]`), []string{" | 1"}},
		})
		e = pages("/en/page1", "/EN/page2", "/pl/page1")
		runCases(t, e, []queryCase{
			{"contains ignoring case", day(`"visitors"`, `,"filters":[["contains","event:page",["/En/"],{"case_sensitive":false}]]`), []string{" | 2"}},
			{"contains_not ignoring case", day(`"visitors"`, `,"filters":[["contains_not","event:page",["/En/"],{"case_sensitive":false}]]`), []string{" | 1"}},
		})
		e = pages("/en/page1", "/en/page2", "/eng/page1", "/pl/page1", "/gb/page1")
		runCases(t, e, []queryCase{
			{"or of and and not", day(`"visitors"`, `,"filters":[["or",[["and",[["contains","event:page",["/en"]],["not",["contains","event:page",["/eng"]]]]],["contains","event:page",["/gb"]]]]]`),
				[]string{" | 3"}},
		})
		e = pages("/en/page1", "/en/page2", "/pl/page1", "/ee/page1")
		runCases(t, e, []queryCase{{"contains, two values", day(`"visitors"`, `,"filters":[["contains","event:page",["/en/","/pl/"]]]`), []string{" | 3"}}})
		e = pages("/blog/post|1", "/otherpost|1", "/blog/post|2", "/something-else")
		runCases(t, e, []queryCase{{"a pipe in a value", day(`"visitors"`, `,"filters":[["contains","event:page",["post|1","/something-else"]]]`), []string{" | 3"}}})
		e = pages("/user/1234", "/user/789/contributions", "/blog/user/1234", "/user/ef/contributions", "/other/path")
		runCases(t, e, []queryCase{
			{"matches", day(`"visitors"`, `,"filters":[["matches","event:page",["^/user/[0-9]+"]]]`), []string{" | 2"}},
			{"matches_not", day(`"visitors"`, `,"filters":[["matches_not","event:page",["^/user/[0-9]+"]]]`), []string{" | 3"}},
		})
	})
	t.Run("property operators", func(t *testing.T) {
		tv := func(i uint64, kv ...string) *visit { return hitAt(i, 0, 0, "pageview", "/", props(kv...)) }
		e := loaded(t, join(tv(1, "tier", "large-1", "value", "ax"), tv(2, "tier", "small-1", "value", "bx"), tv(3, "tier", "small-1", "value", "ax"),
			tv(4, "tier", "small-2", "value", "bx"), tv(5, "tier", "small-2", "value", "cx"), tv(6, "tier", "small-3"), tv(7, "value", "ax"), tv(8)), at(20, 0))
		runCases(t, e, []queryCase{
			{"contains and contains_not", day(`"visitors"`, `,"filters":[["contains","event:props:tier",["small"]],["contains_not","event:props:value",["b","c"]]]`), []string{" | 1"}},
			{"matches and matches_not", day(`"visitors"`, `,"filters":[["matches","event:props:tier",["small.+"]],["matches_not","event:props:value",["b|c"]]]`), []string{" | 1"}},
		})
		e = loaded(t, join(tv(1, "name", "large-1"), tv(2, "name", "Small-1"), tv(3, "name", "mall-1"), tv(4, "name", "SMALL-2"), tv(5, "name", "small-2"), tv(6)), at(20, 0))
		runCases(t, e, []queryCase{
			{"contains ignoring case", day(`"visitors"`, `,"filters":[["contains","event:props:name",["maLL"],{"case_sensitive":false}]]`), []string{" | 4"}},
			{"contains_not ignoring case", day(`"visitors"`, `,"filters":[["contains_not","event:props:name",["maLL"],{"case_sensitive":false}]]`), []string{" | 1"}},
		})
	})
	t.Run("countries and cities", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "pageview", "/", country("EE")), hitAt(2, 0, 0, "pageview", "/", country("EE")),
			hitAt(3, 0, 0, "pageview", "/", country("IT")), hitAt(4, 0, 0, "pageview", "/", country("DE")),
			hitAt(5, 0, 0, "pageview", "/", cityID(588409)), hitAt(6, 0, 0, "pageview", "/", cityID(689123)), hitAt(7, 0, 0, "pageview", "/", cityID(10))), at(20, 0))
		runCases(t, e, []queryCase{
			{"country", day(`"pageviews"`, `,"filters":[["is","visit:country",["EE"]]]`), []string{" | 2"}},
			{"country contains", day(`"pageviews"`, `,"filters":[["contains","visit:country",["E"]]]`), []string{" | 3"}},
			{"cities", day(`"pageviews"`, `,"filters":[["is","visit:city",[588409,689123]]]`), []string{" | 2"}},
		})
	})
}

// TestQueryBehaviouralParity: has_done and has_not_done keep or drop
// whole sessions by what was done in them.
func TestQueryBehaviouralParity(t *testing.T) {
	t.Run("counting by sessions", func(t *testing.T) {
		d := 24 * time.Hour
		s1 := newVisit(1, 1, 11, at(0, 0), nil).event(0, "Conversion", "/").pv(time.Minute, "/")
		s2 := newVisit(1, 1, 12, at(0, 0).Add(d), nil).pv(0, "/").pv(time.Minute, "/")
		s3 := newVisit(1, 1, 13, at(0, 0).Add(2*d), nil).event(0, "Conversion", "/").pv(time.Minute, "/").pv(2*time.Minute, "/").pv(3*time.Minute, "/")
		s4 := newVisit(1, 2, 21, at(0, 0), nil).event(0, "Conversion", "/").pv(time.Minute, "/").pv(2*time.Minute, "/").pv(3*time.Minute, "/").pv(4*time.Minute, "/")
		e := loaded(t, join(s1, s2, s3, s4), at(20, 0).Add(3*d))
		runCases(t, e, []queryCase{
			{"visitors, visits, events, pageviews", `{"site_id":"example.fr","date_range":["2026-06-10","2026-06-12"],"metrics":["visitors","visits","events","pageviews"],"filters":[["has_done",["is","event:name",["Conversion"]]]]}`,
				[]string{" | 2 3 11 8"}},
		})
	})
	t.Run("every event of the matching sessions", func(t *testing.T) {
		s := func(v uint64, names ...string) *visit {
			x := newVisit(1, v, v*10, at(0, 0), nil)
			for _, n := range names {
				x.event(0, n, "/")
			}
			return x
		}
		e := loaded(t, join(s(1, "pageview", "AddToCart", "Purchase"), s(2, "pageview", "Purchase"), s(3, "pageview"), s(4, "pageview"), s(5, "Purchase")), at(20, 0))
		runCases(t, e, []queryCase{
			{"visitors, events, pageviews", day(`"visitors","events","pageviews"`, `,"filters":[["has_done",["is","event:name",["Purchase"]]]]`), []string{" | 3 6 2"}},
		})
	})
	t.Run("pages", func(t *testing.T) {
		u := newVisit(1, 1, 10, at(0, 0), nil).pv(0, "/blog/post/1").pv(0, "/")
		e := loaded(t, join(u, hitAt(2, 0, 0, "pageview", "/"), hitAt(3, 0, 0, "pageview", "/blog/post/1")), at(20, 0))
		runCases(t, e, []queryCase{
			{"has_done", day(`"visitors","pageviews"`, `,"filters":[["has_done",["contains","event:page",["/blog/"]]]]`), []string{" | 2 3"}},
			{"has_not_done", day(`"visitors","pageviews"`, `,"filters":[["has_not_done",["contains","event:page",["/blog/"]]]]`), []string{" | 1 1"}},
		})
	})
	t.Run("or of names and properties", func(t *testing.T) {
		u1 := newVisit(1, 1, 10, at(0, 0), nil).event(0, "Purchase", "/").event(10*time.Minute, "Purchase", "/").event(20*time.Minute, "Purchase", "/")
		u2 := newVisit(1, 2, 20, at(0, 0), nil).pv(0, "/").event(10*time.Minute, "Purchase", "/")
		signup := func(v uint64, paid string) *visit {
			return newVisit(1, v, v*10, at(0, 0), nil).event(0, "Signup", "/", props("paid", paid)).pv(0, "/")
		}
		e := loaded(t, join(u1, u2, signup(3, "true"), signup(4, "true"), signup(5, "false")), at(20, 0))
		runCases(t, e, []queryCase{
			{"visitors, pageviews", day(`"visitors","pageviews"`, `,"filters":[["has_done",["or",[["is","event:name",["Purchase"]],["and",[["is","event:name",["Signup"]],["is","event:props:paid",["true"]]]]]]]]`),
				[]string{" | 4 3"}},
		})
	})
	t.Run("goals", func(t *testing.T) {
		u1 := newVisit(1, 1, 10, at(0, 0), nil).event(0, "Conversion", "/").event(0, "Conversion", "/").pv(0, "/").pv(0, "/").pv(0, "/")
		u2 := newVisit(1, 2, 20, at(0, 0), nil).event(0, "Conversion", "/").pv(0, "/")
		e := loaded(t, join(u1, u2, hitAt(3, 0, 0, "Conversion", "/"), hitAt(4, 0, 0, "pageview", "/")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "c", EventName: "Conversion"}}, []queryCase{
			{"has_done", day(`"visitors","pageviews"`, `,"filters":[["has_done",["is","event:goal",["Conversion"]]],["is","event:name",["pageview"]]]`), []string{" | 2 4"}},
			{"has_not_done", day(`"visitors","pageviews"`, `,"filters":[["has_not_done",["is","event:goal",["Conversion"]]],["is","event:name",["pageview"]]]`), []string{" | 1 1"}},
		})
	})
}

// TestQueryScrollDepthParity: scroll depth per visitor and page (the
// deepest), averaged, by page, day, source and property.
func TestQueryScrollDepthParity(t *testing.T) {
	t.Run("a page filter", func(t *testing.T) {
		u := newVisit(1, 123, 1230, at(0, 0), nil).pv(0, "/").engage(10*time.Second, "/", 1000, 40).
			event(10*time.Second, "pageview", "/", props("author", "john")).event(20*time.Second, "engagement", "/", scrolled(60), props("author", "john"))
		v := newVisit(1, 456, 4560, at(0, 0), nil).pv(0, "/").engage(10*time.Second, "/", 1000, 80)
		e := loaded(t, join(u, v), at(20, 0))
		runCases(t, e, []queryCase{
			{"the page", day(`"scroll_depth"`, `,"filters":[["is","event:page",["/"]]]`), []string{" | 70"}},
			{"the page and a property", day(`"scroll_depth"`, `,"filters":[["is","event:page",["/"]],["is","event:props:author",["john"]]]`), []string{" | 60"}},
		})
	})
	t.Run("no engagement", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "pageview", "/")), at(20, 0))
		runCases(t, e, []queryCase{
			{"visitors and no depth", day(`"visitors","scroll_depth"`, `,"filters":[["is","event:page",["/"]]]`), []string{" | 1 null"}},
			{"no data at all", `{"site_id":"example.fr","date_range":["2026-06-11","2026-06-11"],"metrics":["scroll_depth"],"filters":[["is","event:page",["/"]]]}`, []string{" | null"}},
		})
	})
	pageVisit := func(v uint64, start time.Time, src string, steps ...any) *visit {
		x := newVisit(1, v, v*10, start, func(e *sillage.Event) { e.ReferrerSource = src })
		for i := 0; i < len(steps); i += 2 {
			path, depth := steps[i].(string), steps[i+1].(int)
			at := time.Duration(i) * time.Minute / 2
			x.pv(at, path).event(at+time.Minute, "engagement", path, scrolled(uint8(depth)))
		}
		return x
	}
	d := 24 * time.Hour
	two := `{"site_id":"example.fr","date_range":["2026-06-10","2026-06-11"],"metrics":["scroll_depth"]`
	t.Run("pages and days", func(t *testing.T) {
		e := loaded(t, join(pageVisit(12, at(0, 0), "Google", "/blog", 20, "/another", 24),
			pageVisit(34, at(0, 0), "Google", "/blog", 17, "/another", 26, "/blog", 60),
			pageVisit(56, at(0, 0), "Twitter", "/blog", 100)), at(20, 0))
		runCases(t, e, []queryCase{
			{"by page", day(`"scroll_depth"`, `,"dimensions":["event:page"]`), []string{"/blog | 60", "/another | 25"}},
			{"sorted ascending", day(`"scroll_depth"`, `,"dimensions":["event:page"],"order_by":[["scroll_depth","asc"]]`), []string{"/another | 25", "/blog | 60"}},
		})
		e = loaded(t, join(pageVisit(12, at(0, 0), "", "/", 20), pageVisit(34, at(0, 0), "", "/", 17, "/", 60), pageVisit(56, at(0, 0).Add(d), "", "/", 20)), at(20, 0).Add(d))
		runCases(t, e, []queryCase{
			{"by day", two + `,"dimensions":["time:day"],"filters":[["is","event:page",["/"]]]}`, []string{"2026-06-10 | 40", "2026-06-11 | 20"}},
		})
		e = loaded(t, join(pageVisit(12, at(0, 0), "", "/blog", 20, "/another", 24), pageVisit(34, at(0, 0), "", "/blog", 17, "/another", 26, "/blog", 60),
			pageVisit(56, at(0, 0).Add(d), "", "/blog", 20, "/another", 24)), at(20, 0).Add(d))
		runCases(t, e, []queryCase{
			{"by page and day", two + `,"dimensions":["event:page","time:day"]}`,
				[]string{"/blog 2026-06-10 | 40", "/another 2026-06-10 | 25", "/another 2026-06-11 | 24", "/blog 2026-06-11 | 20"}},
		})
	})
	t.Run("page and source", func(t *testing.T) {
		e := loaded(t, join(pageVisit(12, at(0, 0), "Google", "/blog", 20), pageVisit(34, at(0, 0), "Google", "/blog", 17, "/blog", 60),
			pageVisit(56, at(0, 0), "Twitter", "/blog", 20, "/another", 24)), at(20, 0))
		runCases(t, e, []queryCase{
			{"ascending", day(`"scroll_depth"`, `,"dimensions":["event:page","visit:source"],"order_by":[["scroll_depth","asc"]]`),
				[]string{"/blog Twitter | 20", "/another Twitter | 24", "/blog Google | 40"}},
		})
	})
	t.Run("a property under a page filter", func(t *testing.T) {
		john := props("author", "john")
		u := newVisit(1, 123, 1230, at(0, 0), nil).pv(0, "/blog").event(time.Minute, "engagement", "/blog", scrolled(91)).
			event(2*time.Minute, "pageview", "/blog/john-post", john).event(3*time.Minute, "engagement", "/blog/john-post", scrolled(40), john).
			event(2*time.Minute, "pageview", "/another-blog/john-post", john).event(3*time.Minute, "engagement", "/another-blog/john-post", scrolled(90), john)
		v := newVisit(1, 456, 4560, at(0, 2), nil).event(0, "pageview", "/blog/john-post", john).event(time.Minute, "engagement", "/blog/john-post", scrolled(46), john)
		e := loaded(t, join(u, v), at(20, 0))
		runCases(t, e, []queryCase{
			{"by author", day(`"scroll_depth"`, `,"dimensions":["event:props:author"],"filters":[["matches","event:page",["/blog.*"]]],"order_by":[["scroll_depth","desc"]]`),
				[]string{"(none) | 91", "john | 43"}},
		})
	})
}

// labelsOf runs a query and returns its meta.time_labels.
func labelsOf(t *testing.T, e *Engine, site sillage.Site, body string) []string {
	t.Helper()
	q, err := ParseQuery([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.Run(context.Background(), site, nil, q)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Meta.TimeLabels
}

// onDay is a local time on another date of the Paris site.
func onDay(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, paris)
}

// TestQueryTimeseriesParity: time dimensions, their buckets and labels.
func TestQueryTimeseriesParity(t *testing.T) {
	single := func(v uint64, when time.Time, src string) *visit {
		return newVisit(1, v, v*10, when, func(e *sillage.Event) { e.ReferrerSource = src }).pv(0, "/")
	}
	t.Run("hours", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(0, 0), nil).pv(0, "/").pv(10*time.Minute, "/")
		e := loaded(t, join(u, hitAt(1, 23, 59, "pageview", "/")), at(23, 59).Add(time.Hour))
		body := day(`"visitors","pageviews","visits","visit_duration","bounce_rate"`, `,"dimensions":["time:hour"],"include":{"time_labels":true}`)
		runCases(t, e, []queryCase{{"rows", body, []string{"2026-06-10 00:00:00 | 1 2 1 600 0", "2026-06-10 23:00:00 | 1 1 1 0 100"}}})
		if l := labelsOf(t, e, scenarioSite, body); len(l) != 24 || l[0] != "2026-06-10 00:00:00" || l[23] != "2026-06-10 23:00:00" {
			t.Errorf("labels %q", l)
		}
	})
	t.Run("days", func(t *testing.T) {
		e := loaded(t, join(single(1, onDay(2026, 6, 1, 0, 0), ""), single(2, onDay(2026, 6, 7, 23, 59), ""),
			single(3, onDay(2026, 6, 2, 0, 0), ""), single(4, onDay(2026, 6, 2, 0, 0), "")), at(20, 0))
		body := `{"site_id":"example.fr","metrics":["visitors"],"date_range":["2026-06-01","2026-06-07"],"dimensions":["time"],"include":{"time_labels":true}}`
		runCases(t, e, []queryCase{{"rows", body, []string{"2026-06-01 | 1", "2026-06-02 | 2", "2026-06-07 | 1"}}})
		if l := labelsOf(t, e, scenarioSite, body); strings.Join(l, ",") != "2026-06-01,2026-06-02,2026-06-03,2026-06-04,2026-06-05,2026-06-06,2026-06-07" {
			t.Errorf("labels %q", l)
		}
	})
	t.Run("weeks", func(t *testing.T) {
		// 2026-06-07 is a Sunday, as Plausible's 2020-12-20.
		e := loaded(t, join(single(1, onDay(2026, 6, 19, 0, 0), ""), single(2, onDay(2026, 6, 21, 23, 59), ""), single(3, onDay(2026, 6, 25, 23, 59), "")), at(20, 0))
		body := `{"site_id":"example.fr","metrics":["visitors"],"date_range":["2026-06-07","2026-06-25"],"dimensions":["time:week"],"include":{"time_labels":true}}`
		runCases(t, e, []queryCase{{"rows", body, []string{"2026-06-15 | 2", "2026-06-22 | 1"}}})
		if l := labelsOf(t, e, scenarioSite, body); strings.Join(l, ",") != "2026-06-07,2026-06-08,2026-06-15,2026-06-22" {
			t.Errorf("labels %q", l)
		}
	})
	t.Run("months", func(t *testing.T) {
		e := loaded(t, join(single(1, onDay(2025, 8, 13, 12, 0), ""), single(2, onDay(2025, 12, 31, 12, 0), ""),
			single(3, onDay(2026, 1, 1, 12, 0), ""), single(4, onDay(2026, 1, 1, 12, 0), "")), at(20, 0))
		runCases(t, e, []queryCase{
			{"seven months", `{"site_id":"example.fr","metrics":["visitors"],"date_range":["2025-07-01","2026-01-31"],"dimensions":["time:month"]}`,
				[]string{"2025-08-01 | 1", "2025-12-01 | 1", "2026-01-01 | 2"}},
		})
		u := newVisit(1, 50, 500, onDay(2025, 12, 1, 0, 0), nil).pv(0, "/").pv(5*time.Minute, "/")
		e = loaded(t, join(u, single(1, onDay(2026, 1, 1, 0, 0), ""), single(2, onDay(2026, 1, 2, 0, 0), "")), at(20, 0))
		runCases(t, e, []queryCase{
			{"a custom range by month", `{"site_id":"example.fr","metrics":["pageviews","visitors","bounce_rate","visit_duration"],"date_range":["2025-12-01","2026-01-02"],"dimensions":["time:month"]}`,
				[]string{"2025-12-01 | 2 1 0 300", "2026-01-01 | 2 2 100 0"}},
		})
	})
	t.Run("a year by day", func(t *testing.T) {
		e := loaded(t, join(single(1, onDay(2024, 2, 1, 12, 0), ""), single(2, onDay(2024, 12, 31, 12, 0), ""),
			single(3, onDay(2025, 1, 1, 12, 0), ""), single(4, onDay(2025, 1, 1, 12, 0), "")), at(20, 0))
		body := `{"site_id":"example.fr","metrics":["visitors"],"date_range":["2024-01-01","2025-01-07"],"dimensions":["time:day"],"include":{"time_labels":true}}`
		runCases(t, e, []queryCase{{"rows", body, []string{"2024-02-01 | 1", "2024-12-31 | 1", "2025-01-01 | 2"}}})
		if l := labelsOf(t, e, scenarioSite, body); len(l) != 373 {
			t.Errorf("%d labels, want 373", len(l))
		}
	})
	t.Run("order by", func(t *testing.T) {
		var vs []*visit
		for i, d := range []int{1, 2, 2, 2, 3, 3, 4, 4} {
			vs = append(vs, single(uint64(i+1), onDay(2026, 6, d, 0, 0), ""))
		}
		e := loaded(t, join(vs...), at(20, 0))
		runCases(t, e, []queryCase{
			{"pageviews then time", `{"site_id":"example.fr","metrics":["pageviews"],"date_range":["2026-05-01","2026-06-04"],"dimensions":["time"],"order_by":[["pageviews","desc"],["time","asc"]]}`,
				[]string{"2026-06-02 | 3", "2026-06-03 | 2", "2026-06-04 | 2", "2026-06-01 | 1"}},
		})
	})
	t.Run("days and sources", func(t *testing.T) {
		e := loaded(t, join(single(1, onDay(2026, 6, 1, 0, 0), "Google"), single(2, onDay(2026, 6, 2, 0, 0), ""), single(3, onDay(2026, 6, 2, 0, 0), "Google"),
			single(4, onDay(2026, 6, 2, 0, 0), "Google"), single(5, onDay(2026, 6, 3, 0, 0), ""), single(6, onDay(2026, 6, 3, 0, 0), ""),
			single(7, onDay(2026, 6, 3, 0, 0), "Twitter")), at(20, 0))
		runCases(t, e, []queryCase{
			{"time first", `{"site_id":"example.fr","metrics":["visitors"],"date_range":["2026-06-01","2026-06-03"],"dimensions":["time","visit:source"]}`,
				[]string{"2026-06-01 Google | 1", "2026-06-02 Google | 2", "2026-06-02 Direct / None | 1", "2026-06-03 Direct / None | 2", "2026-06-03 Twitter | 1"}},
		})
	})
	t.Run("a quarter-hour time zone", func(t *testing.T) {
		site := sillage.Site{ID: 1, Domain: "example.fr", Timezone: "Asia/Kathmandu"}
		var vs []*visit
		for i := range 7 {
			vs = append(vs, newVisit(1, uint64(i+1), uint64(i+1)*10, time.Date(2026, 6, 10, 5, 15*i, 0, 0, time.UTC), nil).pv(0, "/"))
		}
		e := loaded(t, join(vs...), at(20, 0))
		runSiteCases(t, e, site, nil, []queryCase{
			{"visits by hour", `{"site_id":"example.fr","metrics":["visits"],"date_range":["2026-06-10","2026-06-10"],"dimensions":["time:hour"]}`,
				[]string{"2026-06-10 10:00:00 | 1", "2026-06-10 11:00:00 | 4", "2026-06-10 12:00:00 | 2"}},
		})
	})
}

// TestQueryBreakdownParity: breakdowns by visit and event dimensions,
// under filters, with every metric, sorted and paginated.
func TestQueryBreakdownParity(t *testing.T) {
	pv := func(v uint64, mods ...mod) *visit { return hitAt(v, 0, 0, "pageview", "/", mods...) }
	t.Run("sources, channels, countries", func(t *testing.T) {
		e := loaded(t, join(pv(1, src("Google"), channel("Organic Search"), country("EE")), hitAt(2, 0, 25, "pageview", "/", src("Google"), channel("Organic Search"), country("EE")),
			pv(3, channel("Direct"), country("US"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"source", day(`"visitors"`, `,"dimensions":["visit:source"]`), []string{"Google | 2", "Direct / None | 1"}},
			{"channel", day(`"visitors"`, `,"dimensions":["visit:channel"]`), []string{"Organic Search | 2", "Direct | 1"}},
			{"country", day(`"visitors"`, `,"dimensions":["visit:country"]`), []string{"EE | 2", "US | 1"}},
		})
	})
	t.Run("landing host", func(t *testing.T) {
		for _, c := range []struct {
			dim string
			set func(string) mod
		}{{"visit:utm_campaign", utmCampaign}, {"visit:utm_source", utmSource}, {"visit:utm_term", utmTerm}, {"visit:utm_content", utmContent}} {
			u := newVisit(1, 50, 500, at(0, 0), c.set("ad")).event(0, "pageview", "/", onHost("two.example.com")).event(15*time.Minute, "pageview", "/", onHost("one.example.com"))
			e := loaded(t, join(u), at(20, 0))
			runCases(t, e, []queryCase{{c.dim + " of visits entering elsewhere", day(`"visitors"`, `,"filters":[["is","event:hostname",["one.example.com"]]],"dimensions":["`+c.dim+`"]`), []string{}}})
		}
	})
	simple := []struct {
		dim           string
		set           func(string) mod
		one, two, blk string
	}{
		{"visit:source", src, "Google", "Twitter", "Direct / None"},
		{"visit:referrer", referrer, "example.com", "google.com", "Direct / None"},
		{"visit:utm_medium", utmMedium, "Search", "social", "(not set)"},
		{"visit:utm_source", utmSource, "Google", "Bing", "(not set)"},
		{"visit:utm_campaign", utmCampaign, "ads", "profile", "(not set)"},
		{"visit:utm_content", utmContent, "Content1", "blog2", "(not set)"},
		{"visit:utm_term", utmTerm, "Term1", "favicon", "(not set)"},
		{"visit:os", func(s string) mod { return osv(s, "") }, "Mac", "Windows", "(not set)"},
		{"visit:browser", func(s string) mod { return browser(s, "") }, "Chrome", "Safari", "(not set)"},
		{"visit:device", device, "Mobile", "Desktop", "(not set)"},
	}
	for _, c := range simple {
		t.Run("simple "+c.dim, func(t *testing.T) {
			e := loaded(t, join(hitAt(1, 0, 0, "pageview", "/", c.set(c.one)), hitAt(2, 0, 25, "pageview", "/", c.set(c.one)), hitAt(3, 0, 55, "pageview", "/", c.set(c.one)),
				hitAt(4, 1, 0, "pageview", "/", c.set(c.two)), hitAt(5, 1, 25, "pageview", "/", c.set(c.two)), hitAt(6, 0, 0, "pageview", "/", c.set(""))), at(20, 0))
			runCases(t, e, []queryCase{{"visitors and percentage", day(`"visitors","percentage"`, `,"dimensions":["`+c.dim+`"]`),
				[]string{c.one + " | 3 50", c.two + " | 2 33.3", c.blk + " | 1 16.7"}}})
		})
	}
	t.Run("versions", func(t *testing.T) {
		e := loaded(t, join(pv(1, osv("Mac", "14"), browser("Chrome", "14")), pv(2, osv("Mac", "14"), browser("Chrome", "14")), pv(3, osv("Mac", "14"), browser("Chrome", "14")),
			pv(4, osv("", "14"), browser("", "14")), pv(5, osv("Windows", "11"), browser("Firefox", "11")), pv(6, osv("Windows", "11"), browser("Firefox", "11"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"os and version", day(`"visitors"`, `,"dimensions":["visit:os","visit:os_version"]`), []string{"Mac 14 | 3", "Windows 11 | 2", "(not set) 14 | 1"}},
			{"browser and version", day(`"visitors"`, `,"dimensions":["visit:browser","visit:browser_version"]`), []string{"Chrome 14 | 3", "Firefox 11 | 2", "(not set) 14 | 1"}},
		})
	})
	t.Run("explicit order", func(t *testing.T) {
		e := loaded(t, join(pv(1, osv("Windows", ""), browser("Chrome", "")), pv(2, osv("Windows", ""), browser("Firefox", "")), pv(3, osv("Linux", ""), browser("Firefox", "")),
			pv(4, osv("Linux", ""), browser("Firefox", "")), pv(5, osv("Mac", ""), browser("Chrome", ""))), at(20, 0))
		runCases(t, e, []queryCase{
			{"visitors, browser, os", day(`"visitors"`, `,"dimensions":["visit:os","visit:browser"],"order_by":[["visitors","asc"],["visit:browser","desc"],["visit:os","asc"]]`),
				[]string{"Windows Firefox | 1", "Mac Chrome | 1", "Windows Chrome | 1", "Linux Firefox | 2"}},
		})
	})
	t.Run("pages and hosts", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "pageview", "/", onHost("a.example.com")), hitAt(2, 0, 25, "pageview", "/", onHost("a.example.com")),
			hitAt(3, 0, 0, "pageview", "/plausible.io", onHost("a.example.com")), hitAt(4, 0, 0, "pageview", "/plausible.io", onHost("b.example.com"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"page", day(`"visitors"`, `,"dimensions":["event:page"],"order_by":[["visitors","desc"],["event:page","asc"]]`), []string{"/ | 2", "/plausible.io | 2"}},
			{"hostname", day(`"pageviews"`, `,"dimensions":["event:hostname"]`), []string{"a.example.com | 3", "b.example.com | 1"}},
		})
	})
	t.Run("event names", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(0, 0), nil).pv(0, "/non-existing").event(0, "404", "/non-existing").
			pv(2*time.Second, "/non-existing").event(2*time.Second, "404", "/non-existing").pv(3*time.Second, "/non-existing")
		e := loaded(t, join(u, hitAt(1, 0, 0, "pageview", "/non-existing")), at(20, 0))
		runCases(t, e, []queryCase{
			{"visitors and events", day(`"visitors","events"`, `,"dimensions":["event:name"]`), []string{"pageview | 2 4", "404 | 1 2"}},
		})
		e = loaded(t, join(hitAt(1, 0, 0, "Signup", "/pageA", browser("Chrome", "")), hitAt(2, 0, 0, "Signup", "/pageA", browser("Chrome", "")),
			hitAt(3, 0, 0, "Signup", "/pageA", browser("Safari", "")), hitAt(4, 0, 0, "Signup", "/pageB", browser("Chrome", "")),
			hitAt(5, 0, 25, "pageview", "/pageA", browser("Chrome", ""))), at(20, 0))
		runCases(t, e, []queryCase{
			{"names under page and browser filters", day(`"visitors"`, `,"dimensions":["event:name"],"filters":[["is","event:page",["/pageA"]],["is","visit:browser",["Chrome"]]]`),
				[]string{"Signup | 2", "pageview | 1"}},
		})
		g := newVisit(1, 50, 500, at(0, 0), src("Google")).pv(0, "/").event(0, "Signup", "/")
		e = loaded(t, join(g, hitAt(1, 0, 25, "pageview", "/", src("Twitter"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"sources under a name filter", day(`"visitors"`, `,"dimensions":["visit:source"],"filters":[["is","event:name",["Signup"]]]`), []string{"Google | 1"}},
		})
		e = loaded(t, join(hitAt(1, 0, 0, "pageview", "/pageA"), hitAt(2, 0, 0, "pageview", "/pageA"), hitAt(3, 0, 0, "Signup", "/pageA"),
			hitAt(4, 0, 25, "pageview", "/pageB", src("Twitter"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"names under a page filter", day(`"visitors"`, `,"dimensions":["event:name"],"filters":[["contains","event:page",["/pageA"]]]`), []string{"pageview | 2", "Signup | 1"}},
		})
		e = loaded(t, join(hitAt(1, 0, 0, "Signup", "/pageA"), hitAt(2, 0, 0, "Signup", "/pageA"), hitAt(3, 0, 0, "Signup", "/pageB"),
			hitAt(4, 0, 25, "pageview", "/pageB", src("Twitter"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"pages under a name filter", day(`"visitors"`, `,"dimensions":["event:page"],"filters":[["is","event:name",["Signup"]]]`), []string{"/pageA | 2", "/pageB | 1"}},
		})
	})
	t.Run("page and host filters", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "pageview", "/en/page1"), hitAt(2, 0, 0, "pageview", "/en/page2"), hitAt(3, 0, 0, "pageview", "/en/page2"),
			hitAt(4, 0, 0, "pageview", "/pl/page1")), at(20, 0))
		runCases(t, e, []queryCase{
			{"pages containing", day(`"visitors"`, `,"dimensions":["event:page"],"filters":[["contains","event:page",["/en/"]]]`), []string{"/en/page2 | 2", "/en/page1 | 1"}},
		})
		e = loaded(t, join(hitAt(1, 0, 0, "pageview", "/a", onHost("alice-m.example.com")), hitAt(2, 0, 0, "pageview", "/a", onHost("anna-m.example.com")),
			hitAt(3, 0, 0, "pageview", "/a", onHost("adam-m.example.com")), hitAt(4, 0, 0, "pageview", "/b", onHost("bob.example.com"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"pages of hosts containing", day(`"visitors"`, `,"dimensions":["event:page"],"filters":[["contains","event:hostname",["-m.example.com"]]]`), []string{"/a | 3"}},
		})
	})
	t.Run("properties", func(t *testing.T) {
		pkg := func(v uint64, h, m int, name, value string) *visit {
			return hitAt(v, h, m, name, "/", props("package", value))
		}
		e := loaded(t, join(pkg(1, 0, 0, "Purchase", "business"), pkg(2, 0, 0, "Purchase", "personal"), pkg(3, 0, 25, "Purchase", "business"),
			pkg(4, 0, 25, "Some other event", "business")), at(20, 0))
		runCases(t, e, []queryCase{
			{"under a name filter", day(`"visitors"`, `,"dimensions":["event:props:package"],"filters":[["is","event:name",["Purchase"]]]`), []string{"business | 2", "personal | 1"}},
		})
		e = loaded(t, join(pkg(1, 0, 0, "pageview", "business"), pkg(2, 0, 0, "pageview", "personal"), pkg(3, 0, 25, "pageview", "business")), at(20, 0))
		runCases(t, e, []queryCase{
			{"pageviews", day(`"pageviews"`, `,"dimensions":["event:props:package"]`), []string{"business | 2", "personal | 1"}},
		})
		cost := func(v uint64, value string) *visit {
			if value == "" {
				return hitAt(v, 0, 25, "Purchase", "/")
			}
			return hitAt(v, 0, 0, "Purchase", "/", props("cost", value))
		}
		e = loaded(t, join(cost(1, "16"), cost(2, "16"), cost(3, "16"), cost(4, ""), cost(5, "14"), cost(6, "14")), at(20, 0))
		runCases(t, e, []queryCase{
			{"with (none)", day(`"visitors"`, `,"dimensions":["event:props:cost"],"filters":[["is","event:name",["Purchase"]]]`), []string{"16 | 3", "14 | 2", "(none) | 1"}},
		})
		e = loaded(t, join(hitAt(1, 0, 0, "Purchase", "/", props("package", "business"), browser("Chrome", "")),
			hitAt(2, 0, 0, "Purchase", "/", props("package", "business"), browser("Safari", "")),
			hitAt(3, 0, 25, "Purchase", "/", props("package", "business"), browser("Safari", "")),
			hitAt(4, 0, 25, "Purchase", "/", props("package", "personal"), browser("IE", ""))), at(20, 0))
		runCases(t, e, []queryCase{
			{"browsers under a name and a property filter", day(`"visitors"`, `,"dimensions":["visit:browser"],"filters":[["is","event:name",["Purchase"]],["is","event:props:package",["business"]]]`),
				[]string{"Safari | 2", "Chrome | 1"}},
		})
		bp := func(v uint64, b string, kv ...string) *visit { return pv(v, browser(b, ""), props(kv...)) }
		e = loaded(t, join(bp(1, "Chrome", "browser", "Chrome"), bp(2, "Chrome", "browser", "Chrome"), bp(3, "Safari", "browser", "Safari"), bp(4, "Firefox", "browser", "Firefox")), at(20, 0))
		runCases(t, e, []queryCase{
			{"is, two values", day(`"visitors"`, `,"dimensions":["visit:browser"],"filters":[["is","event:props:browser",["Chrome","Safari"]]]`), []string{"Chrome | 2", "Safari | 1"}},
		})
		e = loaded(t, join(bp(1, "Chrome", "browser", "Chrome"), bp(2, "Chrome", "browser", "Chrome", "prop", "xyz"), bp(3, "Safari", "browser", "Safari", "prop", "target_value"),
			bp(4, "Chrome", "browser", "Chrome", "prop", "target_value"), bp(5, "Firefox", "browser", "Firefox", "prop", "target_value")), at(20, 0))
		runCases(t, e, []queryCase{
			{"several property filters", day(`"visitors"`, `,"dimensions":["visit:browser"],"filters":[["is","event:props:browser",["CHROME","sAFari"],{"case_sensitive":false}],["is_not","event:props:browser",["Chrome"],{"case_sensitive":false}],["is","event:props:prop",["target_value"]]]`),
				[]string{"Safari | 1"}},
		})
		e = loaded(t, join(bp(1, "Chrome", "browser", "Chrome"), bp(2, "Chrome", "browser", "Chrome"), bp(3, "Safari"), bp(4, "Firefox", "browser", "Firefox")), at(20, 0))
		runCases(t, e, []queryCase{
			{"is with (none)", day(`"visitors"`, `,"dimensions":["visit:browser"],"filters":[["is","event:props:browser",["Chrome","(none)"]]]`), []string{"Chrome | 2", "Safari | 1"}},
		})
	})
	t.Run("visits that saw a page", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "pageview", "/ignore", browser("Chrome", "")), hitAt(2, 0, 0, "pageview", "/plausible.io", browser("Chrome", "")),
			hitAt(3, 0, 25, "pageview", "/plausible.io", browser("Chrome", "")), hitAt(4, 0, 0, "pageview", "/plausible.io", browser("Safari", ""))), at(20, 0))
		runCases(t, e, []queryCase{
			{"browsers", day(`"visitors"`, `,"dimensions":["visit:browser"],"filters":[["is","event:page",["/plausible.io"]]]`), []string{"Chrome | 2", "Safari | 1"}},
		})
		tw := with(src("Twitter"), utmMedium("Twitter"), utmSource("Twitter"), utmCampaign("Twitter"))
		gg := with(src("Google"), utmMedium("Google"), utmSource("Google"), utmCampaign("Google"))
		u := newVisit(1, 50, 500, at(0, 0), tw).pv(0, "/").pv(time.Minute, "/plausible.io")
		e = loaded(t, join(u, hitAt(1, 0, 0, "pageview", "/plausible.io", gg), hitAt(2, 0, 0, "pageview", "/plausible.io", gg)), at(20, 0))
		for _, d := range []string{"visit:source", "visit:utm_medium", "visit:utm_source", "visit:utm_campaign"} {
			runCases(t, e, []queryCase{{d, day(`"visitors"`, `,"dimensions":["`+d+`"],"filters":[["is","event:page",["/plausible.io"]]]`), []string{"Google | 2", "Twitter | 1"}}})
		}
		a := newVisit(1, 50, 500, at(0, 0), browser("Chrome", "")).pv(0, "/ignore").pv(time.Minute, "/plausible.io")
		b := newVisit(1, 456, 4560, at(0, 0), browser("Chrome", "")).pv(0, "/important-page").pv(time.Minute, "/")
		e = loaded(t, join(a, b, hitAt(1, 0, 1, "pageview", "/plausible.io", browser("Chrome", ""))), at(20, 0))
		runCases(t, e, []queryCase{
			{"bounce rate of the visits entering there", day(`"visitors","bounce_rate"`, `,"dimensions":["visit:browser"],"filters":[["is","event:page",["/plausible.io","/important-page"]]]`),
				[]string{"Chrome | 3 50"}},
		})
	})
	t.Run("sources by host", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(0, 0), src("Facebook")).event(0, "pageview", "/", onHost("blog.example.com")).
			event(0, "pageview", "/register", onHost("app.example.com")).event(0, "Signup", "/register", onHost("app.example.com"))
		e := loaded(t, join(u), at(20, 0))
		runCases(t, e, []queryCase{{"entered elsewhere", day(`"visitors"`, `,"dimensions":["visit:source"],"filters":[["is","event:hostname",["app.example.com"]]]`), []string{}}})
		u = newVisit(1, 50, 500, at(0, 0), src("Facebook")).event(0, "pageview", "/register", onHost("app.example.com")).event(0, "Signup", "/register", onHost("app.example.com"))
		e = loaded(t, join(u), at(20, 0))
		runCases(t, e, []queryCase{{"entered there", day(`"visitors"`, `,"dimensions":["visit:source"],"filters":[["is","event:hostname",["app.example.com"]]]`), []string{"Facebook | 1"}}})
	})
	t.Run("goal filters", func(t *testing.T) {
		g := newVisit(1, 50, 500, at(0, 0), src("Google")).pv(0, "/").pv(0, "/plausible.io")
		e := loaded(t, join(pv(1, src("Bing")), g), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "p", PagePath: "/plausible.io"}}, []queryCase{
			{"page goal by source", day(`"visitors"`, `,"dimensions":["visit:source"],"filters":[["is","event:goal",["Visit /plausible.io"]]]`), []string{"Google | 1"}},
		})
		g = newVisit(1, 50, 500, at(0, 0), src("Google")).pv(0, "/").event(0, "Register", "/")
		e = loaded(t, join(pv(1, src("Bing")), g), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "r", EventName: "Register"}}, []queryCase{
			{"event goal by source", day(`"visitors"`, `,"dimensions":["visit:source"],"filters":[["is","event:goal",["Register"]]]`), []string{"Google | 1"}},
		})
		r := newVisit(1, 50, 500, at(0, 0), nil).pv(0, "/en/register").pv(0, "/en/register")
		e = loaded(t, join(hitAt(1, 0, 0, "pageview", "/en/register"), r, hitAt(2, 0, 0, "pageview", "/123/it/register"), hitAt(3, 0, 0, "pageview", "/should-not-appear")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "r", PagePath: "/**register"}}, []queryCase{
			{"wildcard goal by page", day(`"visitors","pageviews"`, `,"dimensions":["event:page"],"filters":[["is","event:goal",["Visit /**register"]]]`),
				[]string{"/en/register | 2 3", "/123/it/register | 1 1"}},
		})
		onboarding := []Goal{{ID: "1", EventName: "Onboarding conversion: Step 1"}, {ID: "2", EventName: "Onboarding conversion: Step 2"},
			{ID: "3", EventName: "Unrelated"}, {ID: "4", PagePath: "/conversion"}}
		e = loaded(t, join(hitAt(1, 0, 0, "Onboarding conversion: Step 1", "/"), hitAt(2, 0, 0, "Onboarding conversion: Step 1", "/"),
			hitAt(3, 0, 0, "Onboarding conversion: Step 2", "/"), hitAt(4, 0, 0, "Unrelated", "/"), hitAt(5, 0, 0, "pageview", "/conversion")), at(20, 0))
		runGoalCases(t, e, onboarding, []queryCase{
			{"goals containing", day(`"visitors"`, `,"dimensions":["event:goal"],"filters":[["contains","event:goal",["conversion"]]]`),
				[]string{"Onboarding conversion: Step 1 | 2", "Onboarding conversion: Step 2 | 1", "Visit /conversion | 1"}},
			{"goals containing, ignoring case", day(`"visitors"`, `,"dimensions":["event:goal"],"filters":[["contains","event:goal",["step"],{"case_sensitive":false}]]`),
				[]string{"Onboarding conversion: Step 1 | 2", "Onboarding conversion: Step 2 | 1"}},
		})
		ee := newVisit(1, 50, 500, at(0, 0), country("EE")).pv(0, "/en/register").event(0, "Signup", "/en/register")
		e = loaded(t, join(ee, pv(1, country("US")), hitAt(2, 0, 0, "pageview", "/123/it/register", country("US")), hitAt(3, 0, 0, "pageview", "/different", country("US"))), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "r", PagePath: "/**register"}, {ID: "s", EventName: "Signup"}}, []queryCase{
			{"two goals by country", day(`"visitors","pageviews","events"`, `,"dimensions":["visit:country"],"filters":[["is","event:goal",["Signup","Visit /**register"]]]`),
				[]string{"EE | 1 1 2", "US | 1 1 1"}},
		})
		e = loaded(t, join(hitAt(1, 0, 0, "Register", "/en/register"), hitAt(2, 0, 0, "Register", "/en/register"), hitAt(3, 0, 0, "Register", "/it/register")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "r", EventName: "Register"}}, []queryCase{
			{"event goal by page", day(`"visitors"`, `,"dimensions":["event:page"],"filters":[["is","event:goal",["Register"]]]`), []string{"/en/register | 2", "/it/register | 1"}},
		})
	})
	t.Run("is with several values", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "pageview", "/ignore", browser("Firefox", "")), hitAt(2, 0, 0, "pageview", "/plausible.io", browser("Chrome", "")),
			hitAt(3, 0, 0, "pageview", "/plausible.io", browser("Safari", "")), hitAt(4, 0, 0, "pageview", "/important-page", browser("Safari", ""))), at(20, 0))
		runCases(t, e, []queryCase{
			{"pages", day(`"visitors"`, `,"dimensions":["event:page"],"filters":[["is","event:page",["/plausible.io","/important-page"]]]`), []string{"/plausible.io | 2", "/important-page | 1"}},
			{"browsers", day(`"visitors"`, `,"dimensions":["event:page"],"filters":[["is","visit:browser",["Chrome","Safari"]]]`), []string{"/plausible.io | 2", "/important-page | 1"}},
			{"bounce rate by page", day(`"bounce_rate"`, `,"dimensions":["event:page"],"filters":[["is","event:page",["/plausible.io","/important-page"]]],"order_by":[["event:page","asc"]]`),
				[]string{"/important-page | 100", "/plausible.io | 100"}},
			{"is_not", day(`"visitors"`, `,"dimensions":["visit:browser"],"filters":[["is_not","visit:browser",["Chrome"]]]`), []string{"Safari | 2", "Firefox | 1"}},
		})
		e = loaded(t, join(hitAt(1, 0, 0, "Signup", "/"), hitAt(2, 0, 0, "Signup", "/"), hitAt(3, 0, 0, "Login", "/"), hitAt(4, 0, 0, "Irrelevant", "/")), at(20, 0))
		runCases(t, e, []queryCase{
			{"names", day(`"visitors"`, `,"dimensions":["event:name"],"filters":[["is","event:name",["Signup","Login"]]]`), []string{"Signup | 2", "Login | 1"}},
			{"names ignoring case", day(`"visitors"`, `,"filters":[["is","event:name",["signup","LOGIN"],{"case_sensitive":false}]]`), []string{" | 3"}},
		})
	})
	t.Run("every metric", func(t *testing.T) {
		u := newVisit(1, 1, 10, at(0, 0), src("Google")).pv(0, "/").event(5*time.Minute, "signup", "/").pv(10*time.Minute, "/")
		e := loaded(t, join(u, hitAt(2, 0, 25, "pageview", "/", src("Google")), hitAt(3, 0, 0, "pageview", "/", src("Twitter"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"by source", day(`"visitors","visits","pageviews","events","bounce_rate","visit_duration"`, `,"dimensions":["visit:source"]`),
				[]string{"Google | 2 2 3 4 50 300", "Twitter | 1 1 1 1 100 0"}},
		})
		a := newVisit(1, 1, 10, at(0, 0), nil).pv(0, "/entry-page-1").pv(10*time.Minute, "/some-page")
		e = loaded(t, join(a, hitAt(2, 0, 5, "pageview", "/entry-page-2", src("Google"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"bounce rate by entry page", day(`"bounce_rate"`, `,"dimensions":["visit:entry_page"],"order_by":[["visit:entry_page","asc"]]`),
				[]string{"/entry-page-1 | 0", "/entry-page-2 | 100"}},
		})
		p := newVisit(1, 1, 10, at(0, 0), nil).pv(0, "/").pv(10*time.Minute, "/plausible.io")
		e = loaded(t, join(p, hitAt(2, 0, 25, "pageview", "/"), hitAt(3, 0, 0, "pageview", "/plausible.io")), at(20, 0))
		runCases(t, e, []queryCase{
			{"by page", day(`"visitors","visits","pageviews","events","bounce_rate","visit_duration"`, `,"dimensions":["event:page"],"order_by":[["event:page","desc"]]`),
				[]string{"/plausible.io | 2 2 2 2 100 0", "/ | 2 2 2 2 50 300"}},
		})
	})
	t.Run("a session written three times", func(t *testing.T) {
		u := newVisit(1, 1, 10, at(0, 0), nil).pv(0, "/").pv(time.Minute, "/").pv(time.Minute, "/")
		e := loadedPartial(t, join(u), at(20, 0))
		runCases(t, e, []queryCase{{"bounce rate by page", day(`"bounce_rate"`, `,"dimensions":["event:page"]`), []string{"/ | 0"}}})
	})
	t.Run("pagination", func(t *testing.T) {
		var vs []*visit
		for i := range 8 {
			vs = append(vs, hitAt(uint64(i+1), 0, 0, "pageview", "/"+string(rune('1'+i))))
		}
		e := loaded(t, join(vs...), at(20, 0))
		page := func(limit, offset int) string {
			return day(`"pageviews"`, `,"dimensions":["event:page"],"order_by":[["event:page","asc"]],"include":{"total_rows":true},"pagination":{"limit":`+
				string(rune('0'+limit))+`,"offset":`+string(rune('0'+offset))+`}`)
		}
		ones := func(pages ...string) []string {
			out := []string{}
			for _, p := range pages {
				out = append(out, p+" | 1")
			}
			return out
		}
		runCases(t, e, []queryCase{
			{"above the count", day(`"pageviews"`, `,"dimensions":["event:page"],"order_by":[["event:page","asc"]],"include":{"total_rows":true},"pagination":{"limit":10}`),
				ones("/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8")},
			{"first page", page(3, 0), ones("/1", "/2", "/3")},
			{"second page", page(3, 3), ones("/4", "/5", "/6")},
			{"last page", page(3, 6), ones("/7", "/8")},
			{"past the end", page(3, 9), ones()},
		})
		// As Plausible, total_rows is read from the page's rows: a page past
		// the end has none, so it says 0.
		for off, want := range map[int]uint64{0: 8, 6: 8, 9: 0} {
			q, err := ParseQuery([]byte(page(3, off)))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := e.Run(context.Background(), scenarioSite, nil, q)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Meta.TotalRows == nil || *resp.Meta.TotalRows != want {
				t.Errorf("offset %d: total_rows %v, want %d", off, resp.Meta.TotalRows, want)
			}
		}
	})
	t.Run("places by name", func(t *testing.T) {
		place := func(v uint64, c, region, city string, id uint32) *visit {
			return pv(v, func(e *sillage.Event) { e.CountryCode, e.Region, e.City, e.CityGeonameID = c, region, city, id })
		}
		e := loaded(t, join(place(1, "GB", "GB-LND", "London", 2643743), place(2, "CA", "CA-ON", "London", 6058560), place(3, "EE", "EE-37", "Tallinn", 588409),
			place(4, "EE", "EE-79", "Tartu", 588335), place(5, "EE", "EE-50", "Jõgeva", 591902)), at(20, 0))
		runCases(t, e, []queryCase{
			{"country, region and city names", day(`"pageviews"`, `,"filters":[["is","visit:country_name",["Estonia","United Kingdom"]],["is_not","visit:region_name",["Tartumaa"]],["contains","visit:city_name",["n"]]],"dimensions":["visit:country_name","visit:region_name","visit:city_name"]`),
				// Plausible names GB-LND "London" (GeoNames); Sillage gives its
				// ISO 3166-2 name (query/README.md, "Region names").
				[]string{"Estonia Harjumaa Tallinn | 1", "United Kingdom London, City of London | 1"}},
		})
	})
}

// TestQueryEchoRoundTrip: the query a response echoes, posted again,
// gives the same results, as in Plausible (whose test uses a site in
// Europe/Tallinn; ours is in Europe/Paris).
func TestQueryEchoRoundTrip(t *testing.T) {
	u := newVisit(1, 50, 500, at(0, 0), nil).pv(0, "/").pv(25*time.Minute, "/")
	e := loaded(t, join(u, hitAt(1, 0, 0, "pageview", "/")), at(20, 0))
	for _, body := range []string{
		`{"site_id":"example.fr","metrics":["pageviews"],"date_range":"all","date":"2026-06-10"}`,
		`{"site_id":"example.fr","metrics":["pageviews"],"date_range":"7d","date":"2026-06-11","dimensions":["time"]}`,
		day(`"visitors","bounce_rate"`, `,"dimensions":["event:page"],"filters":[["contains","event:page",["/"]]],"include":{"total_rows":true}`),
	} {
		q, err := ParseQuery([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		first, err := e.Run(context.Background(), scenarioSite, nil, q)
		if err != nil {
			t.Fatal(err)
		}
		echo, err := json.Marshal(first.Query)
		if err != nil {
			t.Fatal(err)
		}
		q2, err := ParseQuery(echo)
		if err != nil {
			t.Fatalf("the echo %s does not parse: %v", echo, err)
		}
		second, err := e.Run(context.Background(), scenarioSite, nil, q2)
		if err != nil {
			t.Fatalf("the echo %s: %v", echo, err)
		}
		if a, b := strings.Join(render(first), "\n"), strings.Join(render(second), "\n"); a != b || a == "" {
			t.Errorf("%s\nfirst\n\t%s\nagain\n\t%s", echo, a, b)
		}
	}
}
