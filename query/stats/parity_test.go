package stats

import "testing"

// Behaviours of Plausible's Stats API v2, written from its documentation
// and its own test cases, over the scenario day (see fixture_test.go).

// TestPropertyNegations: a custom property's negated filters. In
// Plausible, `is_not` reads a missing property as "(none)" (so an event
// without it passes unless "(none)" is listed), while `contains_not` and
// `matches_not` only match events that carry the property.
func TestPropertyNegations(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	runCases(t, e, []queryCase{
		// plan: pro (S1 Signup), free (S6 Signup; S5's Subscribe falls on the next
		// day); the 12 other events of the day lack it.
		{"is_not keeps events without the property", day(`"events"`, `,"filters":[["is_not","event:props:plan",["pro"]]]`),
			[]string{" | 13"}},
		{"is_not with (none) leaves them out", day(`"events"`, `,"filters":[["is_not","event:props:plan",["pro","(none)"]]]`),
			[]string{" | 1"}},
		{"contains_not leaves out events without the property", day(`"visitors","events"`, `,"filters":[["contains_not","event:props:plan",["pr"]]]`),
			[]string{" | 1 1"}},
		{"contains_not ignoring case", day(`"events"`, `,"filters":[["contains_not","event:props:plan",["PR"],{"case_sensitive":false}]]`),
			[]string{" | 1"}},
		{"matches_not leaves out events without the property", day(`"visitors","events"`, `,"filters":[["matches_not","event:props:plan",["^f"]]]`),
			[]string{" | 1 1"}},
		{"matches_not on sessions", day(`"visits"`, `,"filters":[["matches_not","event:props:plan",["^f"]]]`),
			[]string{" | 1"}},
		{"not contains keeps its plain negation", day(`"events"`, `,"filters":[["not",["contains","event:props:plan",["pr"]]]]`),
			[]string{" | 13"}},
		{"breakdown under contains_not", day(`"visitors"`, `,"dimensions":["event:props:plan"],"filters":[["contains_not","event:props:plan",["pr"]]]`),
			[]string{"free | 1"}},
	})
}
