package stats

import (
	"time"
)

// A date is a calendar day, held as midnight UTC so that AddDate is plain
// calendar arithmetic; span turns it into instants in the site's zone.

const dateLayout = "2006-01-02"

func parseDate(s string) (time.Time, error) { return time.Parse(dateLayout, s) }

// parseRangeBounds reads a [from, to] pair: both dates, or both ISO 8601
// datetimes with an offset.
func parseRangeBounds(from, to string) (f, t time.Time, dates bool, err error) {
	if f, err = parseDate(from); err == nil {
		if t, err = parseDate(to); err == nil {
			return f, t, true, nil
		}
		return f, t, true, err
	}
	if f, err = time.Parse(time.RFC3339Nano, from); err != nil {
		return f, t, false, err
	}
	t, err = time.Parse(time.RFC3339Nano, to)
	return f, t, false, err
}

// span is a resolved date range.
type span struct {
	from, to    time.Time // UTC instants, from included, to excluded
	first, last time.Time // the local calendar days it covers (dates)
}

func daysBetween(a, b time.Time) int { return int(b.Sub(a).Hours()/24 + 0.5) }

// dateSpan covers whole local days first..last, kept within the dates
// the engine can hold.
func dateSpan(first, last time.Time, loc *time.Location) span {
	lo, _ := parseDate(minDate)
	hi, _ := parseDate(maxDate)
	if first.Before(lo) {
		first = lo
	}
	if last.After(hi) {
		last = hi
	}
	return span{from: localMidnight(first, loc), to: localMidnight(last.AddDate(0, 0, 1), loc), first: first, last: last}
}

// localMidnight is the instant a local day starts. Where midnight does not
// exist (a DST jump at 00:00, as in America/Santiago), Go normalises it to
// 23:00 the day before; the day then starts at the end of that zone
// period, the first instant of the day.
func localMidnight(d time.Time, loc *time.Location) time.Time {
	t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	if t.Day() != d.Day() {
		_, end := t.ZoneBounds()
		t = end
	}
	return t.UTC()
}

func dateOf(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

func monthStart(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// timeLabels lists every bucket of a time dimension over a span, in the
// format results use. Hours are local wall-clock hours: the hour skipped
// when clocks go forward is absent, the one repeated when they go back is
// listed once (its two instances share the bucket).
func timeLabels(dim string, s span, loc *time.Location) []string {
	var out []string
	switch dim {
	case "time:hour":
		add := func(t time.Time) {
			if l := t.In(loc).Format("2006-01-02 15:00:00"); len(out) == 0 || out[len(out)-1] != l {
				out = append(out, l)
			}
		}
		for t := s.from; t.Before(s.to); t = t.Add(time.Hour) {
			add(t)
		}
		// A range that ends within an hour (08:30 to 11:15) has that hour too.
		if s.to.After(s.from) {
			add(s.to.Add(-time.Millisecond))
		}
	case "time:day":
		for d := s.first; !d.After(s.last); d = d.AddDate(0, 0, 1) {
			out = append(out, d.Format(dateLayout))
		}
	case "time:week":
		out = append(out, s.first.Format(dateLayout))
		monday := s.first.AddDate(0, 0, -((int(s.first.Weekday())+6)%7)+7)
		for d := monday; !d.After(s.last); d = d.AddDate(0, 0, 7) {
			out = append(out, d.Format(dateLayout))
		}
	case "time:month":
		for m := monthStart(s.first); !m.After(s.last); m = m.AddDate(0, 1, 0) {
			out = append(out, m.Format(dateLayout))
		}
	}
	return out
}

// yearBefore is the same calendar day a year earlier. AddDate would turn
// 29 February into 1 March and a month's last day into the next month's
// first: a year-over-year range must cover the same months. The last day
// of February maps to the last day of February.
func yearBefore(t time.Time) time.Time {
	y, m, d := t.Date()
	lastOfMonth := func(y int) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }
	if d == lastOfMonth(y) || d > lastOfMonth(y-1) {
		d = lastOfMonth(y - 1)
	}
	return time.Date(y-1, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}
