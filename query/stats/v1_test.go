package stats

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// The Stats API v1, from the examples of Plausible's v1 documentation,
// on the scenario of scenario_test.go (2026-06-10, Paris).

func TestParseV1Filters(t *testing.T) {
	leaf := func(op, dim string, values ...string) Filter { return Filter{Op: op, Dimension: dim, Values: values} }
	tests := []struct {
		expr string
		want []Filter
	}{
		{"visit:browser==Firefox", []Filter{leaf("is", "visit:browser", "Firefox")}},
		{"visit:browser==Firefox;event:page==/blog/**", []Filter{leaf("is", "visit:browser", "Firefox"), leaf("matches", "event:page", `^/blog/.*$`)}},
		{"visit:country!=FR", []Filter{leaf("is_not", "visit:country", "FR")}},
		{"visit:source==Github|Twitter", []Filter{leaf("is", "visit:source", "Github", "Twitter")}},
		{`visit:utm_campaign==campaign\|one`, []Filter{leaf("is", "visit:utm_campaign", "campaign|one")}},
		{`visit:utm_campaign==a\|b|c`, []Filter{leaf("is", "visit:utm_campaign", "a|b", "c")}},
		{"event:goal==Signup;visit:country==DE", []Filter{leaf("is", "event:goal", "Signup"), leaf("is", "visit:country", "DE")}},
		{"event:page==/blog/*", []Filter{leaf("matches", "event:page", `^/blog/.*$`)}},
		{"event:page==/blog*", []Filter{leaf("matches", "event:page", `^/blog.*$`)}},
		{"event:hostname==*.example.com", []Filter{leaf("matches", "event:hostname", `^.*\.example\.com$`)}},
		{"event:page==/blog/**|/docs/*", []Filter{leaf("matches", "event:page", `^/blog/.*$`, `^/docs/.*$`)}},
		{"event:page==/(a)+?|/b", []Filter{leaf("is", "event:page", "/(a)+?", "/b")}},
		{"event:page==/(a)*", []Filter{leaf("matches", "event:page", `^/\(a\).*$`)}},
		{"event:page!=/admin/**", []Filter{leaf("matches_not", "event:page", `^/admin/.*$`)}},
		{"event:goal==Visit /register", []Filter{leaf("is", "event:goal", "Visit /register")}},
		// A page goal's name holds its pattern: matched by name, not as a wildcard.
		{"event:goal==Signup|Visit /blog/**", []Filter{leaf("is", "event:goal", "Signup", "Visit /blog/**")}},
		{"event:goal==Outbound Link: Click", []Filter{leaf("is", "event:goal", "Outbound Link: Click")}},
		{"event:goal~Sign", []Filter{leaf("contains", "event:goal", "Sign")}},
		{"event:props:method==HTTP", []Filter{leaf("is", "event:props:method", "HTTP")}},
		{"event:props:method==(none)", []Filter{leaf("is", "event:props:method", "(none)")}},
		{"event:page~blog", []Filter{leaf("contains", "event:page", "blog")}},
		{"event:page~blog|docs", []Filter{leaf("contains", "event:page", "blog", "docs")}},
		{"event:page!~/admin", []Filter{leaf("contains_not", "event:page", "/admin")}},
		{"event:page~a*b", []Filter{leaf("contains", "event:page", "a*b")}},
		// The first operator separates: the rest belongs to the value.
		{"event:page==/a==b", []Filter{leaf("is", "event:page", "/a==b")}},
		{"event:page==/~user", []Filter{leaf("is", "event:page", "/~user")}},
		{"visit:city==2988507", []Filter{leaf("is", "visit:city", "2988507")}},
		{"  visit:browser == Firefox ; ", []Filter{leaf("is", "visit:browser", "Firefox")}},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := ParseV1Filters(tt.expr)
		if err != nil {
			t.Errorf("%q: %v", tt.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.expr, got, tt.want)
		}
	}
}

func TestParseV1FiltersErrors(t *testing.T) {
	for _, expr := range []string{
		"visit:browser",            // no operator
		"==Firefox",                // no property
		"visit:nope==x",            // unknown property
		"time:day==2026-06-10",     // not a filter property
		"visit:country==FRA",       // not an alpha-2 code
		"visit:country==FR|France", // one of them
		"visit:source==A||B",       // an empty alternative
		"visit:browser==",          // an empty value
		"event:props:==x",          // no property name
		"event:goal!=Signup",       // goals are not negated
		"event:goal!~Sign",
		"visit:browser==Firefox;visit:os",
		strings.Repeat("visit:os==Linux;", 101),
		"visit:os==" + strings.Repeat("x", maxV1Filter),
	} {
		_, err := ParseV1Filters(expr)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Field != "filters" {
			t.Errorf("%.60q: %v, want a QueryError on filters", expr, err)
		}
	}
}

