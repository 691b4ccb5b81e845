package reports

import (
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// The period a report covers and when it is due, around DST changes, in
// zones on both sides of UTC, at month and year ends.
func TestPrevious(t *testing.T) {
	for _, c := range []struct {
		name     string
		kind     Kind
		tz       string
		now      string // RFC 3339, any offset
		from, to string
		due      string // RFC 3339 in UTC
	}{
		{"weekly, Monday 06:59 Paris is still last week's turn", Weekly, "Europe/Paris", "2026-12-07T06:59:59+01:00", "2026-11-23", "2026-11-29", "2026-11-30T06:00:00Z"},
		{"weekly, Monday 07:00 Paris", Weekly, "Europe/Paris", "2026-12-07T07:00:00+01:00", "2026-11-30", "2026-12-06", "2026-12-07T06:00:00Z"},
		{"weekly, Sunday night", Weekly, "Europe/Paris", "2026-12-13T23:59:00+01:00", "2026-11-30", "2026-12-06", "2026-12-07T06:00:00Z"},
		// 29 March 2026: Paris moves to summer time; that week has 167 hours.
		{"weekly, the week of the spring DST change", Weekly, "Europe/Paris", "2026-03-30T07:00:00+02:00", "2026-03-23", "2026-03-29", "2026-03-30T05:00:00Z"},
		// 25 October 2026: back to winter time; 169 hours.
		{"weekly, the week of the autumn DST change", Weekly, "Europe/Paris", "2026-10-26T07:30:00+01:00", "2026-10-19", "2026-10-25", "2026-10-26T06:00:00Z"},
		{"weekly, New York's DST change", Weekly, "America/New_York", "2026-03-09T12:00:00Z", "2026-03-02", "2026-03-08", "2026-03-09T11:00:00Z"},
		// The same instant is Monday 08:00 in Auckland and Sunday in Los Angeles.
		{"weekly, Auckland is already Monday", Weekly, "Pacific/Auckland", "2026-12-06T19:00:00Z", "2026-11-30", "2026-12-06", "2026-12-06T18:00:00Z"},
		{"weekly, Los Angeles is still Sunday", Weekly, "America/Los_Angeles", "2026-12-06T19:00:00Z", "2026-11-23", "2026-11-29", "2026-11-30T15:00:00Z"},
		{"weekly, across the year end", Weekly, "Europe/Paris", "2027-01-04T09:00:00+01:00", "2026-12-28", "2027-01-03", "2027-01-04T06:00:00Z"},
		{"monthly, the 1st at 07:00", Monthly, "Europe/Paris", "2026-12-01T07:00:00+01:00", "2026-11-01", "2026-11-30", "2026-12-01T06:00:00Z"},
		{"monthly, the 1st at 06:00 is October's turn", Monthly, "Europe/Paris", "2026-12-01T06:00:00+01:00", "2026-10-01", "2026-10-31", "2026-11-01T06:00:00Z"},
		{"monthly, February of a common year", Monthly, "Europe/Paris", "2026-03-15T12:00:00Z", "2026-02-01", "2026-02-28", "2026-03-01T06:00:00Z"},
		{"monthly, February of a leap year", Monthly, "Europe/Paris", "2028-03-01T08:00:00+01:00", "2028-02-01", "2028-02-29", "2028-03-01T06:00:00Z"},
		{"monthly, January from the new year", Monthly, "Asia/Tokyo", "2027-01-01T07:00:00+09:00", "2026-12-01", "2026-12-31", "2026-12-31T22:00:00Z"},
		{"monthly, the day of a DST change", Monthly, "Europe/Paris", "2026-04-01T07:00:00+02:00", "2026-03-01", "2026-03-31", "2026-04-01T05:00:00Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			now, err := time.Parse(time.RFC3339, c.now)
			if err != nil {
				t.Fatal(err)
			}
			p, due := Previous(c.kind, now, mustLoc(t, c.tz))
			if p.From.String() != c.from || p.To.String() != c.to {
				t.Errorf("period %s..%s, want %s..%s", p.From, p.To, c.from, c.to)
			}
			if got := due.UTC().Format(time.RFC3339); got != c.due {
				t.Errorf("due %s, want %s", got, c.due)
			}
			if due.After(now) {
				t.Errorf("due %s after now %s", due, now)
			}
		})
	}
}

func TestPeriodBefore(t *testing.T) {
	for _, c := range []struct {
		p        Period
		from, to string
	}{
		{Period{Weekly, Date{2026, 1, 5}, Date{2026, 1, 11}}, "2025-12-29", "2026-01-04"},
		{Period{Monthly, Date{2026, 3, 1}, Date{2026, 3, 31}}, "2026-02-01", "2026-02-28"},
		{Period{Monthly, Date{2027, 1, 1}, Date{2027, 1, 31}}, "2026-12-01", "2026-12-31"},
	} {
		b := c.p.before()
		if b.From.String() != c.from || b.To.String() != c.to {
			t.Errorf("before %s..%s = %s..%s, want %s..%s", c.p.From, c.p.To, b.From, b.To, c.from, c.to)
		}
	}
}
