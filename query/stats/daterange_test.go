package stats

import (
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
)

func d(s string) time.Time {
	t, err := parseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// In America/Santiago clocks go from 00:00 to 01:00 on 2026-09-06: that
// day starts at 01:00 local time, not at 23:00 the day before.
func TestLocalMidnightWithoutMidnight(t *testing.T) {
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ day, want string }{
		{"2026-09-06", "2026-09-06T04:00:00Z"},
		{"2026-09-05", "2026-09-05T04:00:00Z"},
		{"2026-09-07", "2026-09-07T03:00:00Z"},
	} {
		got := localMidnight(d(c.day), santiago)
		if got.Format(time.RFC3339) != c.want || got.In(santiago).Format(dateLayout) != c.day {
			t.Errorf("%s starts at %s (%s local), want %s", c.day, got.Format(time.RFC3339), got.In(santiago), c.want)
		}
	}
}

func TestPageRegex(t *testing.T) {
	cases := []struct {
		pattern, path string
		match         bool
	}{
		{"/blog/*", "/blog/hello", true},
		{"/blog/*", "/blog/a/b", false},
		{"/blog/**", "/blog/a/b", true},
		{"/blog/**", "/blogger", false},
		{"/a.b/*", "/aXb/c", false},
		{"/p*", "/pricing", true},
		{"/(x)+", "/(x)+", true},
	}
	for _, c := range cases {
		re := mustCompile(t, sillage.PagePatternRegexp(c.pattern))
		if re.MatchString(c.path) != c.match {
			t.Errorf("%s ~ %s: %v", c.pattern, c.path, !c.match)
		}
	}
}