func FuzzParseV1Filters(f *testing.F) {
	for _, s := range []string{
		"visit:browser==Firefox;event:page==/blog/**", "visit:country!=FR", `visit:source==Github|Twitter\|x`,
		"event:goal==Visit /register", "event:page~blog;event:page!~/a*", "event:props:plan==(none)", "visit:city==1",
		"event:page==**|*|", ";;", "~~==!=!~",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		fs, err := ParseV1Filters(expr)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Field != "filters" {
				t.Fatalf("%q: error %v is not a QueryError on filters", expr, err)
			}
			return
		}
		for _, f := range fs {
			if !strings.Contains(expr, f.Dimension) || len(f.Values) == 0 {
				t.Fatalf("%q: filter %+v", expr, f)
			}
			for _, v := range f.Values {
				if v == "" {
					t.Fatalf("%q: an empty value in %+v", expr, f)
				}
			}
		}
		// What parses is a v2 query's filters, or a QueryError from v2's
		// own rules (a city id that is no number…), never a panic.
		q := &Query{SiteID: "a.fr", Metrics: []string{MVisitors}, DateRange: DateRange{Period: "day"}, Filters: fs}
		if err := q.Validate(); err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("%q: validate: %v", expr, err)
			}
		}
	})
}

// FuzzParseV1 feeds whole query strings to every endpoint: an answer is a
// v2 query that validates, or a QueryError, never a panic.
func FuzzParseV1(f *testing.F) {
	for _, s := range []string{
		"site_id=a.fr&period=6mo&metrics=visitors,pageviews,bounce_rate,visit_duration",
		"site_id=a.fr&period=custom&date=2021-01-01,2021-01-31&interval=month&filters=event:goal==Signup&metrics=conversion_rate",
		"site_id=a.fr&property=event:props:method&filters=event:goal%3D%3DDownload;visit:country!=FR&limit=5&page=2",
		"site_id=a.fr&property=visit:browser_version&compare=previous_period&with_imported=true",
		"site_id=a.fr&period=day&date=2026-06-10&metrics=time_on_page&filters=event:page==/blog/**",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		vals, err := ParseV1Params(raw)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("%q: %v is not a QueryError", raw, err)
			}
			return
		}
		for _, endpoint := range []string{V1Aggregate, V1Timeseries, V1Breakdown} {
			v, err := ParseV1(endpoint, vals)
			if err != nil {
				var qe *QueryError
				if !errors.As(err, &qe) || qe.Field == "" {
					t.Fatalf("%s?%q: %v is not a QueryError naming a field", endpoint, raw, err)
				}
				continue
			}
			if err := v.Query.Validate(); err != nil {
				t.Fatalf("%s?%q: the translation does not validate again: %v", endpoint, raw, err)
			}
			if len(v.Query.Metrics) < len(v.Metrics) {
				t.Fatalf("%s?%q: %d v2 metrics for %d v1 metrics", endpoint, raw, len(v.Query.Metrics), len(v.Metrics))
			}
		}
	})
}

func parseV1(t *testing.T, endpoint, params string) *V1Query {
	t.Helper()
	vals, err := ParseV1Params(params)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseV1(endpoint, vals)
	if err != nil {
		t.Fatalf("%s?%s: %v", endpoint, params, err)
	}
	return v
}

