package stats

import (
	"context"
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
		{"eleven segments", q(`,"metrics":["visitors"],"filters":[["is","segment",[1,2,3,4,5,6,7,8,9,10,11]]]`),
			"Invalid filters. You can only use up to 10 segment filters in a query."},
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
		{"conversion rate without a goal", q(`,"metrics":["conversion_rate"],"dimensions":["event:page"],"filters":[["is","event:props:author",["Uku"]]]`),
			"Metric `conversion_rate` can only be queried with event:goal filters or dimensions."},
		{"group conversion rate without a goal", q(`,"metrics":["group_conversion_rate"]`),
			"Metric `group_conversion_rate` can only be queried with event:goal filters or dimensions."},
		{"views per visit on a page", q(`,"metrics":["views_per_visit"],"filters":[["is","event:page",["/something"]]]`),
			"Metric `views_per_visit` cannot be queried with a filter on `event:page`."},
		{"views per visit by event name", q(`,"metrics":["views_per_visit"],"dimensions":["event:name"]`),
			"Metric `views_per_visit` cannot be queried with `dimensions`."},
		{"views per visit by page", q(`,"metrics":["views_per_visit"],"dimensions":["event:page"]`),
			"Metric `views_per_visit` cannot be queried with `dimensions`."},
		{"bounce rate by event name", q(`,"metrics":["visitors","bounce_rate"],"dimensions":["event:name"]`),
			"Session metric(s) `bounce_rate` cannot be queried along with event dimension(s) `event:name`"},
		{"duration by property", q(`,"metrics":["visit_duration"],"dimensions":["event:props:foo"]`),
			"Session metric(s) `visit_duration` cannot be queried along with event dimension(s) `event:props:foo`"},
		{"exit rate alone", q(`,"metrics":["exit_rate"]`),
			"Metric `exit_rate` requires a `\"visit:exit_page\"` dimension. No other dimensions are allowed."},
		{"exit rate under a page filter", q(`,"metrics":["exit_rate"],"dimensions":["visit:exit_page"],"filters":[["is","event:page",["/"]]]`),
			"Metric `exit_rate` cannot be queried when filtering on event dimensions."},
		{"exit rate with pageviews", q(`,"metrics":["exit_rate","pageviews"],"dimensions":["visit:exit_page"]`),
			"Event metric(s) `pageviews` cannot be queried along with session dimension(s) `visit:exit_page`"},
		{"order by an unknown name", q(`,"metrics":["visitors"],"order_by":[["visssss","desc"]]`),
			`#/order_by/0/0: Invalid value in order_by "visssss"`},
		{"order by a metric not asked for", q(`,"metrics":["visitors"],"order_by":[["events","desc"]]`),
			"Invalid order_by entry '{:events, :desc}'. Entry is not a queried metric or dimension."},
		{"order by a dimension not asked for", q(`,"metrics":["visitors"],"order_by":[["event:name","desc"]]`),
			`Invalid order_by entry '{"event:name", :desc}'. Entry is not a queried metric or dimension.`},
		{"include not an object", q(`,"metrics":["visitors"],"include":"foobar"`),
			`#/include: Type mismatch. Expected Object but got String.`},
		{"time labels without time", q(`,"metrics":["visitors"],"include":{"time_labels":true}`),
			`Invalid include.time_labels: requires a time dimension.`},
		{"custom comparison without dates", q(`,"metrics":["visitors"],"include":{"comparisons":{"mode":"custom"}}`),
			`#/include/comparisons: Expected exactly one of the schemata to match, but none of them did.`},
		{"dates for the previous period", q(`,"metrics":["visitors"],"include":{"comparisons":{"mode":"previous_period","date_range":["2024-01-01","2024-01-31"]}}`),
			`#/include/comparisons: Expected exactly one of the schemata to match, but none of them did.`},
		{"limit too large", q(`,"metrics":["visitors"],"pagination":{"limit":100000}`),
			`#/pagination/limit: Expected the value to be <= 10000`},
		{"negative offset", q(`,"metrics":["visitors"],"pagination":{"offset":-5}`),
			`#/pagination/offset: Expected the value to be >= 0`},
		{"an unknown field", q(`,"metrics":["visitors"],"colour":"blue"`),
			`#/colour: Schema does not allow additional properties.`},
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

// TestPlausibleV1ErrorMessages: the Stats API v1 refuses in the words of
// Plausible's v1 (its aggregate, breakdown and timeseries tests).
func TestPlausibleV1ErrorMessages(t *testing.T) {
	cases := []struct{ name, endpoint, query, want string }{
		{"unknown period", V1Breakdown, "site_id=a.fr&period=bad_period&property=event:page",
			"Error parsing `period` parameter: invalid period `bad_period`. Please find accepted values in our docs: https://plausible.io/docs/stats-api#time-periods"},
		{"custom without dates", V1Aggregate, "site_id=a.fr&period=custom",
			"The `date` parameter is required when using a custom period. See https://plausible.io/docs/stats-api#time-periods"},
		{"custom with one date", V1Aggregate, "site_id=a.fr&period=custom&date=2021-01-01",
			"Invalid format for `date` parameter. When using a custom period, please include two ISO-8601 formatted dates joined by a comma. See https://plausible.io/docs/stats-api#time-periods"},
		{"a date that is not one", V1Aggregate, "site_id=a.fr&period=day&date=2021-13-01",
			"Error parsing `date` parameter: invalid_date. Please specify a valid date in ISO-8601 format."},
		{"a date in another format", V1Aggregate, "site_id=a.fr&period=day&date=01/01/2021",
			"Error parsing `date` parameter: invalid_format. Please specify a valid date in ISO-8601 format."},
		{"no property", V1Breakdown, "site_id=a.fr",
			"The `property` parameter is required. Please provide at least one property to show a breakdown by."},
		{"unknown property", V1Breakdown, "site_id=a.fr&property=badproperty",
			"Invalid property 'badproperty'. Please provide a valid property for the breakdown endpoint: https://plausible.io/docs/stats-api#properties"},
		{"empty property name", V1Breakdown, "site_id=a.fr&property=event:props:",
			"Invalid property 'event:props:'. Please provide a valid property for the breakdown endpoint: https://plausible.io/docs/stats-api#properties"},
		{"limit too large", V1Breakdown, "site_id=a.fr&property=event:page&limit=1001",
			"Please provide limit as a number between 1 and 1000."},
		{"unknown interval", V1Timeseries, "site_id=a.fr&interval=biweekly",
			"Error parsing `interval` parameter: invalid interval `biweekly`. Valid intervals are `day`, `month`"},
		{"unknown metric", V1Breakdown, "site_id=a.fr&property=event:page&metrics=visitors,baa",
			"The metric `baa` is not recognized. Find valid metrics from the documentation: https://plausible.io/docs/stats-api#metrics"},
		{"a metric twice", V1Aggregate, "site_id=a.fr&metrics=visitors,visitors",
			"Metrics cannot be queried multiple times."},
		{"bounce rate by event name", V1Breakdown, "site_id=a.fr&property=event:name&metrics=visitors,bounce_rate",
			"Session metric `bounce_rate` cannot be queried for breakdown by `event:name`."},
		{"bounce rate by property", V1Breakdown, "site_id=a.fr&property=event:props:url&metrics=visitors,bounce_rate",
			"Session metric `bounce_rate` cannot be queried for breakdown by `event:props:url`."},
		{"bounce rate under an event name filter", V1Breakdown, "site_id=a.fr&property=event:page&filters=event:name%3D%3DSignup&metrics=visitors,bounce_rate",
			"Session metric `bounce_rate` cannot be queried when using a filter on `event:name`."},
		{"duration under a property filter", V1Aggregate, "site_id=a.fr&filters=event:props:url%3D%3Dgoogle.com&metrics=visit_duration",
			"Session metric `visit_duration` cannot be queried when using a filter on `event:props:url`."},
		{"conversion rate without a goal", V1Breakdown, "site_id=a.fr&property=event:page&metrics=conversion_rate",
			"Metric `conversion_rate` can only be queried in a goal breakdown or with a goal filter"},
		{"time on page by source", V1Breakdown, "site_id=a.fr&property=visit:source&filters=event:page%3D%3D/A&metrics=time_on_page",
			"Metric `time_on_page` is not supported in breakdown queries (except `event:page` breakdown)"},
		{"time on page alone", V1Aggregate, "site_id=a.fr&metrics=time_on_page",
			"Metric `time_on_page` can only be queried in a page breakdown or with a page filter."},
		{"time on page under a goal filter", V1Aggregate, "site_id=a.fr&filters=event:goal%3D%3DSignup&metrics=time_on_page",
			"Metric `time_on_page` cannot be queried when filtering by `event:goal`"},
		{"views per visit under a page filter", V1Aggregate, "site_id=a.fr&filters=event:page%3D%3D/&metrics=views_per_visit",
			"Metric `views_per_visit` cannot be queried with a filter on `event:page`."},
		{"views per visit by source", V1Breakdown, "site_id=a.fr&property=visit:source&metrics=views_per_visit",
			"Metric `views_per_visit` is not supported in breakdown queries."},
		{"unknown filter property", V1Aggregate, "site_id=a.fr&filters=visit:planet%3D%3DMars",
			"Invalid filter property 'visit:planet'. Please provide a valid filter property: https://plausible.io/docs/stats-api#properties"},
	}
	for _, c := range cases {
		params, err := ParseV1Params(c.query)
		if err == nil {
			_, err = ParseV1(c.endpoint, params)
		}
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("%s: got %v, want a QueryError", c.name, err)
			continue
		}
		if qe.Message != c.want {
			t.Errorf("%s:\n\tgot  %s\n\twant %s", c.name, qe.Message, c.want)
		}
	}
}

// TestPlausibleV1UnconfiguredGoal: v1 names a goal the site lacks as
// Plausible's v1 does, a page goal by its path.
func TestPlausibleV1UnconfiguredGoal(t *testing.T) {
	for _, c := range []struct{ filter, want string }{
		{"event:goal%3D%3DLunch", "The goal `Lunch` is not configured for this site. Find out how to configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals"},
		{"event:goal%3D%3DVisit%20/nope", "The pageview goal for the pathname `/nope` is not configured for this site. Find out how to configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals"},
	} {
		params, err := ParseV1Params("site_id=example.fr&filters=" + c.filter)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ParseV1(V1Aggregate, params)
		if err != nil {
			t.Fatal(err)
		}
		// The check comes before any statement: no store is needed.
		_, err = (&Engine{}).RunV1(context.Background(), scenarioSite, scenarioGoals, v)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Message != c.want {
			t.Errorf("%s: got %v\n\twant %s", c.filter, err, c.want)
		}
	}
}
