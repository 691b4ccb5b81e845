package stats

import (
	"context"
	"fmt"
	"strconv"
	"testing"
)

// A goal filter under has_done narrows a funnel to the visitors who
// converted, as it narrows the visitors metric: the funnel must know the
// site's goals to read it (the dashboard sends it under a goal filter).
func TestFunnelHasDoneGoal(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	steps := []Goal{{PagePath: "/"}, {PagePath: "/pricing"}, {EventName: "Purchase"}}
	filter := []Filter{{Op: "has_done", Filters: []Filter{{Op: "is", Dimension: "event:goal", Values: []string{"Purchase"}}}}}
	q := &Query{DateRange: DateRange{Period: "day"}, Date: "2026-06-10", Metrics: []string{MVisitors}, Filters: filter}
	resp, err := e.Run(context.Background(), scenarioSite, scenarioGoals, q)
	if err != nil {
		t.Fatal(err)
	}
	want, err := strconv.ParseUint(fmt.Sprint(resp.Results[0].Metrics[0]), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if want == 0 {
		t.Fatal("the scenario has no purchaser")
	}
	fq := &Query{DateRange: DateRange{Period: "day"}, Date: "2026-06-10", Filters: filter}
	res, err := e.Funnel(context.Background(), scenarioSite, steps, 0, fq, scenarioGoals...)
	if err != nil {
		t.Fatal(err)
	}
	// has_done keeps the purchasing visits' events: v1 bought in a later
	// visit than the one that went through / and /pricing.
	if res.AllVisitors != want {
		t.Fatalf("funnel of purchasers: all %d visitors, want %d", res.AllVisitors, want)
	}
}
