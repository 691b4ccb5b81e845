package stats

import (
	"strings"
	"testing"
	"time"
)

func TestResolveSpan(t *testing.T) {
	today := d("2026-03-18") // a Wednesday
	cases := []struct {
		period, first, last string
	}{
		{"day", "2026-03-18", "2026-03-18"},
		// As Plausible: N whole days before the anchor, the anchor left out.
		{"7d", "2026-03-11", "2026-03-17"},
		{"28d", "2026-02-18", "2026-03-17"},
		{"30d", "2026-02-16", "2026-03-17"},
		{"91d", "2025-12-17", "2026-03-17"},
		{"1d", "2026-03-17", "2026-03-17"},
		{"365d", "2025-03-18", "2026-03-17"},
		{"month", "2026-03-01", "2026-03-31"},
		// N whole months before the anchor's month.
		{"6mo", "2025-09-01", "2026-02-28"},
		{"12mo", "2025-03-01", "2026-02-28"},
		{"1mo", "2026-02-01", "2026-02-28"},
		{"3mo", "2025-12-01", "2026-02-28"},
		{"year", "2026-01-01", "2026-12-31"},
		{"all", "2025-11-05", "2026-03-18"},
		// v1's periods end with their anchor day (its own documented meaning).
		{"v1:7d", "2026-03-12", "2026-03-18"},
		{"v1:30d", "2026-02-17", "2026-03-18"},
		{"v1:6mo", "2025-10-01", "2026-03-31"},
		{"v1:12mo", "2025-04-01", "2026-03-31"},
	}
	for _, c := range cases {
		dr := DateRange{Period: c.period}
		if p, ok := strings.CutPrefix(c.period, "v1:"); ok {
			dr = DateRange{Period: p, endsOnDate: true}
		}
		if err := validateDateRange(dr, "date_range"); err != nil {
			t.Fatalf("%s: %v", c.period, err)
		}
		sp, err := resolveSpan(dr, today, paris, func() (time.Time, error) { return d("2025-11-05"), nil })
		if err != nil {
			t.Fatal(err)
		}
		if sp.first.Format(dateLayout) != c.first || sp.last.Format(dateLayout) != c.last {
			t.Errorf("%s: %s..%s, want %s..%s", c.period, sp.first.Format(dateLayout), sp.last.Format(dateLayout), c.first, c.last)
		}
		if !sp.from.Equal(localMidnight(sp.first, paris)) || !sp.to.Equal(localMidnight(sp.last.AddDate(0, 0, 1), paris)) {
			t.Errorf("%s: instants %v..%v", c.period, sp.from, sp.to)
		}
	}
	// Paris midnight on the DST day is 23:00 UTC the day before.
	sp, _ := resolveSpan(DateRange{From: "2026-03-29", To: "2026-03-29"}, today, paris, nil)
	if sp.from != time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC) || sp.to != time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC) {
		t.Errorf("DST day: %v..%v", sp.from, sp.to)
	}
	sp, _ = resolveSpan(DateRange{From: "2026-03-29T10:00:00+02:00", To: "2026-03-29T11:00:00+02:00"}, today, paris, nil)
	if sp.from != time.Date(2026, 3, 29, 8, 0, 0, 0, time.UTC) || sp.to != time.Date(2026, 3, 29, 9, 0, 1, 0, time.UTC) {
		t.Errorf("datetimes: %v..%v", sp.from, sp.to)
	}
}

