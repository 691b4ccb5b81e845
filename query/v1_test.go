package query

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sillage-analytics/sillage/query/admit"
)

// The Stats API v1 over HTTP: the same keys, answers and numbers as v2.
func TestStatsAPIV1(t *testing.T) {
	f := newFixture(t)
	base := f.srv.URL + "/api/v1/stats/"

	// Plausible's documented example, and v2's number for the same question.
	resp, body := get(t, base+"aggregate?site_id=boutique.fr&period=7d&metrics=visitors,pageviews,bounce_rate,visit_duration", f.key)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("aggregate: %d %s", resp.StatusCode, body)
	}
	var agg struct {
		Results map[string]struct {
			Value *float64 `json:"value"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &agg); err != nil || len(agg.Results) != 4 {
		t.Fatalf("aggregate: %s: %v", body, err)
	}
	// v1's 7d ends with today; v2's leaves it out: ask v2 for v1's days.
	paris, _ := time.LoadLocation("Europe/Paris")
	today := time.Now().In(paris)
	status, v2body := f.post(t, "/api/v2/query", f.key, `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":["`+
		today.AddDate(0, 0, -6).Format(time.DateOnly)+`","`+today.Format(time.DateOnly)+`"]}`)
	var v2 struct {
		Results []struct{ Metrics []float64 } `json:"results"`
	}
	if err := json.Unmarshal(v2body, &v2); status != 200 || err != nil || len(v2.Results) != 1 {
		t.Fatalf("v2 for v1's 7d: %d %s", status, v2body)
	}
	if v := agg.Results["visitors"].Value; v == nil || *v != v2.Results[0].Metrics[0] {
		t.Errorf("aggregate: visitors %v in v1, %v in v2 (%s)", v, v2.Results[0].Metrics[0], body)
	}

	// Filters joined by a bare ";", as clients send them: a filter that
	// matches nothing must give 0, not be dropped with the rest of the
	// pair (net/url refuses ";" and URL.Query drops the whole pair).
	for _, raw := range []string{
		"filters=visit:source==No+such+source;visit:os==Linux",
		"filters=" + url.QueryEscape("visit:source==No such source;visit:os==Linux"),
	} {
		resp, body = get(t, base+"aggregate?site_id=boutique.fr&period=7d&"+raw, f.key)
		if resp.StatusCode != 200 || string(body) != `{"results":{"visitors":{"value":0}}}`+"\n" {
			t.Errorf("%s: %d %s, want 0 visitors", raw, resp.StatusCode, body)
		}
	}

	var series struct {
		Results []map[string]any `json:"results"`
	}
	resp, body = get(t, base+"timeseries?site_id=boutique.fr&period=7d", f.key)
	if err := json.Unmarshal(body, &series); resp.StatusCode != 200 || err != nil || len(series.Results) != 7 {
		t.Fatalf("timeseries: %d %s", resp.StatusCode, body)
	}
	sum := 0.0
	for _, r := range series.Results {
		if _, ok := r["date"].(string); !ok {
			t.Fatalf("timeseries row without a date: %v", r)
		}
		sum += r["visitors"].(float64)
	}
	// The same seven days as the aggregate (v1's 7d, ending today), not
	// v2's 7d (f.visitors), which ends yesterday: just after midnight,
	// today has fewer visitors than the day v1 no longer counts.
	if week := *agg.Results["visitors"].Value; sum < week {
		t.Errorf("timeseries: %v visitors over the days, fewer than the week's %v", sum, week)
	}

	var bd struct {
		Results []map[string]any `json:"results"`
	}
	resp, body = get(t, base+"breakdown?site_id=boutique.fr&period=7d&property=visit:source&metrics=visitors,bounce_rate&limit=5", f.key)
	if err := json.Unmarshal(body, &bd); resp.StatusCode != 200 || err != nil || len(bd.Results) == 0 || len(bd.Results) > 5 {
		t.Fatalf("breakdown: %d %s", resp.StatusCode, body)
	}
	for i, r := range bd.Results {
		if _, ok := r["source"].(string); !ok || len(r) != 3 {
			t.Errorf("breakdown row %v: want source, visitors, bounce_rate", r)
		}
		if i > 0 && r["visitors"].(float64) > bd.Results[i-1]["visitors"].(float64) {
			t.Errorf("breakdown: not by visitors: %s", body)
		}
	}

	// Errors: {"error": "..."} with v1's statuses.
	tests := []struct {
		name, path, key string
		status          int
	}{
		{"no key", "aggregate?site_id=boutique.fr", "", 401},
		{"unknown key", "aggregate?site_id=boutique.fr", "sk_live_nope", 401},
		{"another site's key", "aggregate?site_id=boutique.fr", f.other, 401},
		{"a key and an unknown site", "aggregate?site_id=nope.fr", f.key, 401},
		{"no site_id", "aggregate?period=7d", f.key, 400},
		{"unknown period", "aggregate?site_id=boutique.fr&period=fortnight", f.key, 400},
		{"custom without dates", "aggregate?site_id=boutique.fr&period=custom", f.key, 400},
		{"bad date", "aggregate?site_id=boutique.fr&period=day&date=yesterday", f.key, 400},
		{"unknown metric", "aggregate?site_id=boutique.fr&metrics=nope", f.key, 400},
		{"a session metric with a goal filter", "aggregate?site_id=boutique.fr&metrics=bounce_rate&filters=event:goal==Signup", f.key, 400},
		{"unknown goal", "aggregate?site_id=boutique.fr&filters=event:goal==Nope", f.key, 400},
		{"malformed filter", "aggregate?site_id=boutique.fr&filters=visit:browser", f.key, 400},
		{"bad escape", "aggregate?site_id=boutique.fr&filters=%zz", f.key, 400},
		{"bad interval", "timeseries?site_id=boutique.fr&interval=week", f.key, 400},
		{"no property", "breakdown?site_id=boutique.fr", f.key, 400},
		{"unknown property", "breakdown?site_id=boutique.fr&property=visit:nope", f.key, 400},
		{"limit too large", "breakdown?site_id=boutique.fr&property=event:page&limit=1001", f.key, 400},
		{"page 0", "breakdown?site_id=boutique.fr&property=event:page&page=0", f.key, 400},
		{"realtime without site_id", "realtime/visitors", f.key, 400},
		{"realtime with another site's key", "realtime/visitors?site_id=boutique.fr", f.other, 401},
	}
	for _, tt := range tests {
		resp, body := get(t, base+tt.path, tt.key)
		var e struct {
			Error string `json:"error"`
		}
		if resp.StatusCode != tt.status || json.Unmarshal(body, &e) != nil || e.Error == "" {
			t.Errorf("%s: %d %s, want %d and {\"error\": …}", tt.name, resp.StatusCode, body, tt.status)
		}
	}
}

// v1 requests are admitted as v2's: the same allowance per caller, spent
// by either.
func TestV1SharesV2Admission(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newFairEnv(t, Options{Registerer: reg, Limits: Limits{APIKey: admit.Limit{Concurrent: 1, Queue: 4, Budget: time.Millisecond}}})
	_, key, err := f.acc.CreateAPIKey(t.Context(), f.userID, "k", []uint32{f.siteID})
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := f.do(t, "key:"+key, "POST", "/api/v2/query", `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":"7d"}`); resp.StatusCode != 200 {
		t.Fatalf("v2: %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"aggregate?site_id=boutique.fr", "timeseries?site_id=boutique.fr", "breakdown?site_id=boutique.fr&property=event:page", "realtime/visitors?site_id=boutique.fr"} {
		resp, body := f.do(t, "key:"+key, "GET", "/api/v1/stats/"+path, "")
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s after v2 spent the key's budget: %d %s, want 429", path, resp.StatusCode, body)
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("%s: Retry-After %q", path, resp.Header.Get("Retry-After"))
		}
	}
}
