package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strings"
	textTemplate "text/template"
)

// words are the reports' texts in each language.
var words = map[string]map[string]string{
	"en": {
		"weekly": "Weekly report", "monthly": "Monthly report",
		"subject":  "%s for %s: %s visitors",
		"visitors": "Unique visitors", "pageviews": "Pageviews", "bounce_rate": "Bounce rate", "visit_duration": "Visit duration",
		"vs_week": "vs. the week before", "vs_month": "vs. the month before",
		"sources": "Top sources", "pages": "Top pages", "goals": "Goals",
		"source": "Source", "page": "Page", "goal": "Goal", "col_visitors": "Visitors", "col_pageviews": "Pageviews",
		"uniques": "Uniques", "conversions": "Conversions", "cr": "Conv. rate", "revenue": "Revenue",
		"none":      "No visits in this period.",
		"open":      "Open the dashboard",
		"why":       "You receive this report of %s because you subscribed to it, or an owner of the site added your address.",
		"unsub":     "Unsubscribe",
		"sampled":   "Estimated from a %s sample of the visitors.",
		"time_zone": "Time zone: %s.",
		"segment":   "segment “%s”",
	},
	"fr": {
		"weekly": "Rapport hebdomadaire", "monthly": "Rapport mensuel",
		"subject":  "%s de %s : %s visiteurs",
		"visitors": "Visiteurs uniques", "pageviews": "Pages vues", "bounce_rate": "Taux de rebond", "visit_duration": "Durée de visite",
		"vs_week": "par rapport à la semaine précédente", "vs_month": "par rapport au mois précédent",
		"sources": "Principales sources", "pages": "Pages les plus vues", "goals": "Objectifs",
		"source": "Source", "page": "Page", "goal": "Objectif", "col_visitors": "Visiteurs", "col_pageviews": "Pages vues",
		"uniques": "Uniques", "conversions": "Conversions", "cr": "Taux de conv.", "revenue": "Revenu",
		"none":      "Aucune visite sur cette période.",
		"open":      "Ouvrir le tableau de bord",
		"why":       "Vous recevez ce rapport de %s parce que vous y êtes abonné·e, ou qu'un propriétaire du site a ajouté votre adresse.",
		"unsub":     "Se désabonner",
		"sampled":   "Estimé sur un échantillon de %s des visiteurs.",
		"time_zone": "Fuseau horaire : %s.",
		"segment":   "segment « %s »",
	},
}

// Rendered is a report written for one recipient.
type Rendered struct {
	Subject, Text, HTML string
}

// view is what the templates read.
type view struct {
	Lang, Title, Period, Domain, Compare string
	W                                    map[string]string
	Metrics                              []metricView
	Sources, Pages                       []rowView
	Goals                                []goalView
	Empty                                bool
	Sampled, TimeZone                    string
	Dashboard, Unsubscribe               string
	Why                                  string
}

type metricView struct {
	Label, Value, Change, Color string
}

type rowView struct {
	Name, Visitors, Pageviews string
	Bar                       int // percent of the first row, for the bar
}

type goalView struct {
	Name, Visitors, Events, Rate, Revenue string
}

//go:embed report.html.tmpl
var htmlSource string

//go:embed report.txt.tmpl
var textSource string

var (
	htmlTmpl = template.Must(template.New("report").Parse(htmlSource))
	textTmpl = parseText()
)

func parseText() *textTemplate.Template {
	return textTemplate.Must(textTemplate.New("report").Funcs(textTemplate.FuncMap{
		"pad": func(n int, s string) string {
			if l := len([]rune(s)); l < n {
				return s + strings.Repeat(" ", n-l)
			}
			return s
		},
	}).Parse(textSource))
}

// Render writes the report in lang, with the dashboard's and the
// unsubscribe links.
func (r *Report) Render(lang, dashboardURL, unsubscribeURL string) (Rendered, error) {
	lang = Lang(lang)
	w := words[lang]
	v := view{
		Lang: lang, Title: w[string(r.Period.Kind)], Period: formatPeriod(r.Period, lang), Domain: r.Site.Domain,
		W: w, Dashboard: dashboardURL, Unsubscribe: unsubscribeURL,
		Why:      fmt.Sprintf(w["why"], r.Site.Domain),
		TimeZone: fmt.Sprintf(w["time_zone"], r.Site.Timezone),
		Empty:    r.Visitors.Value == 0 && r.Pageviews.Value == 0,
	}
	if r.Segment != "" {
		// The period line says which visitors the numbers count.
		v.Period += " · " + fmt.Sprintf(w["segment"], r.Segment)
	}
	v.Compare = w["vs_week"]
	if r.Period.Kind == Monthly {
		v.Compare = w["vs_month"]
	}
	if r.Sampled > 0 && r.Sampled < 100 {
		v.Sampled = fmt.Sprintf(w["sampled"], formatPercent(r.Sampled, lang))
	}
	for _, m := range []struct {
		key    string
		m      Metric
		value  string
		points bool
	}{
		{"visitors", r.Visitors, formatInt(r.Visitors.Value, lang), false},
		{"pageviews", r.Pageviews, formatInt(r.Pageviews.Value, lang), false},
		{"bounce_rate", r.BounceRate, formatPercent(r.BounceRate.Value, lang), true},
		{"visit_duration", r.VisitDuration, formatDuration(r.VisitDuration.Value, lang), false},
	} {
		mv := metricView{Label: w[m.key], Value: m.value, Color: "#5b6475"}
		if m.m.Change != nil {
			c := *m.m.Change
			mv.Change = formatChange(c, m.points, lang)
			// A higher bounce rate is bad news; more of anything else good.
			good := c > 0
			if m.points {
				good = c < 0
			}
			switch {
			case c == 0:
			case good:
				mv.Color = "#167a3e"
			default:
				mv.Color = "#b42318"
			}
		}
		v.Metrics = append(v.Metrics, mv)
	}
	bars := func(rows []Row, pageviews bool) []rowView {
		var out []rowView
		for _, x := range rows {
			rv := rowView{Name: x.Name, Visitors: formatInt(float64(x.Visitors), lang), Pageviews: formatInt(float64(x.Pageviews), lang)}
			if top := rows[0].Visitors; top > 0 {
				rv.Bar = int(x.Visitors * 100 / top)
			}
			out = append(out, rv)
		}
		return out
	}
	v.Sources, v.Pages = bars(r.Sources, false), bars(r.Pages, true)
	for _, g := range r.Goals {
		v.Goals = append(v.Goals, goalView{Name: g.Name, Visitors: formatInt(float64(g.Visitors), lang),
			Events: formatInt(float64(g.Events), lang), Rate: formatPercent(g.ConversionRate, lang), Revenue: g.Revenue})
	}
	var h, t bytes.Buffer
	if err := htmlTmpl.Execute(&h, v); err != nil {
		return Rendered{}, fmt.Errorf("render report HTML: %w", err)
	}
	if err := textTmpl.Execute(&t, v); err != nil {
		return Rendered{}, fmt.Errorf("render report text: %w", err)
	}
	subject := fmt.Sprintf(w["subject"], v.Title, r.Site.Domain, formatInt(r.Visitors.Value, lang))
	if r.Visitors.Change != nil {
		subject += " (" + formatChange(*r.Visitors.Change, false, lang) + ")"
	}
	return Rendered{Subject: subject + " · " + v.Period, Text: t.String(), HTML: h.String()}, nil
}
