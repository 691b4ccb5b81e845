package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// TestGolden compares whole Stats API responses for representative queries
// with testdata/golden/*.json; `go test ./query/stats -run Golden -update`
// rewrites them after a deliberate change. The scenario is loaded twice:
// in one insert, and one event per insert with merges stopped, so every
// session is read from partial rows; both must answer the same.
func TestGolden(t *testing.T) {
	t.Run("one insert", func(t *testing.T) { testGolden(t, loaded(t, scenario(), at(20, 0))) })
	t.Run("partial sessions", func(t *testing.T) {
		if *update {
			t.Skip("the golden files are written from one insert")
		}
		testGolden(t, loadedPartial(t, scenario(), at(20, 0)))
	})
}

func testGolden(t *testing.T, e *Engine) {
	cases := []struct{ name, body string }{
		{"top_stats", `{"site_id":"example.fr","date_range":"day","date":"2026-06-11","metrics":["visitors","visits","pageviews","views_per_visit","bounce_rate","visit_duration","events"],"include":{"comparisons":{"mode":"previous_period"}}}`},
		{"timeseries_days", `{"site_id":"example.fr","date_range":"7d","date":"2026-06-12","metrics":["visitors","visits","pageviews","bounce_rate","visit_duration"],"dimensions":["time"],"include":{"time_labels":true}}`},
		{"timeseries_hours", `{"site_id":"example.fr","date_range":"day","date":"2026-06-10","metrics":["visitors","pageviews"],"dimensions":["time:hour"],"filters":[["is","visit:source",["Google"]]],"include":{"time_labels":true}}`},
		{"top_pages", `{"site_id":"example.fr","date_range":"day","date":"2026-06-10","metrics":["visitors","pageviews","bounce_rate","time_on_page","scroll_depth","percentage"],"dimensions":["event:page"],"pagination":{"limit":3},"include":{"total_rows":true}}`},
		{"entry_pages", `{"site_id":"example.fr","date_range":"day","date":"2026-06-10","metrics":["visitors","visits","bounce_rate","visit_duration"],"dimensions":["visit:entry_page"],"order_by":[["visits","desc"],["visit:entry_page","asc"]]}`},
		{"sources_in_france", `{"site_id":"example.fr","date_range":"day","date":"2026-06-10","metrics":["visitors","visits","bounce_rate","visit_duration","percentage"],"dimensions":["visit:source"],"filters":[["is","visit:country",["FR"]]]}`},
		{"goals", `{"site_id":"example.fr","date_range":["2026-06-10","2026-06-11"],"metrics":["visitors","events","conversion_rate","total_revenue","average_revenue"],"dimensions":["event:goal"]}`},
		{"goal_by_channel", `{"site_id":"example.fr","date_range":"day","date":"2026-06-10","metrics":["visitors","conversion_rate","group_conversion_rate"],"dimensions":["visit:channel"],"filters":[["is","event:goal",["Purchase"]]]}`},
		{"custom_props", `{"site_id":"example.fr","date_range":"day","date":"2026-06-10","metrics":["visitors","events","percentage"],"dimensions":["event:props:plan"]}`},
		{"geography", `{"site_id":"example.fr","date_range":"day","date":"2026-06-10","metrics":["visitors"],"dimensions":["visit:country_name","visit:region","visit:city","visit:city_name"]}`},
		{"nested_filters", `{"site_id":"example.fr","date_range":"day","date":"2026-06-10","metrics":["visitors","visits","bounce_rate"],"filters":[["or",[["is","visit:device",["Mobile"]],["and",[["contains","event:page",["check"]],["not",["is","visit:browser",["Chrome"]]]]]]],["has_not_done",["is","event:name",["Subscribe"]]]]}`},
		{"revenue_without_goals", `{"site_id":"example.fr","date_range":["2026-06-10","2026-06-11"],"metrics":["total_revenue","average_revenue"],"dimensions":["time:day"]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := ParseQuery([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := e.Run(context.Background(), scenarioSite, scenarioGoals, q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(resp, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", c.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; got:\n%s", path, got)
			}
		})
	}
}
