package stats

import (
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
)

// runGoalCases is runCases with the site's goals given.
func runGoalCases(t *testing.T, e *Engine, goals []Goal, cases []queryCase) {
	t.Helper()
	runSiteCases(t, e, scenarioSite, goals, cases)
}

func scrolled(depth uint8) func(*sillage.Event) {
	return func(e *sillage.Event) { e.Interactive, e.EngagementMS, e.ScrollDepth = false, 1000, depth }
}

// TestGoalDimensionParity: the event:goal dimension and scroll goals,
// from Plausible's goal-dimension tests.
func TestGoalDimensionParity(t *testing.T) {
	t.Run("event and page goals", func(t *testing.T) {
		e := loaded(t, join(hit(1, "pageview", "/test"), hit(2, "Purchase", "/"), hit(3, "Purchase", "/")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "a", EventName: "Purchase"}, {ID: "b", PagePath: "/test"}}, []queryCase{
			{"visitors", day(`"visitors"`, `,"dimensions":["event:goal"]`), []string{"Purchase | 2", "Visit /test | 1"}},
		})
	})
	t.Run("wildcards", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(10, 0), nil).pv(0, "/blog").pv(time.Minute, "/blog/post-1").pv(2*time.Minute, "/blog/post-2")
		e := loaded(t, join(u, hit(1, "pageview", "/blog/something/post"), hit(2, "pageview", "/different/page/post")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "a", PagePath: "/**/post"}, {ID: "b", PagePath: "/blog**"}}, []queryCase{
			{"visitors and pageviews", day(`"visitors","pageviews"`, `,"dimensions":["event:goal"],"order_by":[["pageviews","desc"]]`),
				[]string{"Visit /blog** | 2 4", "Visit /**/post | 2 2"}},
		})
	})
	t.Run("goals not configured", func(t *testing.T) {
		e := loaded(t, join(hit(1, "pageview", "/register"), hit(2, "Signup", "/")), at(20, 0))
		runGoalCases(t, e, nil, []queryCase{
			{"no rows", day(`"visitors","pageviews"`, `,"dimensions":["event:goal"]`), []string{}},
		})
	})
	t.Run("conversion rates", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(10, 0), nil).event(0, "Signup", "/").event(time.Minute, "Signup", "/")
		e := loaded(t, join(u, hit(1, "pageview", "/blog"), hit(2, "pageview", "/blog/post"), hit(3, "pageview", "/")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "a", EventName: "Signup"}, {ID: "b", PagePath: "/blog**"}}, []queryCase{
			{"visitors, events, rate", day(`"visitors","events","conversion_rate"`, `,"dimensions":["event:goal"]`),
				[]string{"Visit /blog** | 2 2 50", "Signup | 1 2 25"}},
		})
	})
	t.Run("a depth of 255 is no reading", func(t *testing.T) {
		u := newVisit(1, 12, 120, at(10, 0), nil).pv(0, "/blog").event(0, "engagement", "/blog", scrolled(255))
		e := loaded(t, join(u), at(20, 0))
		goals := []Goal{{ID: "a", PagePath: "/blog", ScrollThreshold: 90, DisplayName: "Scroll /blog 90"}}
		runGoalCases(t, e, goals, []queryCase{
			{"goal filter", day(`"visitors"`, `,"filters":[["is","event:goal",["Scroll /blog 90"]]]`), []string{" | 0"}},
			{"goal dimension", day(`"visitors"`, `,"dimensions":["event:goal"]`), []string{}},
		})
	})
	t.Run("page and scroll goals under a page filter", func(t *testing.T) {
		a := newVisit(1, 12, 120, at(10, 0), nil).pv(0, "/blog").event(0, "engagement", "/blog", scrolled(10))
		b := newVisit(1, 34, 340, at(10, 0), nil).pv(0, "/blog").event(0, "engagement", "/blog", scrolled(30))
		e := loaded(t, join(a, b, hit(1, "pageview", "/")), at(20, 0))
		goals := []Goal{{ID: "a", PagePath: "/blog"}, {ID: "b", PagePath: "/blog", ScrollThreshold: 25, DisplayName: "Scroll /blog 25"}}
		runGoalCases(t, e, goals, []queryCase{
			{"visitors and rates", day(`"visitors","conversion_rate"`, `,"filters":[["is","event:page",["/blog"]]],"dimensions":["event:goal"]`),
				[]string{"Visit /blog | 2 100", "Scroll /blog 25 | 1 50"}},
		})
	})
	t.Run("scroll goal by source", func(t *testing.T) {
		src := func(s string) func(*sillage.Event) { return func(e *sillage.Event) { e.ReferrerSource = s } }
		a := newVisit(1, 12, 120, at(10, 0), src("Google")).pv(0, "/blog").event(10*time.Second, "engagement", "/blog", scrolled(30))
		b := newVisit(1, 34, 340, at(10, 0), src("Twitter")).pv(0, "/blog").event(10*time.Second, "engagement", "/blog", scrolled(50))
		c := newVisit(1, 1, 10, at(9, 0), src("Twitter")).pv(0, "/")
		e := loaded(t, join(a, b, c), at(20, 0))
		goals := []Goal{{ID: "a", PagePath: "/blog", ScrollThreshold: 50, DisplayName: "Scroll /blog 50"}}
		runGoalCases(t, e, goals, []queryCase{
			{"visitors and group rate", day(`"visitors","group_conversion_rate"`, `,"filters":[["is","event:goal",["Scroll /blog 50"]]],"dimensions":["visit:source"]`),
				[]string{"Twitter | 1 50"}},
		})
	})
}
