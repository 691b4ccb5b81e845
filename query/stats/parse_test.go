package stats

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestParseQueryErrors(t *testing.T) {
	long := strings.Repeat("a", 1001)
	cases := []struct {
		body, field, mention string
	}{
		{`{`, "body", "invalid JSON"},
		{`[]`, "body", "JSON object"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day"} {}`, "body", "after"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","colour":1}`, "colour", "does not allow additional properties"},
		{`{"metrics":["visitors"],"date_range":"day"}`, "site_id", "required"},
		{`{"site_id":"a.fr","date_range":"day"}`, "metrics", "Required property metrics"},
		{`{"site_id":"a.fr","metrics":[],"date_range":"day"}`, "metrics", "minimum of 1"},
		{`{"site_id":"a.fr","metrics":"visitors","date_range":"day"}`, "metrics", "Expected Array"},
		{`{"site_id":"a.fr","metrics":["visitors","bounces"],"date_range":"day"}`, "metrics[1]", `"bounces"`},
		{`{"site_id":"a.fr","metrics":["visitors","visitors"],"date_range":"day"}`, "metrics", "unique"},
		{`{"site_id":"a.fr","metrics":["visitors"]}`, "date_range", "Required property date_range"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"3days"}`, "date_range", `"3days"`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":["2026-01-01"]}`, "date_range", "2026-01-01"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":["2026-13-01","2026-12-31"]}`, "date_range", "2026-13-01"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":["2026-02-01","2026-01-31"]}`, "date_range", "before"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":["2026-02-01","2026-02-03T00:00:00Z"]}`, "date_range", "Invalid date range"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","date":"yesterday"}`, "date", `"yesterday"`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","date":"9999-12-31"}`, "date", `"9999-12-31"`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":["0001-01-01","2026-01-01"]}`, "date_range", "between"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":["2026-01-01T00:00:00Z","2200-01-01T00:00:00Z"]}`, "date_range", "between"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","dimensions":["visit:planet"]}`, "dimensions[0]", `Invalid dimension "visit:planet"`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","dimensions":["event:props:"]}`, "dimensions[0]", `"event:props:"`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","dimensions":["time:day","time:hour"]}`, "dimensions", "one time dimension"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":{}}`, "filters", "Expected Array but got Object"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["equals","event:page",["/"]]]}`, "filters[0]", `Invalid filter ["equals", "event:page", ["/"]]`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","event:colour",["/"]]]}`, "filters[0]", `"event:colour"`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","time:day",["2026-01-01"]]]}`, "filters[0]", `"time:day"`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","event:page","/"]]}`, "filters[0]", `Invalid filter ["is", "event:page", "/"]`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","event:page",[1]]]}`, "filters[0][2][0]", `Invalid filter '["is", "event:page", [1]]'.`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","event:page",[]]]}`, "filters[0]", "Invalid filter"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["matches","event:page",["(a"]]]}`, "filters[0][2][0]", "regular expression"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["matches","event:page",["` + long + `"]]]}`, "filters[0][2][0]", "longer than 1000"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","event:page",["/"],{"case":true}]]}`, "filters[0]", `%{"case" => true}`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","event:page",["/"],{"case_sensitive":"no"}]]}`, "filters[0]", "Invalid filter"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["or",[["is","event:goal",["Signup"]]]]]}`, "filters[0][1][0][1]", "top level"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["and",[]]]}`, "filters[0]", "Invalid filter"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["not"]]}`, "filters[0]", "Invalid filter"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","visit:country",["FRA"]]]}`, "filters[0][2][0]", "2-letter"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","visit:city",["Paris"]]]}`, "filters[0][2][0]", "GeoNames"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["has_done",["is","visit:source",["Google"]]]]}`, "filters[0][1]", "event dimension filters"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["not",["not",["not",["not",["not",["not",["not",["not",["is","event:page",["/"]]]]]]]]]]]}`, "filters[0][1][1][1][1][1][1][1][1]", "deeper"},
		{`{"site_id":"a.fr","metrics":["visits","bounce_rate"],"date_range":"day","dimensions":["event:goal"]}`, "metrics", "bounce_rate"},
		// has_done picks visitors; it is not the goal filter conversion_rate needs.
		{`{"site_id":"a.fr","metrics":["conversion_rate"],"date_range":"day","filters":[["has_done",["is","event:goal",["Signup"]]]]}`, "metrics", "conversion_rate"},
		{`{"site_id":"a.fr","metrics":["visit_duration"],"date_range":"day","dimensions":["event:props:plan"]}`, "metrics", "event:props:plan"},
		{`{"site_id":"a.fr","metrics":["conversion_rate"],"date_range":"day"}`, "metrics", "event:goal"},
		{`{"site_id":"a.fr","metrics":["views_per_visit"],"date_range":"day","filters":[["is","event:page",["/"]]]}`, "metrics", "views_per_visit"},
		{`{"site_id":"a.fr","metrics":["scroll_depth"],"date_range":"day","dimensions":["event:goal"]}`, "metrics", "scroll_depth"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","order_by":[["visits","desc"]]}`, "order_by[0]", `{:visits, :desc}`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","order_by":[["visitors","down"]]}`, "order_by[0]", `"down"`},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","order_by":["visitors"]}`, "order_by[0]", "visitors"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","include":{"time_labels":true}}`, "include.time_labels", "time dimension"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","include":{"totals":true}}`, "include.totals", "does not allow additional properties"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","include":{"comparisons":{"mode":"last_year"}}}`, "include.comparisons", "none of them"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","include":{"comparisons":{"mode":"custom"}}}`, "include.comparisons", "none of them"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","pagination":{"limit":100000}}`, "pagination.limit", "<= 10000"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","pagination":{"offset":-1}}`, "pagination.offset", ">= 0"},
		{`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","pagination":{"limit":"ten"}}`, "pagination.limit", "Expected Integer but got String"},
	}
	for _, c := range cases {
		_, err := ParseQuery([]byte(c.body))
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("%s: got %v, want a QueryError", c.body, err)
			continue
		}
		// A schema error starts with its field; a rule about the whole query
		// (Plausible's sentences) has no path but still names its field.
		if qe.Field != c.field || !strings.Contains(qe.Message, c.mention) {
			t.Errorf("%.90s:\n\tgot  %s (field %s)\n\twant field %s mentioning %s", c.body, qe.Message, qe.Field, c.field, c.mention)
		}
	}
}

