package stats

import (
	"context"
	"testing"
)

// TestQueryRevenueParity: revenue goals with one or several currencies;
// an average is truncated to thousandths, as Plausible's Decimal64(3)
// division does (201.2 / 3 = 67.066).
func TestQueryRevenueParity(t *testing.T) {
	goals := []Goal{{ID: "1", EventName: "Purchase", Currency: "USD"}, {ID: "2", EventName: "Payment", Currency: "USD"},
		{ID: "3", EventName: "Subscription", Currency: "EUR"}, {ID: "4", EventName: "Signup"}}
	e := loaded(t, join(hitAt(1, 0, 0, "Purchase", "/", revenue(100_300, "USD")), hitAt(2, 0, 0, "Payment", "/", revenue(40_300, "USD")),
		hitAt(3, 0, 0, "Payment", "/", revenue(60_600, "USD")), hitAt(4, 0, 0, "Subscription", "/", revenue(100_000, "EUR")),
		hitAt(5, 0, 0, "Signup", "/")), at(20, 0))
	runGoalCases(t, e, goals, []queryCase{
		{"goals of one currency", day(`"events","average_revenue","total_revenue"`, `,"filters":[["is","event:goal",["Signup","Purchase","Payment"]]]`),
			[]string{" | 4 67.07 USD 201.20 USD"}},
		{"goals of two currencies", day(`"average_revenue","total_revenue"`, `,"filters":[["is","event:goal",["Subscription","Payment"]]]`),
			[]string{" | null null"}},
		{"by goal", day(`"average_revenue","total_revenue"`, `,"dimensions":["event:goal"]`),
			[]string{"Purchase | 100.30 USD 100.30 USD", "Subscription | 100.00 EUR 100.00 EUR", "Payment | 50.45 USD 100.90 USD", "Signup | null null"}},
		{"by goal under a goal filter", day(`"average_revenue","total_revenue"`, `,"dimensions":["event:goal"],"filters":[["is","event:goal",["Signup","Purchase"]]]`),
			[]string{"Purchase | 100.30 USD 100.30 USD", "Signup | null null"}},
	})
	t.Run("the average's value", func(t *testing.T) {
		q, err := ParseQuery([]byte(day(`"average_revenue"`, `,"filters":[["is","event:goal",["Signup","Purchase","Payment"]]]`)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := e.Run(context.Background(), scenarioSite, goals, q)
		if err != nil {
			t.Fatal(err)
		}
		if m, ok := resp.Results[0].Metrics[0].(*Money); !ok || m.Milli != 67_066 {
			t.Errorf("average_revenue %v, want 67.066 USD", resp.Results[0].Metrics[0])
		}
	})
}
