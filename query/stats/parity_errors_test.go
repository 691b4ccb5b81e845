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
		{"values not a list", q(`,"metrics":["visitors"],"filters":[["is","event:name","foo"]]`),
			`#/filters/0: Invalid filter ["is", "event:name", "foo"]`},
		{"an empty filter", q(`,"metrics":["visitors"],"filters":[[]]`),
			`#/filters/0: Invalid filter []`},
		{"and alone", q(`,"metrics":["visitors"],"filters":[["and"]]`),
			`#/filters/0: Invalid filter ["and"]`},
		{"or of nothing", q(`,"metrics":["visitors"],"filters":[["or",[]]]`),
			`#/filters/0: Invalid filter ["or", []]`},
		{"not of nothing", q(`,"metrics":["visitors"],"filters":[["not",[]]]`),
			`#/filters/0: Invalid filter ["not", []]`},
		{"has_done of nothing", q(`,"metrics":["visitors"],"filters":[["has_done",[]]]`),
			`#/filters/0: Invalid filter ["has_done", []]`},
		{"is_not without values", q(`,"metrics":["visitors"],"filters":[["is_not","event:name"]]`),
			`#/filters/0: Invalid filter ["is_not", "event:name"]`},
		{"and with more", q(`,"metrics":["visitors"],"filters":[["and",[["is","event:props:foobar",["value"]]],"extra"]]`),
			`#/filters/0: Invalid filter ["and", [["is", "event:props:foobar", ["value"]]], "extra"]`},
		{"not with more", q(`,"metrics":["visitors"],"filters":[["not",["is","event:props:foobar",["value"]],1]]`),
			`#/filters/0: Invalid filter ["not", ["is", "event:props:foobar", ["value"]], 1]`},
		{"modifiers that are not an object", q(`,"metrics":["visitors"],"filters":[["is","event:props:foobar",["value"],true]]`),
			`#/filters/0: Invalid filter ["is", "event:props:foobar", ["value"], true]`},
		{"unknown operator", q(`,"metrics":["visitors"],"filters":[["exists?","event:name",["foo"]]]`),
			`#/filters/0: Invalid filter ["exists?", "event:name", ["foo"]]`},
		{"unknown event dimension", q(`,"metrics":["visitors"],"filters":[["is","event:device",["foo"]]]`),
			`#/filters/0: Invalid filter ["is", "event:device", ["foo"]]`},
		{"unknown visit dimension", q(`,"metrics":["visitors"],"filters":[["is","visit:name",["foo"]]]`),
			`#/filters/0: Invalid filter ["is", "visit:name", ["foo"]]`},
		{"second filter, nested", q(`,"metrics":["visitors"],"filters":[["is","event:name",["a"]],["not",["is","visit:name",["foo"]]]]`),
			`#/filters/1: Invalid filter ["not", ["is", "visit:name", ["foo"]]]`},
		{"filters not a list", q(`,"metrics":["visitors"],"filters":"foobar"`),
			`#/filters: Type mismatch. Expected Array but got String.`},
		{"a number for a version", q(`,"metrics":["visitors"],"filters":[["is","visit:os_version",[123]]]`),
			`Invalid filter '["is", "visit:os_version", [123]]'.`},
		{"a three-letter country", q(`,"metrics":["pageviews"],"filters":[["is","visit:country",["USA"]]]`),
			`Invalid visit:country filter, visit:country needs to be a valid 2-letter country code.`},
		{"has_done on a visit dimension", q(`,"metrics":["visitors"],"filters":[["has_done",["is","visit:browser",["Chrome"]]]]`),
			`Invalid filters. Behavioral filters (has_done, has_not_done) can only be used with event dimension filters.`},
		{"has_done in has_not_done", q(`,"metrics":["visitors"],"filters":[["has_done",["has_not_done",["is","visit:browser",["Chrome"]]]]]`),
			`Invalid filters. Behavioral filters (has_done, has_not_done) cannot be nested.`},
		{"hostname under not", q(`,"metrics":["visitors"],"filters":[["not",["is","event:hostname",["a.plausible.io"]]]]`),
			"Invalid filters. Dimension `event:hostname` can only be filtered at the top level."},
		{"goal under or", q(`,"metrics":["visitors"],"filters":[["or",[["is","event:goal",["Signup"]],["is","event:name",["pageview"]]]]]`),
			"Invalid filters. Dimension `event:goal` can only be filtered at the top level."},
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