func TestParseQueryAccepts(t *testing.T) {
	body := `{"site_id":"a.fr","metrics":["visitors","bounce_rate","percentage"],"date_range":["2026-01-01","2026-01-31"],
		"dimensions":["visit:source","time"],
		"filters":[["is","visit:city",[2988507]],["not",["contains","event:page",["/blog"],{"case_sensitive":false}]],
			["or",[["is","visit:country",["FR"]],["matches","visit:entry_page",["^/a"]]]],["has_not_done",["is","event:goal",["Signup"]]]],
		"order_by":[["visitors","desc"],["time","asc"]],
		"include":{"time_labels":true,"total_rows":true,"comparisons":{"mode":"year_over_year","match_day_of_week":true}},
		"pagination":{"limit":5,"offset":10}}`
	q, err := ParseQuery([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if q.Filters[0].Values[0] != "2988507" || !q.Filters[1].Filters[0].IgnoreCase || q.Pagination.Limit != 5 {
		t.Fatalf("parsed %+v", q)
	}
	out, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseQuery(out)
	if err != nil {
		t.Fatalf("re-parse %s: %v", out, err)
	}
	if !reflect.DeepEqual(q, again) {
		t.Fatalf("round trip changed the query:\n%+v\n%+v", q, again)
	}
	if q, err := ParseQuery([]byte(`{"site_id":"a.fr","metrics":["visitors"],"date_range":"7d"}`)); err != nil || q.Pagination.Limit != DefaultLimit {
		t.Fatalf("defaults: %+v %v", q, err)
	}
}

func TestUnknownGoal(t *testing.T) {
	e := loaded(t, nil, at(20, 0))
	q, err := ParseQuery([]byte(day(`"visitors"`, `,"filters":[["is","event:goal",["Signup","Lunch"]]]`)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Run(context.Background(), scenarioSite, scenarioGoals, q)
	var qe *QueryError
	want := "Invalid filters. The goal `Lunch` is not configured for this site. Find out how to configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals"
	if !errors.As(err, &qe) || qe.Field != "filters[0][2][1]" || qe.PathMessage() != want {
		t.Fatalf("got %v", err)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day"}`,
		`{"site_id":"a.fr","metrics":["visitors","bounce_rate"],"date_range":["2026-01-01","2026-01-31"],"dimensions":["time:day"],"include":{"time_labels":true}}`,
		`{"site_id":"a.fr","metrics":["visitors"],"date_range":"7d","filters":[["and",[["is","event:page",["/"]],["not",["matches","visit:source",["^G"]]]]]]}`,
		`{"site_id":"a.fr","metrics":["conversion_rate"],"date_range":"day","dimensions":["event:goal"],"order_by":[["conversion_rate","asc"]]}`,
		`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["has_done",["is","event:props:plan",["pro"],{"case_sensitive":false}]]]}`,
		`{"site_id":"a.fr","metrics":["visitors"],"date_range":["2026-01-01T00:00:00Z","2026-01-01T12:00:00+01:00"],"include":{"comparisons":{"mode":"custom","date_range":["2025-01-01","2025-01-02"]}}}`,
		`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","visit:city",[1e400]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := ParseQuery(body)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Field == "" {
				t.Fatalf("%q: error %v is not a QueryError naming a field", body, err)
			}
			return
		}
		out, err := json.Marshal(q)
		if err != nil {
			t.Fatalf("marshal %+v: %v", q, err)
		}
		if _, err := ParseQuery(out); err != nil {
			t.Fatalf("a valid query does not re-parse: %s: %v", out, err)
		}
	})
}

func mustCompile(t *testing.T, s string) *regexp.Regexp {
	t.Helper()
	re, err := regexp.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return re
}

// objectCases are request objects as services complete them; ParseQueryObject
// must answer each as ParseQuery answers it encoded.
var objectCases = []string{
	`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day"}`,
	`{"date_range":"7d","metrics":[ "visitors" , "pageviews" ],"site_id":"a.fr","dimensions":["time:day"]}`,
	`{"site_id":"a.fr","Metrics":["visitors"],"DATE_RANGE":"day"}`,
	`{"site_id":"a.fr","Metrics":["pageviews"],"metrics":["visitors"],"date_range":"day"}`,
	`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","zeta":1,"alpha":2}`,
	`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","":1}`,
	`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","a\"b":1}`,
	`{"site_id":"a.fr","metrics":["visitors"],"date_range":[1, 2]}`,
	`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","event:page", "<a&b>"]]}`,
	`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","event:page",["/"]], 7]}`,
	`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","filters":[["is","event:page","/` + "\u2028" + `"]]}`,
	`{"site_id":5,"metrics":["visitors"],"date_range":"day"}`,
	`{"site_id":null,"metrics":["visitors"],"date_range":"day"}`,
	`{"SITE_ID":"b.fr","site_id":"a.fr","metrics":["visitors"],"date_range":"day"}`,
	`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","include":{ "total_rows" : true, "nope": 1 }}`,
	`{"site_id":"a.fr","metrics":["visitors"],"date_range":"day","pagination":{"limit": 5, "offset": 10}}`,
	`{}`,
	`null`,
}

// parseEncoded is how a decoded object was read before ParseQueryObject:
// encoded again, then parsed.
func parseEncoded(m map[string]json.RawMessage) (*Query, error) {
	b, _ := json.Marshal(m)
	return ParseQuery(b)
}

func TestParseQueryObject(t *testing.T) {
	for _, body := range objectCases {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		want, wantErr := parseEncoded(m)
		got, err := ParseQueryObject(m)
		if !reflect.DeepEqual(err, wantErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v, %v\nwant %+v, %v", body, got, err, want, wantErr)
		}
	}
	big := map[string]json.RawMessage{"site_id": json.RawMessage(`"a.fr"`), "metrics": json.RawMessage(`["visitors"]`),
		"date_range": json.RawMessage(`"day"`), "filters": json.RawMessage(`[["is","event:page",["` + strings.Repeat("<", maxBodyBytes/6) + `"]]]`)}
	_, wantErr := parseEncoded(big)
	if _, err := ParseQueryObject(big); wantErr == nil || !reflect.DeepEqual(err, wantErr) {
		t.Errorf("an object past the bound once encoded: got %v, want %v", err, wantErr)
	}
}

func FuzzParseQueryObject(f *testing.F) {
	for _, s := range objectCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			return
		}
		want, wantErr := parseEncoded(m)
		got, err := ParseQueryObject(m)
		if !reflect.DeepEqual(err, wantErr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v, %v\nwant %+v, %v", body, got, err, want, wantErr)
		}
	})
}