// TestParseV1 checks what each parameter becomes in the v2 query.
func TestParseV1(t *testing.T) {
	tests := []struct {
		endpoint, params string
		check            func(v *V1Query) bool
	}{
		{V1Aggregate, "site_id=a.fr", func(v *V1Query) bool {
			return v.Query.DateRange.Period == "30d" && reflect.DeepEqual(v.Query.Metrics, []string{"visitors"}) && v.Query.Date == ""
		}},
		{V1Aggregate, "site_id=a.fr&period=6mo&metrics=visitors,pageviews,bounce_rate,visit_duration", func(v *V1Query) bool {
			return v.Query.DateRange.Period == "6mo" && reflect.DeepEqual(v.Metrics, []string{"visitors", "pageviews", "bounce_rate", "visit_duration"})
		}},
		{V1Aggregate, "site_id=a.fr&period=month&date=2026-02-10", func(v *V1Query) bool {
			return v.Query.DateRange.Period == "month" && v.Query.Date == "2026-02-10"
		}},
		{V1Aggregate, "site_id=a.fr&period=custom&date=2021-01-01,2021-01-31", func(v *V1Query) bool {
			return v.Query.DateRange == DateRange{From: "2021-01-01", To: "2021-01-31"}
		}},
		{V1Aggregate, "site_id=a.fr&period=12mo", func(v *V1Query) bool { return v.Query.DateRange.Period == "12mo" }},
		{V1Aggregate, "site_id=a.fr&period=7d", func(v *V1Query) bool { return v.Query.DateRange.Period == "7d" }},
		{V1Aggregate, "site_id=a.fr&period=day", func(v *V1Query) bool { return v.Query.DateRange.Period == "day" }},
		{V1Aggregate, "site_id=a.fr&compare=previous_period", func(v *V1Query) bool {
			return v.Query.Include.Comparisons != nil && v.Query.Include.Comparisons.Mode == "previous_period"
		}},
		{V1Aggregate, "site_id=a.fr&with_imported=true", func(v *V1Query) bool { return v.Query.Include.Imports }},
		{V1Aggregate, "site_id=a.fr&filters=event:goal%3D%3DSignup&metrics=conversion_rate", func(v *V1Query) bool {
			return reflect.DeepEqual(v.Query.Metrics, []string{"conversion_rate"})
		}},
		{V1Timeseries, "site_id=a.fr&period=6mo", func(v *V1Query) bool {
			return reflect.DeepEqual(v.Query.Dimensions, []string{"time:month"}) && v.Query.Include.TimeLabels
		}},
		{V1Timeseries, "site_id=a.fr&period=12mo", func(v *V1Query) bool { return v.Query.Dimensions[0] == "time:month" }},
		{V1Timeseries, "site_id=a.fr&period=day", func(v *V1Query) bool { return v.Query.Dimensions[0] == "time:hour" }},
		{V1Timeseries, "site_id=a.fr&period=7d", func(v *V1Query) bool { return v.Query.Dimensions[0] == "time:day" }},
		{V1Timeseries, "site_id=a.fr&period=month", func(v *V1Query) bool { return v.Query.Dimensions[0] == "time:day" }},
		{V1Timeseries, "site_id=a.fr&period=6mo&interval=date", func(v *V1Query) bool { return v.Query.Dimensions[0] == "time:day" }},
		{V1Timeseries, "site_id=a.fr&period=30d&interval=month", func(v *V1Query) bool { return v.Query.Dimensions[0] == "time:month" }},
		{V1Timeseries, "site_id=a.fr&period=day&interval=day", func(v *V1Query) bool { return v.Query.Dimensions[0] == "time:day" }},
		{V1Timeseries, "site_id=a.fr&period=custom&date=2021-01-01,2021-01-31", func(v *V1Query) bool { return v.Query.Dimensions[0] == "time:day" }},
		{V1Timeseries, "site_id=a.fr&period=custom&date=2021-01-15,2021-02-15", func(v *V1Query) bool { return v.Query.Dimensions[0] == "time:month" }},
		{V1Timeseries, "site_id=a.fr&period=custom&date=2021-01-15,2021-01-15", func(v *V1Query) bool { return v.Query.Dimensions[0] == "time:hour" }},
		{V1Timeseries, "site_id=a.fr&filters=event:goal%3D%3DSignup&metrics=visitors,conversion_rate", func(v *V1Query) bool {
			return reflect.DeepEqual(v.Query.Metrics, []string{"visitors", "group_conversion_rate"}) && reflect.DeepEqual(v.Metrics, []string{"visitors", "conversion_rate"})
		}},
		{V1Breakdown, "site_id=a.fr&property=visit:source&metrics=visitors,bounce_rate&limit=5", func(v *V1Query) bool {
			return reflect.DeepEqual(v.Query.Dimensions, []string{"visit:source"}) && v.Query.Pagination == Pagination{Limit: 5} &&
				reflect.DeepEqual(v.Query.OrderBy, []OrderBy{{"visitors", "desc"}, {"visit:source", "asc"}})
		}},
		{V1Breakdown, "site_id=a.fr&property=event:page", func(v *V1Query) bool {
			return v.Query.Pagination == Pagination{Limit: 100} && reflect.DeepEqual(v.Query.Metrics, []string{"visitors"})
		}},
		{V1Breakdown, "site_id=a.fr&property=event:page&limit=10&page=3&metrics=pageviews,visitors", func(v *V1Query) bool {
			return v.Query.Pagination == Pagination{Limit: 10, Offset: 20} && v.Query.OrderBy[0] == OrderBy{"pageviews", "desc"}
		}},
		{V1Breakdown, "site_id=a.fr&property=event:page&metrics=time_on_page", func(v *V1Query) bool {
			return reflect.DeepEqual(v.Query.Metrics, []string{"time_on_page", "visitors"}) && v.Query.OrderBy[0] == OrderBy{"visitors", "desc"}
		}},
		{V1Breakdown, "site_id=a.fr&property=event:goal&metrics=visitors,conversion_rate", func(v *V1Query) bool {
			return reflect.DeepEqual(v.Query.Metrics, []string{"visitors", "conversion_rate"}) && len(v.Query.OrderBy) == 1
		}},
		{V1Breakdown, "site_id=a.fr&property=visit:source&metrics=conversion_rate&filters=event:goal%3D%3DSignup", func(v *V1Query) bool {
			return reflect.DeepEqual(v.Query.Metrics, []string{"group_conversion_rate"})
		}},
		{V1Breakdown, "site_id=a.fr&property=event:props:method&filters=event:goal%3D%3DDownload", func(v *V1Query) bool {
			return reflect.DeepEqual(v.Query.Dimensions, []string{"event:props:method"})
		}},
		{V1Breakdown, "site_id=a.fr&property=visit:browser_version", func(v *V1Query) bool {
			return reflect.DeepEqual(v.Query.Dimensions, []string{"visit:browser", "visit:browser_version"})
		}},
		{V1Breakdown, "site_id=a.fr&property=visit:country", func(v *V1Query) bool {
			return reflect.DeepEqual(v.Query.Filters, []Filter{{Op: "is_not", Dimension: "visit:country", Values: []string{notSet}}})
		}},
	}
	for _, tt := range tests {
		if v := parseV1(t, tt.endpoint, tt.params); !tt.check(v) {
			b, _ := json.Marshal(v.Query)
			t.Errorf("%s?%s: %s (metrics %v)", tt.endpoint, tt.params, b, v.Metrics)
		}
	}
}

