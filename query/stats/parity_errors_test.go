package stats

import (
	"errors"
	"testing"
)

// TestPlausibleErrorMessages: a refused v2 query answers with the words
// Plausible's Stats API v2 uses for the same mistake, since clients match
// on them. Each case is a mistake Plausible's own test suite makes, with
// the message it documents there.
func TestPlausibleErrorMessages(t *testing.T) {
	q := func(rest string) string {
		return `{"site_id":"a.fr","date_range":"all"` + rest + `}`
	}
	cases := []struct{ name, body, want string }{
		{"unknown metric", q(`,"metrics":["visitors","baa"],"dimensions":["event:name"]`),
			`#/metrics/1: Invalid metric "baa"`},
		{"metric twice", q(`,"metrics":["views_per_visit","visitors","visitors"]`),
			`#/metrics: Expected items to be unique but they were not.`},
		{"no metric", q(`,"metrics":[]`),
			`#/metrics: Expected a minimum of 1 items but got 0.`},
		{"metrics not a list", q(`,"metrics":"visitors"`),
			`#/metrics: Type mismatch. Expected Array but got String.`},
		{"unknown dimension", q(`,"metrics":["visitors"],"dimensions":["badproperty"]`),
			`#/dimensions/0: Invalid dimension "badproperty"`},
		{"empty property name", q(`,"metrics":["visitors"],"dimensions":["event:props:"]`),
			`#/dimensions/0: Invalid dimension "event:props:"`},
		{"a metric as a dimension", q(`,"metrics":["visitors"],"dimensions":["visitors"]`),
			`#/dimensions/0: Invalid dimension "visitors"`},
		{"minutes", q(`,"metrics":["visitors"],"dimensions":["time:minute"]`),
			`#/dimensions/0: Invalid dimension "time:minute"`},
		{"dimensions not a list", q(`,"metrics":["visitors"],"dimensions":"foobar"`),
			`#/dimensions: Type mismatch. Expected Array but got String.`},
		{"dimension twice", q(`,"metrics":["visitors"],"dimensions":["event:name","event:name"]`),
			`#/dimensions: Expected items to be unique but they were not.`},
		{"unknown period", `{"site_id":"a.fr","metrics":["visitors"],"date_range":"bad_period","dimensions":["event:name"]}`,
			`#/date_range: Invalid date range "bad_period"`},
		{"negative days", `{"site_id":"a.fr","metrics":["visitors"],"date_range":"-1d"}`,
			`#/date_range: Invalid date range "-1d"`},
		{"the dashboard's 30m", `{"site_id":"a.fr","metrics":["visitors"],"date_range":"30m"}`,
			`#/date_range: Invalid date range "30m"`},
		{"not dates", `{"site_id":"a.fr","metrics":["visitors"],"date_range":["21415-00","eee"]}`,
			`#/date_range: Invalid date range ["21415-00", "eee"]`},
		{"too many months", `{"site_id":"a.fr","metrics":["visitors"],"date_range":"999999999mo"}`,
			`Invalid date_range "999999999mo"`},
		{"datetimes without a zone", `{"site_id":"a.fr","metrics":["visitors"],"date_range":["2021-02-03T00:00:00","2021-02-03T23:59:59"]}`,
			`Invalid date_range '["2021-02-03T00:00:00", "2021-02-03T23:59:59"]'.`},
		{"a zone out of range", `{"site_id":"a.fr","metrics":["visitors"],"date_range":["2021-02-03T00:00:00-25:00","2021-02-03T23:59:59-25:00"]}`,
			`#/date_range: Invalid date range ["2021-02-03T00:00:00-25:00", "2021-02-03T23:59:59-25:00"]`},
		{"a datetime and a date", `{"site_id":"a.fr","metrics":["visitors"],"date_range":["2021-02-03T00:00:00Z","2021-02-04"]}`,
			`#/date_range: Invalid date range ["2021-02-03T00:00:00Z", "2021-02-04"]`},
		{"one date", `{"site_id":"a.fr","metrics":["visitors"],"date_range":["2021-02-03"]}`,
			`#/date_range: Invalid date range ["2021-02-03"]`},
		{"no date range", `{"site_id":"a.fr","metrics":["visitors"]}`,
			`#: Required property date_range was not present.`},
	}
	for _, c := range cases {
		_, err := ParseQuery([]byte(c.body))
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("%s: got %v, want a QueryError", c.name, err)
			continue
		}
		if got := qe.PathMessage(); got != c.want {
			t.Errorf("%s:\n\tgot  %s\n\twant %s", c.name, got, c.want)
		}
	}
}
