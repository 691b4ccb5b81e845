package stats

import (
	"encoding/json"
	"fmt"
	"testing"
)

// Parsing a segment's filters never panics, and what it accepts is a
// valid query's filters that read back the same.
func FuzzParseFilters(f *testing.F) {
	for _, s := range []string{
		`[["is","visit:country",["FR"]]]`,
		`[["or",[["is","visit:source",["Google"]],["matches","event:page",["^/blog"]]]]]`,
		`[["has_done",["is","event:goal",["Signup"]]]]`,
		`[["is","segment",[1]]]`,
		`[["contains","event:props:plan",["pro"],{"case_sensitive":false}]]`,
		`[]`, `{}`, `[[]]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := ParseFilters(json.RawMessage(s))
		if err != nil {
			if _, ok := err.(*QueryError); !ok {
				t.Fatalf("%q: error %T %v, want a *QueryError", s, err, err)
			}
			return
		}
		b, err := json.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseFilters(b)
		if err != nil {
			t.Fatalf("%s accepted, then %s refused: %v", s, b, err)
		}
		if b2, _ := json.Marshal(again); string(b2) != string(b) {
			t.Fatalf("%s reads back as %s", b, b2)
		}
		q := &Query{SiteID: "x.fr", Metrics: []string{MVisitors}, DateRange: DateRange{Period: "7d"}, Filters: fs}
		if err := q.Validate(); err != nil {
			t.Fatalf("%s: a segment's filters fail a query: %v", s, err)
		}
	})
}

func TestExpandSegments(t *testing.T) {
	seg := map[uint64][]Filter{
		1: {{Op: "is", Dimension: "visit:country", Values: []string{"FR"}}, {Op: "is", Dimension: "event:goal", Values: []string{"Signup"}}},
		2: {{Op: "is", Dimension: "visit:device", Values: []string{"Mobile"}}},
	}
	lookup := func(id uint64) ([]Filter, error) {
		if fs, ok := seg[id]; ok {
			return fs, nil
		}
		return nil, qerr("filters", "segment %d does not exist or is not visible to you", id)
	}
	for _, c := range []struct{ in, want string }{
		// One segment joins the top level: its goal filter stays valid.
		{`[["is","segment",[1]],["is","visit:os",["Mac"]]]`, `[["is","visit:country",["FR"]],["is","event:goal",["Signup"]],["is","visit:os",["Mac"]]]`},
		{`[["is","segment",["2"]]]`, `[["is","visit:device",["Mobile"]]]`},
		{`[["is","segment",[2,2]]]`, `[["or",[["and",[["is","visit:device",["Mobile"]]]],["and",[["is","visit:device",["Mobile"]]]]]]]`},
		{`[["is","segment",[3]]]`, `error: filters: segment 3 does not exist or is not visible to you`},
		// Two segments in an or: a goal filter cannot be nested.
		{`[["is","segment",[1,2]]]`, "error: Invalid filters. Dimension `event:goal` can only be filtered at the top level."},
	} {
		q, err := ParseQuery([]byte(`{"site_id":"x.fr","metrics":["visitors"],"date_range":"7d","filters":` + c.in + `}`))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		var got string
		if err := q.ExpandSegments(lookup); err != nil {
			got = "error: " + err.Error()
		} else {
			b, _ := json.Marshal(q.Filters)
			got = string(b)
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

// The expansion runs on every query that names a segment.
func BenchmarkExpandSegments(b *testing.B) {
	fs := []Filter{{Op: "is", Dimension: "visit:country", Values: []string{"FR"}}, {Op: "contains", Dimension: "event:page", Values: []string{"/blog"}},
		{Op: "or", Filters: []Filter{{Op: "is", Dimension: "visit:source", Values: []string{"Google"}}, {Op: "is", Dimension: "visit:device", Values: []string{"Mobile"}}}}}
	body := []byte(`{"site_id":"x.fr","metrics":["visitors"],"date_range":"7d","filters":[["is","segment",[1]],["is","visit:os",["Mac"]]]}`)
	lookup := func(uint64) ([]Filter, error) { return fs, nil }
	b.ReportAllocs()
	for b.Loop() {
		q, err := ParseQuery(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := q.ExpandSegments(lookup); err != nil {
			b.Fatal(fmt.Sprint(err))
		}
	}
}
