package stats

import (
	"strings"
	"testing"
)

// Plausible's custom comparison: include.comparisons is
// {"mode":"custom","date_range":[from,to]}, any range, of any length.
// Rows pair by dimension; time buckets pair by position.
func TestCustomComparison(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	q := func(rng, metrics, extra, cmp string) string {
		return `{"site_id":"example.fr","date_range":` + rng + `,"metrics":[` + metrics + `]` + extra +
			`,"include":{"comparisons":{"mode":"custom","date_range":` + cmp + `}}}`
	}
	runCases(t, e, []queryCase{
		{"aggregate against one other day", q(`["2026-06-11","2026-06-11"]`, `"visitors","visits","bounce_rate"`, ``, `["2026-06-10","2026-06-10"]`),
			[]string{" | 1 1 0 ~  | 6 7 29 Δ -83 -86 -29"}},
		{"aggregate against a longer range", q(`["2026-06-11","2026-06-11"]`, `"visitors","pageviews"`, ``, `["2026-06-01","2026-06-10"]`),
			[]string{" | 1 1 ~  | 6 9 Δ -83 -89"}},
		{"against a range without data", q(`["2026-06-10","2026-06-11"]`, `"visitors"`, ``, `["2025-01-01","2025-01-31"]`),
			[]string{" | 6 ~  | 0 Δ 100"}}, // the one visitor of the 11th came on the 10th too
		{"a daily series pairs days by position", q(`["2026-06-10","2026-06-11"]`, `"visitors"`, `,"dimensions":["time:day"]`, `["2026-06-09","2026-06-10"]`),
			[]string{"2026-06-10 | 6 ~ 2026-06-09 | 0 Δ 100", "2026-06-11 | 1 ~ 2026-06-10 | 6 Δ -83"}},
		// match_day_of_week shifts previous_period and year_over_year
		// only: a custom range is compared as given, as in Plausible.
		{"match_day_of_week leaves a custom range alone", `{"site_id":"example.fr","date_range":["2026-06-11","2026-06-11"],"metrics":["visitors"],
			"include":{"comparisons":{"mode":"custom","date_range":["2026-06-10","2026-06-10"],"match_day_of_week":true}}}`,
			[]string{" | 1 ~  | 6 Δ -83"}},
	})
}

func TestCustomComparisonValidation(t *testing.T) {
	for _, c := range []struct{ name, cmp, field, msg string }{
		{"ends before it starts", `{"mode":"custom","date_range":["2026-06-10","2026-06-01"]}`, "include.comparisons.date_range", "the end is before the start"},
		{"before the engine's dates", `{"mode":"custom","date_range":["1969-12-01","1970-01-31"]}`, "include.comparisons.date_range", "dates must lie between"},
		{"after the engine's dates", `{"mode":"custom","date_range":["2026-06-01","2150-01-01"]}`, "include.comparisons.date_range", "dates must lie between"},
		{"not dates", `{"mode":"custom","date_range":["June 1","June 10"]}`, "include.comparisons.date_range", `Invalid date range ["June 1", "June 10"]`},
		{"a period, not a pair", `{"mode":"custom","date_range":"7d"}`, "include.comparisons", "none of them did"},
		{"no range", `{"mode":"custom"}`, "include.comparisons", "none of them did"},
		{"a range for another mode", `{"mode":"previous_period","date_range":["2026-06-01","2026-06-10"]}`, "include.comparisons", "none of them did"},
	} {
		_, err := ParseQuery([]byte(`{"site_id":"example.fr","metrics":["visitors"],"date_range":"7d","include":{"comparisons":` + c.cmp + `}}`))
		qe, ok := err.(*QueryError)
		if !ok || !strings.Contains(qe.Error(), c.field) || !strings.Contains(qe.Error(), c.msg) {
			t.Errorf("%s: err = %v, want %s: …%s…", c.name, err, c.field, c.msg)
		}
	}
}