// TestParseV1Errors: each error of v1 is a 400 naming its parameter.
func TestParseV1Errors(t *testing.T) {
	tests := []struct{ endpoint, params, field string }{
		{V1Aggregate, "period=day", "site_id"},
		{V1Aggregate, "site_id=a.fr&period=year", "period"},
		{V1Aggregate, "site_id=a.fr&period=28d", "period"},
		{V1Aggregate, "site_id=a.fr&period=custom", "date"},
		{V1Aggregate, "site_id=a.fr&period=custom&date=2021-01-01", "date"},
		{V1Aggregate, "site_id=a.fr&period=custom&date=2021-01-01,nope", "date"},
		{V1Aggregate, "site_id=a.fr&period=custom&date=2021-02-01,2021-01-01", "date_range"},
		{V1Aggregate, "site_id=a.fr&period=day&date=2021-13-01", "date"},
		{V1Aggregate, "site_id=a.fr&period=day&date=2021-01-01,2021-01-02", "date"},
		{V1Aggregate, "site_id=a.fr&metrics=nope", "metrics"},
		{V1Aggregate, "site_id=a.fr&metrics=visitors,visitors", "metrics"},
		{V1Aggregate, "site_id=a.fr&metrics=scroll_depth", "metrics"},
		{V1Aggregate, "site_id=a.fr&metrics=", "metrics"},
		{V1Aggregate, "site_id=a.fr&metrics=conversion_rate", "metrics"},
		{V1Aggregate, "site_id=a.fr&metrics=time_on_page", "metrics"},
		{V1Aggregate, "site_id=a.fr&metrics=time_on_page&filters=event:page%3D%3D/;event:goal%3D%3DSignup", "metrics"},
		{V1Aggregate, "site_id=a.fr&metrics=views_per_visit&filters=event:page%3D%3D/", "metrics"},
		{V1Aggregate, "site_id=a.fr&metrics=bounce_rate&filters=event:goal%3D%3DSignup", "metrics"},
		{V1Aggregate, "site_id=a.fr&metrics=visits&filters=event:name%3D%3DSignup", "metrics"},
		{V1Aggregate, "site_id=a.fr&metrics=visit_duration&filters=event:props:plan%3D%3Dpro", "metrics"},
		{V1Aggregate, "site_id=a.fr&filters=visit:nope%3D%3Dx", "filters"},
		{V1Aggregate, "site_id=a.fr&filters=visit:browser", "filters"},
		{V1Aggregate, "site_id=a.fr&filters=visit:city%3D%3DParis", "filters[0]"},
		{V1Aggregate, "site_id=a.fr&filters=event:page%3D%3D/a;visit:city%3D%3DParis", "filters[1]"},
		{V1Aggregate, "site_id=a.fr&compare=last_week", "compare"},
		{V1Timeseries, "site_id=a.fr&interval=week", "interval"},
		{V1Timeseries, "site_id=a.fr&interval=hour", "interval"},
		{V1Breakdown, "site_id=a.fr", "property"},
		{V1Breakdown, "site_id=a.fr&property=", "property"},
		{V1Breakdown, "site_id=a.fr&property=visit:nope", "property"},
		{V1Breakdown, "site_id=a.fr&property=time:day", "property"},
		{V1Breakdown, "site_id=a.fr&property=event:page&limit=0", "limit"},
		{V1Breakdown, "site_id=a.fr&property=event:page&limit=1001", "limit"},
		{V1Breakdown, "site_id=a.fr&property=event:page&limit=ten", "limit"},
		{V1Breakdown, "site_id=a.fr&property=event:page&page=0", "page"},
		{V1Breakdown, "site_id=a.fr&property=event:page&page=-1", "page"},
		{V1Breakdown, "site_id=a.fr&property=event:page&metrics=views_per_visit", "metrics"},
		{V1Breakdown, "site_id=a.fr&property=visit:source&metrics=time_on_page", "metrics"},
		{V1Breakdown, "site_id=a.fr&property=event:goal&metrics=bounce_rate", "metrics"},
		{V1Breakdown, "site_id=a.fr&property=event:props:plan&metrics=visit_duration", "metrics"},
		{V1Breakdown, "site_id=a.fr&property=visit:source&metrics=conversion_rate", "metrics"},
		{"realtime", "site_id=a.fr", "endpoint"},
	}
	for _, tt := range tests {
		vals, _ := ParseV1Params(tt.params)
		_, err := ParseV1(tt.endpoint, vals)
		var qe *QueryError
		if !errors.As(err, &qe) || !strings.HasPrefix(qe.Field, tt.field) {
			t.Errorf("%s?%s: %v, want a QueryError on %s", tt.endpoint, tt.params, err, tt.field)
		}
	}
	for _, raw := range []string{"site_id=a.fr&filters=%zz", "site_id=a.fr&%zz=1"} {
		_, err := ParseV1Params(raw)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Field != "query" {
			t.Errorf("%s: %v, want a QueryError on query", raw, err)
		}
	}
}