func TestComparisonSpan(t *testing.T) {
	today := d("2026-03-18")
	month := dateSpan(d("2026-03-01"), d("2026-03-31"), paris)
	cases := []struct {
		c           Comparisons
		main        span
		first, last string
	}{
		// Only the elapsed part of the month (18 days) is compared.
		{Comparisons{Mode: "previous_period"}, month, "2026-02-11", "2026-02-28"},
		{Comparisons{Mode: "year_over_year"}, month, "2025-03-01", "2025-03-18"},
		{Comparisons{Mode: "previous_period"}, dateSpan(d("2026-03-12"), d("2026-03-18"), paris), "2026-03-05", "2026-03-11"},
		// 2025-03-12 is a Wednesday: year_over_year matching the weekday of
		// 2026-03-12 (a Thursday) shifts by one day.
		{Comparisons{Mode: "year_over_year", MatchDayOfWeek: true}, dateSpan(d("2026-03-12"), d("2026-03-18"), paris), "2025-03-13", "2025-03-19"},
		// Plausible moves forward to the next day with the main range's
		// first weekday (back only when the next is that very day): the 6
		// whole months before 2026-03-18 (181 days) start on Monday
		// 2025-09-01; the previous period starts on Tuesday 2025-03-04 and
		// moves to Monday 2025-03-10, not back to 2025-03-03.
		{Comparisons{Mode: "previous_period", MatchDayOfWeek: true}, dateSpan(d("2025-09-01"), d("2026-02-28"), paris), "2025-03-10", "2025-09-06"},
		// The 7 days before 2026-03-18 and the 7 days before those.
		{Comparisons{Mode: "previous_period"}, dateSpan(d("2026-03-11"), d("2026-03-17"), paris), "2026-03-04", "2026-03-10"},
		{Comparisons{Mode: "previous_period", MatchDayOfWeek: true}, dateSpan(d("2026-03-11"), d("2026-03-17"), paris), "2026-03-04", "2026-03-10"},
		{Comparisons{Mode: "custom", DateRange: &DateRange{From: "2025-12-01", To: "2025-12-07"}}, month, "2025-12-01", "2025-12-07"},
		// A year earlier is the same month, 29 February or not.
		{Comparisons{Mode: "year_over_year"}, dateSpan(d("2028-02-01"), d("2028-02-29"), paris), "2027-02-01", "2027-02-28"},
		{Comparisons{Mode: "year_over_year"}, dateSpan(d("2025-02-01"), d("2025-02-28"), paris), "2024-02-01", "2024-02-29"},
		{Comparisons{Mode: "year_over_year"}, dateSpan(d("2028-02-10"), d("2028-02-28"), paris), "2027-02-10", "2027-02-28"},
		{Comparisons{Mode: "year_over_year"}, dateSpan(d("2027-04-01"), d("2027-04-30"), paris), "2026-04-01", "2026-04-30"},
	}
	for _, c := range cases {
		sp, err := comparisonSpan(&c.c, c.main, today, paris, true)
		if err != nil {
			t.Fatal(err)
		}
		if sp.first.Format(dateLayout) != c.first || sp.last.Format(dateLayout) != c.last {
			t.Errorf("%+v: %s..%s, want %s..%s", c.c, sp.first.Format(dateLayout), sp.last.Format(dateLayout), c.first, c.last)
		}
	}
	// March 2023 seen on Thursday 2 March: the lived part (1-2 March, from
	// a Wednesday) against 27-28 February; matching Wednesday, the next one
	// is 1 March, the main range's own first day, so Plausible takes the
	// one before: 22-23 February.
	sp, err := comparisonSpan(&Comparisons{Mode: "previous_period", MatchDayOfWeek: true}, dateSpan(d("2023-03-01"), d("2023-03-31"), paris), d("2023-03-02"), paris, true)
	if err != nil || sp.first.Format(dateLayout) != "2023-02-22" || sp.last.Format(dateLayout) != "2023-02-23" {
		t.Errorf("match_day_of_week onto the main range's first day: %s..%s (%v), want 2023-02-22..2023-02-23", sp.first.Format(dateLayout), sp.last.Format(dateLayout), err)
	}
	hours := span{from: time.Date(2026, 3, 18, 8, 0, 0, 0, time.UTC), to: time.Date(2026, 3, 18, 10, 0, 0, 0, time.UTC)}
	sp, _ = comparisonSpan(&Comparisons{Mode: "previous_period"}, hours, today, paris, false)
	if sp.from != time.Date(2026, 3, 18, 6, 0, 0, 0, time.UTC) || sp.to != hours.from {
		t.Errorf("datetime previous period %v..%v", sp.from, sp.to)
	}
}
