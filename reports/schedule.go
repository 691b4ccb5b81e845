package reports

import (
	"fmt"
	"time"
)

// Kind is a report's schedule.
type Kind string

const (
	Weekly  Kind = "weekly"
	Monthly Kind = "monthly"
)

// Kinds lists the report kinds.
var Kinds = []Kind{Weekly, Monthly}

// ValidKind reports whether k names a report kind.
func ValidKind(k Kind) bool { return k == Weekly || k == Monthly }

// SendHour is the local hour from which a period's report is sent: Monday
// morning for the weekly one, the 1st of the month for the monthly one,
// in the site's time zone.
const SendHour = 7

// Period is the range of days a report covers, both ends included, as
// calendar dates of the site's time zone.
type Period struct {
	Kind     Kind
	From, To Date
}

// Date is a calendar date, without time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

func dateOf(t time.Time) Date { y, m, d := t.Date(); return Date{y, m, d} }

// String formats the date as 2006-01-02.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// at is the date's wall-clock time h:00 in loc (time.Date resolves a
// time a DST change skips or repeats).
func (d Date) at(h int, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, h, 0, 0, 0, loc)
}

// add moves the date by n days (noon avoids any DST edge).
func (d Date) add(n int) Date {
	return dateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

func (d Date) weekday() time.Weekday { return d.at(12, time.UTC).Weekday() }

// Previous returns the finished period a report sent at now would cover,
// and the moment from which it is due, both in loc: the previous Monday to
// Sunday for a weekly report, due Monday at SendHour; the previous calendar
// month for a monthly one, due on the 1st at SendHour. Before that moment
// on the first day, the period is the one before.
func Previous(kind Kind, now time.Time, loc *time.Location) (Period, time.Time) {
	local := now.In(loc)
	today := dateOf(local)
	switch kind {
	case Monthly:
		first := Date{today.Year, today.Month, 1}
		due := first.at(SendHour, loc)
		if now.Before(due) {
			first = dateOf(time.Date(first.Year, first.Month-1, 1, 12, 0, 0, 0, time.UTC))
			due = first.at(SendHour, loc)
		}
		start := dateOf(time.Date(first.Year, first.Month-1, 1, 12, 0, 0, 0, time.UTC))
		return Period{Kind: Monthly, From: start, To: first.add(-1)}, due
	default:
		monday := today.add(-((int(today.weekday()) + 6) % 7))
		due := monday.at(SendHour, loc)
		if now.Before(due) {
			monday = monday.add(-7)
			due = monday.at(SendHour, loc)
		}
		return Period{Kind: Weekly, From: monday.add(-7), To: monday.add(-1)}, due
	}
}

// before is the period of the same length just before p: the week before,
// or the calendar month before.
func (p Period) before() Period {
	if p.Kind == Monthly {
		start := dateOf(time.Date(p.From.Year, p.From.Month-1, 1, 12, 0, 0, 0, time.UTC))
		return Period{Kind: Monthly, From: start, To: p.From.add(-1)}
	}
	return Period{Kind: Weekly, From: p.From.add(-7), To: p.From.add(-1)}
}
