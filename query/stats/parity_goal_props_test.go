package stats

import (
	"testing"
	"time"
)

// TestGoalPropertyParity: Plausible's goals with property conditions
// (custom_props) count only the goal's events that carry those values.
// Sillage's goals have no such conditions (query/README.md); the same
// numbers come from the goal filter with property filters beside it,
// which these cases check against Plausible's expected answers.
func TestGoalPropertyParity(t *testing.T) {
	purchase := []Goal{{ID: "p", EventName: "Purchase"}}
	t.Run("one property", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "Purchase", "/", props("variant", "A")), hitAt(2, 0, 0, "Purchase", "/", props("variant", "A")),
			hitAt(3, 0, 0, "Purchase", "/", props("variant", "B")), hitAt(4, 0, 0, "Purchase", "/")), at(20, 0))
		runGoalCases(t, e, purchase, []queryCase{
			{"visitors, events", day(`"visitors","events"`, `,"filters":[["is","event:goal",["Purchase"]],["is","event:props:variant",["A"]]]`), []string{" | 2 2"}},
		})
	})
	t.Run("two properties", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "Purchase", "/", props("variant", "A", "plan", "premium")), hitAt(2, 0, 0, "Purchase", "/", props("variant", "A", "plan", "free")),
			hitAt(3, 0, 0, "Purchase", "/", props("variant", "B", "plan", "premium")), hitAt(4, 0, 0, "Purchase", "/", props("variant", "A"))), at(20, 0))
		runGoalCases(t, e, purchase, []queryCase{
			{"both must hold", day(`"visitors","events"`, `,"filters":[["is","event:goal",["Purchase"]],["is","event:props:variant",["A"]],["is","event:props:plan",["premium"]]]`),
				[]string{" | 1 1"}},
		})
		runGoalCases(t, e, purchase, []queryCase{
			{"by goal and plan", day(`"visitors","events"`, `,"dimensions":["event:goal","event:props:plan"],"filters":[["is","event:goal",["Purchase"]],["is","event:props:variant",["A"]]],"order_by":[["event:props:plan","asc"]]`),
				// the fourth event (variant A, no plan) adds Plausible's (none) row
				[]string{"Purchase (none) | 1 1", "Purchase free | 1 1", "Purchase premium | 1 1"}},
		})
	})
	t.Run("a goal without conditions", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "Signup", "/", props("source", "google")), hitAt(2, 0, 0, "Signup", "/", props("source", "twitter")), hitAt(3, 0, 0, "Signup", "/")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "s", EventName: "Signup"}}, []queryCase{
			{"every event", day(`"visitors","events"`, `,"filters":[["is","event:goal",["Signup"]]]`), []string{" | 3 3"}},
		})
	})
	t.Run("two goals by name", func(t *testing.T) {
		u := newVisit(1, 1, 10, at(0, 0), nil).event(0, "Purchase A", "/", props("variant", "A")).event(0, "Purchase A", "/", props("variant", "A")).
			event(0, "Purchase B", "/", props("variant", "B"))
		e := loaded(t, join(u), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "a", EventName: "Purchase A"}, {ID: "b", EventName: "Purchase B"}}, []queryCase{
			{"by goal", day(`"visitors","events"`, `,"dimensions":["event:goal"]`), []string{"Purchase A | 1 2", "Purchase B | 1 1"}},
		})
	})
	t.Run("conversion rate", func(t *testing.T) {
		v := func(id uint64, method string) *visit {
			x := newVisit(1, id, id*10, at(0, 0), nil).pv(0, "/")
			if method != "" {
				x.event(time.Second, "Signup", "/", props("method", method))
			}
			return x
		}
		e := loaded(t, join(v(1, "email"), v(2, "google"), v(3, "")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "s", EventName: "Signup"}}, []queryCase{
			{"of all visitors", day(`"visitors","events","conversion_rate"`, `,"filters":[["is","event:goal",["Signup"]],["is","event:props:method",["email"]]]`),
				[]string{" | 1 1 33.33"}},
		})
	})
	t.Run("by day", func(t *testing.T) {
		e := loaded(t, join(hitAt(1, 0, 0, "Click", "/", props("button", "cta")), hitAt(2, 0, 0, "Click", "/", props("button", "nav")),
			newVisit(1, 3, 30, at(0, 0).Add(24*time.Hour), nil).event(0, "Click", "/", props("button", "cta"))), at(20, 0).Add(24*time.Hour))
		runGoalCases(t, e, []Goal{{ID: "c", EventName: "Click"}}, []queryCase{
			{"visitors", `{"site_id":"example.fr","date_range":["2026-06-10","2026-06-11"],"metrics":["visitors"],"dimensions":["time:day"],"filters":[["is","event:goal",["Click"]],["is","event:props:button",["cta"]]]}`,
				[]string{"2026-06-10 | 1", "2026-06-11 | 1"}},
		})
	})
	t.Run("visit dimensions", func(t *testing.T) {
		v := func(id uint64, c, b, name string, kv ...string) *visit {
			x := newVisit(1, id, id*10, at(0, 0), with(country(c), browser(b, ""))).pv(0, "/")
			if name != "" {
				x.event(time.Second, name, "/", props(kv...))
			}
			return x
		}
		e := loaded(t, join(v(1, "US", "Chrome", "Signup", "plan", "premium"), v(2, "GB", "Chrome", "Signup", "plan", "basic"),
			v(3, "CA", "Firefox", ""), v(4, "", "", "Signup"), v(5, "DE", "Safari", "")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "s", EventName: "Signup"}}, []queryCase{
			{"by country", day(`"visitors","events"`, `,"dimensions":["visit:country"],"filters":[["is","event:goal",["Signup"]],["is","event:props:plan",["premium"]]]`),
				[]string{"US | 1 1"}},
		})
		e = loaded(t, join(v(1, "US", "Chrome", "Newsletter", "source", "sidebar"), v(2, "US", "Firefox", "Newsletter", "source", "footer"),
			v(3, "GB", "Chrome", "Newsletter", "source", "sidebar")), at(20, 0))
		runGoalCases(t, e, []Goal{{ID: "n", EventName: "Newsletter"}}, []queryCase{
			{"by browser with a country filter", day(`"visitors","events"`, `,"dimensions":["visit:browser"],"filters":[["is","event:goal",["Newsletter"]],["is","event:props:source",["sidebar"]],["is","visit:country",["US"]]]`),
				[]string{"Chrome | 1 1"}},
		})
	})
}
