package stats

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestPropKeys: the property names of the range, most used first, with
// the query's filters; engagement events and other days do not count.
func TestPropKeys(t *testing.T) {
	fr := attrs("Google", "Organic Search", "FR", "FR-IDF", "Paris", 2988507, "Firefox", "Linux", "Desktop")
	de := attrs("", "Direct", "DE", "DE-BE", "Berlin", 2950159, "Chrome", "Android", "Mobile")
	v1 := newVisit(1, 1, 101, at(9, 0), fr).
		event(0, "pageview", "/", props("author", "ana")).event(time.Minute, "pageview", "/a", props("author", "ana")).
		event(2*time.Minute, "Signup", "/a", props("plan", "pro")).
		engage(3*time.Minute, "/a", 1000, 10)
	v1.events[len(v1.events)-1].Props = map[string]string{"engaged": "x"}
	v2 := newVisit(1, 2, 201, at(10, 0), de).
		event(0, "pageview", "/", props("color", "red")).event(time.Minute, "Signup", "/", props("plan", "free"))
	v3 := newVisit(1, 3, 301, at(11, 0), fr).event(0, "pageview", "/b", props("author", "bob", "lang", "fr"))
	old := newVisit(1, 4, 401, at(9, 0).AddDate(0, 0, -1), fr).event(0, "pageview", "/", props("old", "1"))
	other := newVisit(2, 5, 501, at(9, 0), fr).event(0, "pageview", "/", props("elsewhere", "1"))
	e := loaded(t, join(v1, v2, v3, old, other), at(20, 0))

	day := `"date_range":["2026-06-10","2026-06-10"]`
	for _, c := range []struct {
		name, query string
		want        []PropKey
	}{
		{"the day", day, []PropKey{{"author", 2, 3}, {"plan", 2, 2}, {"color", 1, 1}, {"lang", 1, 1}}},
		{"two days", `"date_range":["2026-06-09","2026-06-10"]`, []PropKey{{"author", 2, 3}, {"plan", 2, 2}, {"color", 1, 1}, {"lang", 1, 1}, {"old", 1, 1}}},
		{"the day before", `"date_range":["2026-06-09","2026-06-09"]`, []PropKey{{"old", 1, 1}}},
		{"a visit filter", day + `,"filters":[["is","visit:country",["DE"]]]`, []PropKey{{"color", 1, 1}, {"plan", 1, 1}}},
		{"a goal filter", day + `,"filters":[["is","event:goal",["Signup"]]]`, []PropKey{{"plan", 2, 2}}},
		{"a page filter", day + `,"filters":[["is","event:page",["/b"]]]`, []PropKey{{"author", 1, 1}, {"lang", 1, 1}}},
		{"an or group", day + `,"filters":[["or",[["is","visit:source",["Google"]],["is","visit:country",["DE"]]]]]`, []PropKey{{"author", 2, 3}, {"plan", 2, 2}, {"color", 1, 1}, {"lang", 1, 1}}},
		{"has done", day + `,"filters":[["has_done",["is","event:goal",["Signup"]]]]`, []PropKey{{"plan", 2, 2}, {"author", 1, 2}, {"color", 1, 1}}},
		{"a source filter", day + `,"filters":[["is","visit:source",["Google"]]]`, []PropKey{{"author", 2, 3}, {"lang", 1, 1}, {"plan", 1, 1}}},
		{"nothing", `"date_range":["2026-06-01","2026-06-02"]`, []PropKey{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, err := ParseQuery([]byte(`{"site_id":"example.fr","metrics":["visitors"],` + c.query + `}`))
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.PropKeys(context.Background(), scenarioSite, scenarioGoals, q, 0)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	q, _ := ParseQuery([]byte(`{"site_id":"example.fr","metrics":["visitors"],` + day + `}`))
	if got, err := e.PropKeys(context.Background(), scenarioSite, scenarioGoals, q, 2); err != nil || len(got) != 2 || got[1].Key != "plan" {
		t.Errorf("limit 2: %v, %v; want author and plan", got, err)
	}
}