// runV1 answers a v1 request on the scenario and returns its JSON.
func runV1(t *testing.T, e *Engine, endpoint, params string) string {
	t.Helper()
	v := parseV1(t, endpoint, "site_id=example.fr&"+params)
	resp, err := e.RunV1(context.Background(), scenarioSite, scenarioGoals, v)
	if err != nil {
		t.Fatalf("%s?%s: %v", endpoint, params, err)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestV1Scenario(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0).AddDate(0, 0, 2))
	const day = "period=day&date=2026-06-10"
	tests := []struct {
		name, endpoint, params, want string
	}{
		{"aggregate", V1Aggregate, day + "&metrics=visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events",
			`{"results":{"bounce_rate":{"value":29},"events":{"value":14},"pageviews":{"value":9},"views_per_visit":{"value":1.43},"visit_duration":{"value":240},"visitors":{"value":6},"visits":{"value":7}}}`},
		{"aggregate defaults to visitors", V1Aggregate, day, `{"results":{"visitors":{"value":6}}}`},
		{"aggregate compared with the day before, which has none", V1Aggregate, day + "&metrics=visitors,bounce_rate&compare=previous_period",
			`{"results":{"bounce_rate":{"change":null,"comparison_value":0,"value":29},"visitors":{"change":100,"comparison_value":0,"value":6}}}`},
		{"aggregate of the next day compared with this one", V1Aggregate, "period=day&date=2026-06-11&metrics=visitors,pageviews&compare=previous_period",
			`{"results":{"pageviews":{"change":-89,"comparison_value":9,"value":1},"visitors":{"change":-83,"comparison_value":6,"value":1}}}`},
		{"filter on a browser", V1Aggregate, day + "&filters=visit:browser%3D%3DFirefox&metrics=visitors,visits",
			`{"results":{"visitors":{"value":1},"visits":{"value":2}}}`},
		{"wildcard page", V1Aggregate, day + "&filters=event:page%3D%3D/blog/**", `{"results":{"visitors":{"value":2}}}`},
		{"browser and wildcard page", V1Aggregate, day + "&filters=visit:browser%3D%3DFirefox;event:page%3D%3D/blog/**", `{"results":{"visitors":{"value":0}}}`},
		{"not a country", V1Aggregate, day + "&filters=visit:country!%3DFR", `{"results":{"visitors":{"value":3}}}`},
		{"alternatives", V1Aggregate, day + "&filters=visit:source%3D%3DBing|Facebook", `{"results":{"visitors":{"value":2}}}`},
		{"contains", V1Aggregate, day + "&filters=event:page~blog", `{"results":{"visitors":{"value":2}}}`},
		{"single-star wildcard", V1Aggregate, day + "&filters=event:page%3D%3D/doc*", `{"results":{"visitors":{"value":1}}}`},
		{"a city", V1Aggregate, day + "&filters=visit:city%3D%3D2988507", `{"results":{"visitors":{"value":2}}}`},
		{"a custom property", V1Aggregate, day + "&filters=event:props:plan%3D%3Dpro", `{"results":{"visitors":{"value":1}}}`},
		{"a goal with its conversion rate", V1Aggregate, day + "&filters=event:goal%3D%3DSignup&metrics=visitors,events,conversion_rate",
			`{"results":{"conversion_rate":{"value":33.33},"events":{"value":2},"visitors":{"value":2}}}`},
		{"goals by name, a page goal among them", V1Aggregate, day + "&filters=event:goal%3D%3DSignup|Visit+/blog/**", `{"results":{"visitors":{"value":4}}}`},
		{"time on page with a page filter", V1Aggregate, day + "&filters=event:page%3D%3D/blog/hello&metrics=time_on_page", `{"results":{"time_on_page":{"value":90}}}`},

		{"hourly series of a day", V1Timeseries, day + "&metrics=visitors,pageviews", hourly(map[int]string{
			9: `"pageviews":2,"visitors":1`, 10: `"pageviews":1,"visitors":1`, 11: `"pageviews":1,"visitors":1`, 12: `"pageviews":1,"visitors":1`,
			14: `"pageviews":2,"visitors":1`, 15: `"pageviews":1,"visitors":1`, 23: `"pageviews":1,"visitors":1`})},
		{"daily series of a custom range, empty days included", V1Timeseries, "period=custom&date=2026-06-09,2026-06-11",
			`{"results":[{"date":"2026-06-09","visitors":0},{"date":"2026-06-10","visitors":6},{"date":"2026-06-11","visitors":1}]}`},
		{"monthly series", V1Timeseries, "period=custom&date=2026-05-01,2026-06-30&metrics=visitors,bounce_rate",
			`{"results":[{"bounce_rate":0,"date":"2026-05-01","visitors":0},{"bounce_rate":29,"date":"2026-06-01","visitors":6}]}`},
		{"conversion rate per day", V1Timeseries, "period=custom&date=2026-06-10,2026-06-11&interval=date&filters=event:goal%3D%3DSignup&metrics=visitors,conversion_rate",
			`{"results":[{"conversion_rate":33.33,"date":"2026-06-10","visitors":2},{"conversion_rate":0,"date":"2026-06-11","visitors":0}]}`},

		{"top sources", V1Breakdown, day + "&property=visit:source&metrics=visitors,bounce_rate&limit=5",
			`{"results":[{"bounce_rate":0,"source":"Google","visitors":3},{"bounce_rate":0,"source":"Bing","visitors":1},{"bounce_rate":100,"source":"Direct / None","visitors":1},{"bounce_rate":100,"source":"Facebook","visitors":1}]}`},
		{"top pages, second page of two", V1Breakdown, day + "&property=event:page&limit=2&page=2",
			`{"results":[{"page":"/checkout","visitors":2},{"page":"/docs/api","visitors":1}]}`},
		{"pages by pageviews", V1Breakdown, day + "&property=event:page&metrics=pageviews&limit=1", `{"results":[{"page":"/","pageviews":2}]}`},
		{"time on page per page", V1Breakdown, day + "&property=event:page&metrics=time_on_page&limit=2",
			`{"results":[{"page":"/","time_on_page":null},{"page":"/blog/hello","time_on_page":90}]}`},
		{"custom property of a goal", V1Breakdown, day + "&property=event:props:plan&filters=event:goal%3D%3DSignup",
			`{"results":[{"plan":"free","visitors":1},{"plan":"pro","visitors":1}]}`},
		{"entry pages", V1Breakdown, day + "&property=visit:entry_page&metrics=visitors,bounce_rate",
			`{"results":[{"bounce_rate":0,"entry_page":"/","visitors":2},{"bounce_rate":100,"entry_page":"/blog/hello","visitors":2},{"bounce_rate":0,"entry_page":"/checkout","visitors":1},{"bounce_rate":0,"entry_page":"/docs/api","visitors":1},{"bounce_rate":0,"entry_page":"/pricing","visitors":1}]}`},
		{"event names", V1Breakdown, day + "&property=event:name&metrics=visitors,events&limit=2",
			`{"results":[{"events":9,"name":"pageview","visitors":6},{"events":2,"name":"Purchase","visitors":2}]}`},
		{"countries", V1Breakdown, day + "&property=visit:country",
			`{"results":[{"country":"FR","visitors":3},{"country":"BE","visitors":1},{"country":"DE","visitors":1},{"country":"US","visitors":1}]}`},
		{"cities are GeoNames ids", V1Breakdown, day + "&property=visit:city&limit=1", `{"results":[{"city":2988507,"visitors":2}]}`},
		{"browser versions name their browser", V1Breakdown, day + "&property=visit:browser_version&filters=visit:browser%3D%3DFirefox",
			`{"results":[{"browser":"Firefox","browser_version":"(not set)","visitors":1}]}`},
		{"UTM sources leave out visits without one", V1Breakdown, day + "&property=visit:utm_source",
			`{"results":[{"utm_source":"facebook","visitors":1},{"utm_source":"google","visitors":1}]}`},
		{"conversion rate per source", V1Breakdown, day + "&property=visit:source&filters=event:goal%3D%3DPurchase&metrics=visitors,conversion_rate",
			`{"results":[{"conversion_rate":66.67,"source":"Google","visitors":2}]}`},
		{"sources compared with the day before", V1Breakdown, day + "&property=visit:source&limit=1&compare=previous_period",
			`{"results":[{"comparison":{"change":{"visitors":100},"visitors":0},"source":"Google","visitors":3}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runV1(t, e, tt.endpoint, tt.params); got != tt.want {
				t.Errorf("%s?%s\n got %s\nwant %s", tt.endpoint, tt.params, got, tt.want)
			}
		})
	}
	// Goals: ties in visitors come in any order.
	got := runV1(t, e, V1Breakdown, day+"&property=event:goal&metrics=visitors,events,conversion_rate")
	for _, row := range []string{
		`{"conversion_rate":33.33,"events":2,"goal":"Signup","visitors":2}`,
		`{"conversion_rate":33.33,"events":2,"goal":"Purchase","visitors":2}`,
		`{"conversion_rate":33.33,"events":2,"goal":"Visit /blog/**","visitors":2}`,
		`{"conversion_rate":16.67,"events":1,"goal":"Visit /docs/*","visitors":1}`,
	} {
		if !strings.Contains(got, row) {
			t.Errorf("goals: %s lacks %s", got, row)
		}
	}
	if !strings.HasSuffix(got, `"visitors":1}]}`) {
		t.Errorf("goals: not by visitors: %s", got)
	}
}

// A daily series with more days of data than a v2 page holds (10 000
// rows) shows the last days with their numbers, not as empty days.
func TestV1LongSeries(t *testing.T) {
	first := time.Date(1999, 1, 1, 12, 0, 0, 0, paris)
	const days = MaxLimit + 5
	var events []sillage.Event
	for d := range days {
		events = append(events, newVisit(1, uint64(d+1), uint64(d+1), first.AddDate(0, 0, d), nil).pv(0, "/").events...)
	}
	last := first.AddDate(0, 0, days-1)
	// The events table is partitioned by month: at most 100 a statement.
	st := storetest.Migrated(t)
	for i := 0; i < len(events); i += 2000 {
		if err := st.InsertEvents(context.Background(), "", events[i:min(i+2000, len(events))]); err != nil {
			t.Fatal(err)
		}
	}
	e := &Engine{Store: st, Now: func() time.Time { return last.AddDate(0, 0, 1) }}
	got := runV1(t, e, V1Timeseries, "period=custom&date=1999-01-01,"+last.Format(dateLayout)+"&interval=date")
	var resp struct{ Results []map[string]any }
	if err := json.Unmarshal([]byte(got), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != days {
		t.Fatalf("%d rows, want %d", len(resp.Results), days)
	}
	for _, r := range resp.Results {
		if r["visitors"] != float64(1) {
			t.Fatalf("row %v, want 1 visitor every day", r)
		}
	}
}

// hourly is the v1 series of 2026-06-10 by hour: the given hours' metrics,
// zeros elsewhere.
func hourly(hours map[int]string) string {
	var rows []string
	for h := range 24 {
		m, ok := hours[h]
		if !ok {
			m = `"pageviews":0,"visitors":0`
		}
		rows = append(rows, `{"date":"2026-06-10 `+twoDigits(h)+`:00:00",`+m+`}`)
	}
	return `{"results":[` + strings.Join(rows, ",") + `]}`
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// TestV1MatchesV2 asks the same questions in v1 and in v2: the numbers must
// be the same, since v1 is only a translation.
func TestV1MatchesV2(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0).AddDate(0, 0, 2))
	ctx := context.Background()
	v2 := func(body string) *Response {
		t.Helper()
		q, err := ParseQuery([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		resp, err := e.Run(ctx, scenarioSite, scenarioGoals, q)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return resp
	}
	v1 := func(endpoint, params string) *V1Response {
		t.Helper()
		resp, err := e.RunV1(ctx, scenarioSite, scenarioGoals, parseV1(t, endpoint, "site_id=example.fr&"+params))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	metrics := []string{"visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration", "events"}
	for _, c := range []struct{ v1, v2 string }{
		{"period=day&date=2026-06-10", `[]`},
		{"period=day&date=2026-06-10&filters=visit:country%3D%3DFR", `[["is","visit:country",["FR"]]]`},
		{"period=7d&date=2026-06-12&filters=visit:source!%3DGoogle;visit:device%3D%3DMobile|Desktop", `[["is_not","visit:source",["Google"]],["is","visit:device",["Mobile","Desktop"]]]`},
		{"period=custom&date=2026-06-10,2026-06-11&filters=event:page%3D%3D/docs**", `[["matches","event:page",["^/docs.*$"]]]`},
		{"period=month&date=2026-06-10&filters=event:hostname~example", `[["contains","event:hostname",["example"]]]`},
	} {
		metrics := metrics
		if strings.Contains(c.v1, "event:page") {
			metrics = slices.DeleteFunc(slices.Clone(metrics), func(m string) bool { return m == "views_per_visit" })
		}
		got := v1(V1Aggregate, c.v1+"&metrics="+strings.Join(metrics, ","))
		want := v2(`{"site_id":"example.fr","metrics":` + jsonOf(metrics) + `,"date_range":` + v2Range(c.v1) + `,"filters":` + c.v2 + `}`)
		agg := got.Results.(map[string]map[string]any)
		for i, m := range metrics {
			if jsonOf(agg[m]["value"]) != jsonOf(want.Results[0].Metrics[i]) {
				t.Errorf("%s: %s = %v in v1, %v in v2", c.v1, m, agg[m]["value"], want.Results[0].Metrics[i])
			}
		}
		// Daily series.
		ts := v1(V1Timeseries, c.v1+"&interval=date&metrics=visitors,pageviews").Results.([]map[string]any)
		wantTS := v2(`{"site_id":"example.fr","metrics":["visitors","pageviews"],"date_range":` + v2Range(c.v1) + `,"filters":` + c.v2 +
			`,"dimensions":["time:day"]}`)
		byDate := map[string][]any{}
		for _, r := range wantTS.Results {
			byDate[r.Dimensions[0].(string)] = r.Metrics
		}
		for _, row := range ts {
			w, ok := byDate[row["date"].(string)]
			if !ok {
				w = []any{uint64(0), uint64(0)}
			}
			if jsonOf([]any{row["visitors"], row["pageviews"]}) != jsonOf(w) {
				t.Errorf("%s: %s: v1 %v, v2 %v", c.v1, row["date"], row, w)
			}
		}
		// Breakdowns by page and by source.
		for _, prop := range []string{"event:page", "visit:source"} {
			bd := v1(V1Breakdown, c.v1+"&property="+prop+"&metrics=visitors,pageviews,bounce_rate").Results.([]map[string]any)
			wantBD := v2(`{"site_id":"example.fr","metrics":["visitors","pageviews","bounce_rate"],"date_range":` + v2Range(c.v1) +
				`,"filters":` + c.v2 + `,"dimensions":["` + prop + `"],"order_by":[["visitors","desc"],["` + prop + `","asc"]]}`)
			if len(bd) != len(wantBD.Results) {
				t.Fatalf("%s by %s: %d rows in v1, %d in v2", c.v1, prop, len(bd), len(wantBD.Results))
			}
			for i, r := range wantBD.Results {
				if jsonOf([]any{bd[i][v1Key(prop)], bd[i]["visitors"], bd[i]["pageviews"], bd[i]["bounce_rate"]}) != jsonOf(append(r.Dimensions, r.Metrics...)) {
					t.Errorf("%s by %s: row %d: v1 %v, v2 %v %v", c.v1, prop, i, bd[i], r.Dimensions, r.Metrics)
				}
			}
		}
	}
}

// v2Range is the v2 date_range (and date) of v1 parameters.
func v2Range(params string) string {
	vals, _ := ParseV1Params(params)
	p, d := vals.Get("period"), vals.Get("date")
	if p == "custom" {
		from, to, _ := strings.Cut(d, ",")
		return `["` + from + `","` + to + `"]`
	}
	// v1's periods end with their anchor day; v2's "Nd" leave it out.
	if n, unit := relativePeriod(p); unit == "d" {
		last, _ := parseDate(d)
		return `["` + last.AddDate(0, 0, 1-n).Format(dateLayout) + `","` + d + `"]`
	}
	return `"` + p + `","date":"` + d + `"`
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// BenchmarkParseV1 measures the translation of a v1 request: its query
// string parsed and turned into a validated v2 query, before any engine
// work.
func BenchmarkParseV1(b *testing.B) {
	raw := "site_id=example.fr&period=custom&date=2026-01-01,2026-01-31&property=event:page&metrics=visitors,pageviews,bounce_rate" +
		"&limit=50&page=2&filters=" + url.QueryEscape(`visit:browser==Firefox|Chrome;event:page==/blog/**;visit:country!=FR;visit:utm_campaign==spring\|summer`)
	b.ReportAllocs()
	for b.Loop() {
		vals, err := ParseV1Params(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseV1(V1Breakdown, vals); err != nil {
			b.Fatal(err)
		}
	}
}
