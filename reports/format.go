package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The reports format numbers, dates and durations as the dashboard does:
// "1,234", "45.2%", "3m 5s" in English; "1 234", "45,2 %", "3 min 5 s" in
// French (with narrow no-break spaces, as Intl.NumberFormat writes them).

const nnbsp = "\u202f"

func formatInt(n float64, lang string) string {
	s := strconv.FormatInt(int64(math.Round(n)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := ","
	if lang == "fr" {
		sep = nnbsp
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

func formatDecimal(x float64, lang string) string {
	s := strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64)
	if lang == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func formatPercent(p float64, lang string) string {
	if lang == "fr" {
		return formatDecimal(p, lang) + nnbsp + "%"
	}
	return formatDecimal(p, lang) + "%"
}

func formatDuration(sec float64, lang string) string {
	s := int(math.Round(math.Max(0, sec)))
	h, m, ss := s/3600, s%3600/60, s%60
	u := map[string][3]string{"en": {"h", "m", "s"}, "fr": {nnbsp + "h", nnbsp + "min", nnbsp + "s"}}[lang]
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%d%s %d%s", h, u[0], m, u[1])
	case h > 0:
		return fmt.Sprintf("%d%s", h, u[0])
	case m > 0 && ss > 0:
		return fmt.Sprintf("%d%s %d%s", m, u[1], ss, u[2])
	case m > 0:
		return fmt.Sprintf("%d%s", m, u[1])
	}
	return fmt.Sprintf("%d%s", ss, u[2])
}

// formatChange is a change as a signed number: "+12%", "−3%", or in
// points for the bounce rate ("+2.5 pts").
func formatChange(c float64, points bool, lang string) string {
	sign := "+"
	if c < 0 {
		sign = "−"
	}
	a := math.Abs(c)
	if points {
		return sign + formatDecimal(a, lang) + map[string]string{"en": " pts", "fr": nnbsp + "pts"}[lang]
	}
	return sign + formatPercent(math.Round(a), lang)
}

var monthNames = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
}

// formatPeriod names a period: "November 2026" / "novembre 2026", or
// "30 November – 6 December 2026" / "30 novembre – 6 décembre 2026".
func formatPeriod(p Period, lang string) string {
	mn := monthNames[lang]
	if p.Kind == Monthly {
		return mn[p.From.Month-1] + " " + strconv.Itoa(p.From.Year)
	}
	day := func(d Date, year bool) string {
		s := strconv.Itoa(d.Day) + " " + mn[d.Month-1]
		if lang == "en" {
			s = mn[d.Month-1] + " " + strconv.Itoa(d.Day)
		}
		if year {
			if lang == "en" {
				return s + ", " + strconv.Itoa(d.Year)
			}
			return s + " " + strconv.Itoa(d.Year)
		}
		return s
	}
	return day(p.From, p.From.Year != p.To.Year) + " – " + day(p.To, true)
}

// formatTime is an instant in a site's time zone, for alerts.
func formatTime(t time.Time, loc *time.Location, lang string) string {
	l := t.In(loc)
	if lang == "fr" {
		return fmt.Sprintf("%d %s %d à %02d:%02d", l.Day(), monthNames["fr"][l.Month()-1], l.Year(), l.Hour(), l.Minute())
	}
	return fmt.Sprintf("%s %d, %d at %02d:%02d", monthNames["en"][l.Month()-1], l.Day(), l.Year(), l.Hour(), l.Minute())
}
