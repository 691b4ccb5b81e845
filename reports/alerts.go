package reports

import (
	"context"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/internal/mail"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/store"
)

// Traffic alerts.
//
// A spike: the current visitors (the dashboard's realtime count: unique
// visitors of the last 5 minutes) reach the owner's threshold. Checked
// every SpikeEvery while no cool-down runs.
//
// A drop: a finished day (yesterday, in the site's time zone) had fewer
// than half the visitors of its usual, the usual being the median of the
// same weekday over the 4 weeks before (days without visits count as 0),
// and that usual at least MinDropBaseline visitors, so that a quiet site's
// noise alerts nobody. Checked once a day, from SendHour in the site's
// time zone.
//
// Each alert then stays silent for the site's cool-down (CooldownHours);
// for the daily drop check that is whole days (24 h or less: the next day).

const (
	// SpikeEvery is how often a site's current visitors are checked.
	SpikeEvery = 5 * time.Minute
	// MinDropBaseline is the usual daily visitors below which no drop is
	// told.
	MinDropBaseline = 10
	// DefaultCooldown is the cool-down of a new alert setting.
	DefaultCooldown = 24
	// DropRatio: a day under this share of its usual is a drop.
	DropRatio = 0.5
)

// AlertKind names an alert.
type AlertKind string

const (
	Spike AlertKind = "spike"
	Drop  AlertKind = "drop"
)

// AlertSettings are a site's traffic alerts.
type AlertSettings struct {
	// SpikeVisitors is the threshold of current visitors; 0 turns the
	// spike alert off.
	SpikeVisitors uint32 `json:"spike_visitors"`
	Drop          bool   `json:"drop"`
	CooldownHours uint16 `json:"cooldown_hours"`
	// Recipients are the user ids of the members alerted.
	Recipients []string `json:"-"`
	Lang       string   `json:"lang"`
}

// MaxCooldownHours bounds a cool-down: a month.
const MaxCooldownHours = 24 * 31

// Alerts returns a site's alert settings; a site without any gets them off.
func (s *Service) Alerts(ctx context.Context, siteID uint32) (AlertSettings, error) {
	all, err := s.allAlerts(ctx, siteID)
	if err != nil {
		return AlertSettings{}, err
	}
	if a, ok := all[siteID]; ok {
		return a, nil
	}
	return AlertSettings{CooldownHours: DefaultCooldown, Lang: "en"}, nil
}

// allAlerts reads the alert settings of a site (0: every site's).
func (s *Service) allAlerts(ctx context.Context, siteID uint32) (map[uint32]AlertSettings, error) {
	rows, err := s.Engine.Query(ctx, `SELECT site_id, spike_visitors, drop_enabled, cooldown_hours, recipients, lang
		FROM alert_settings FINAL WHERE deleted = 0 AND ({site:UInt32} = 0 OR site_id = {site:UInt32})`, store.Params{"site": siteID})
	if err != nil {
		return nil, fmt.Errorf("read alert settings: %w", err)
	}
	defer rows.Close()
	out := map[uint32]AlertSettings{}
	for rows.Next() {
		var id uint32
		var a AlertSettings
		if err := rows.Scan(&id, &a.SpikeVisitors, &a.Drop, &a.CooldownHours, &a.Recipients, &a.Lang); err != nil {
			return nil, fmt.Errorf("read alert settings: %w", err)
		}
		out[id] = a
	}
	return out, rows.Err()
}

// SetAlerts saves a site's alert settings. Recipients must be members.
func (s *Service) SetAlerts(ctx context.Context, siteID uint32, a AlertSettings) error {
	if a.CooldownHours < 1 || a.CooldownHours > MaxCooldownHours {
		return fmt.Errorf("%w: the cool-down is 1 to %d hours", accounts.ErrInvalid, MaxCooldownHours)
	}
	if a.Recipients == nil {
		a.Recipients = []string{}
	}
	a.Lang = Lang(a.Lang)
	err := s.Engine.Exec(ctx, `INSERT INTO alert_settings (site_id, spike_visitors, drop_enabled, cooldown_hours, recipients, lang, updated_at, deleted)
		VALUES ({site:UInt32}, {spike:UInt32}, {drop:UInt8}, {cool:UInt16}, {to:Array(String)}, {lang:String}, {now:DateTime64(6, 'UTC')}, 0)`,
		store.Params{"site": siteID, "spike": a.SpikeVisitors, "drop": a.Drop, "cool": a.CooldownHours, "to": a.Recipients,
			"lang": a.Lang, "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("save alert settings of site %d: %w", siteID, err)
	}
	return nil
}

// alertFired is when an alert last fired, and what for (the day, for a drop).
type alertFired struct {
	at     time.Time
	detail string
}

func (s *Service) lastFired(ctx context.Context, siteID uint32, kind AlertKind) (alertFired, error) {
	rows, err := s.Engine.Query(ctx, `SELECT fired_at, detail FROM alert_state FINAL WHERE site_id = {site:UInt32} AND kind = {kind:String}`,
		store.Params{"site": siteID, "kind": string(kind)})
	if err != nil {
		return alertFired{}, fmt.Errorf("read alert state of site %d: %w", siteID, err)
	}
	defer rows.Close()
	var f alertFired
	if rows.Next() {
		if err := rows.Scan(&f.at, &f.detail); err != nil {
			return alertFired{}, fmt.Errorf("read alert state of site %d: %w", siteID, err)
		}
	}
	return f, rows.Err()
}

func (s *Service) fired(ctx context.Context, siteID uint32, kind AlertKind, f alertFired) error {
	err := s.Engine.Exec(ctx, `INSERT INTO alert_state (site_id, kind, fired_at, detail, updated_at)
		VALUES ({site:UInt32}, {kind:String}, {at:DateTime('UTC')}, {detail:String}, {now:DateTime64(6, 'UTC')})`,
		store.Params{"site": siteID, "kind": string(kind), "at": f.at.UTC().Truncate(time.Second), "detail": f.detail, "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("record %s alert of site %d: %w", kind, siteID, err)
	}
	return nil
}

// alertRecipients are the addresses of the recipients still members.
func (s *Service) alertRecipients(ctx context.Context, siteID uint32, ids []string) ([]string, error) {
	members, err := s.Accounts.Members(ctx, siteID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range members {
		if slices.Contains(ids, m.UserID) {
			out = append(out, m.Email)
		}
	}
	return out, nil
}

// checkSpike runs the spike check of a site: it reports whether it fired.
func (s *Service) checkSpike(ctx context.Context, site sillage.Site, a AlertSettings) (bool, error) {
	now := s.now()
	last, err := s.lastFired(ctx, site.ID, Spike)
	if err != nil {
		return false, err
	}
	if !last.at.IsZero() && now.Before(last.at.Add(time.Duration(a.CooldownHours)*time.Hour)) {
		return false, nil
	}
	n, err := s.stats().Realtime(ctx, site)
	if err != nil {
		return false, fmt.Errorf("spike check of %s: %w", site.Domain, err)
	}
	if n < uint64(a.SpikeVisitors) {
		return false, nil
	}
	// Processes checking in the same SpikeEvery slot make the same key:
	// the Sender sends it once.
	slot := now.UTC().Truncate(SpikeEvery)
	msg := alertMessage(a.Lang, Spike, site, func(w map[string]string, lang string) (string, string) {
		v := formatInt(float64(n), lang)
		return fmt.Sprintf(w["spike_subject"], site.Domain, v),
			fmt.Sprintf(w["spike_body"], v, site.Domain, formatTime(now, location(site), lang), formatInt(float64(a.SpikeVisitors), lang))
	})
	key := fmt.Sprintf("alert:%d:spike:%s", site.ID, slot.Format(time.RFC3339))
	if err := s.sendAlert(ctx, site, a, key, msg); err != nil {
		return false, err
	}
	return true, s.fired(ctx, site.ID, Spike, alertFired{at: now, detail: fmt.Sprint(n)})
}

// checkDrop runs the drop check of a site for the day before today (in the
// site's time zone): it reports whether it fired.
func (s *Service) checkDrop(ctx context.Context, site sillage.Site, a AlertSettings, day Date) (bool, error) {
	last, err := s.lastFired(ctx, site.ID, Drop)
	if err != nil {
		return false, err
	}
	if last.detail == day.String() {
		return false, nil // told already, by this process or another
	}
	if last.detail != "" {
		days := max(1, int(a.CooldownHours+23)/24)
		if prev, err := time.Parse(time.DateOnly, last.detail); err == nil && day.add(-days).String() < prev.Format(time.DateOnly) {
			return false, nil
		}
	}
	visitors, usual, err := s.dayAndUsual(ctx, site, day)
	if err != nil {
		return false, err
	}
	if !IsDrop(visitors, usual) {
		return false, nil
	}
	msg := alertMessage(a.Lang, Drop, site, func(w map[string]string, lang string) (string, string) {
		d := formatDay(day, lang)
		return fmt.Sprintf(w["drop_subject"], site.Domain, formatInt(float64(visitors), lang), d),
			fmt.Sprintf(w["drop_body"], d, site.Domain, formatInt(float64(visitors), lang), formatInt(usual, lang))
	})
	key := fmt.Sprintf("alert:%d:drop:%s", site.ID, day)
	if err := s.sendAlert(ctx, site, a, key, msg); err != nil {
		return false, err
	}
	return true, s.fired(ctx, site.ID, Drop, alertFired{at: s.now(), detail: day.String()})
}

// IsDrop tells whether a day's visitors are a drop from its usual.
func IsDrop(visitors uint64, usual float64) bool {
	return usual >= MinDropBaseline && float64(visitors) < usual*DropRatio
}

// dayAndUsual counts a day's visitors and its usual: the median of the
// same weekday's over the 4 weeks before.
func (s *Service) dayAndUsual(ctx context.Context, site sillage.Site, day Date) (uint64, float64, error) {
	resp, err := s.stats().Run(ctx, site, nil, &stats.Query{
		SiteID: site.Domain, Metrics: []string{stats.MVisitors}, Dimensions: []string{"time:day"},
		DateRange: stats.DateRange{From: day.add(-28).String(), To: day.String()},
	})
	if err != nil {
		return 0, 0, fmt.Errorf("drop check of %s: %w", site.Domain, err)
	}
	byDay := map[string]uint64{}
	for _, r := range resp.Results {
		v, _ := num(r.Metrics[0])
		byDay[fmt.Sprint(r.Dimensions[0])] = uint64(v)
	}
	var weeks []float64
	for w := 1; w <= 4; w++ {
		weeks = append(weeks, float64(byDay[day.add(-7*w).String()]))
	}
	return byDay[day.String()], median(weeks), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

var alertWords = map[string]map[string]string{
	"en": {
		"spike_subject": "Traffic spike on %s: %s current visitors",
		"spike_body":    "%s visitors are on %s right now (%s), at or above your alert threshold of %s.",
		"drop_subject":  "Traffic drop on %s: %s visitors on %s",
		"drop_body":     "On %s, %s had %s visitors, under half its usual %s (the median of the same weekday over the 4 weeks before). Is the tracking script still on every page?",
		"open":          "Open the dashboard",
		"settings":      "Change these alerts",
		"why":           "You receive this alert because an owner or admin of %s chose you as a recipient.",
	},
	"fr": {
		"spike_subject": "Pic de trafic sur %s : %s visiteurs en ce moment",
		"spike_body":    "%s visiteurs sont sur %s en ce moment (%s), au-dessus du seuil d'alerte de %s.",
		"drop_subject":  "Baisse de trafic sur %s : %s visiteurs le %s",
		"drop_body":     "Le %s, %s a reçu %s visiteurs, moins de la moitié de son habitude (%s : la médiane du même jour de la semaine sur les 4 semaines précédentes). Le script de suivi est-il toujours sur chaque page ?",
		"open":          "Ouvrir le tableau de bord",
		"settings":      "Modifier ces alertes",
		"why":           "Vous recevez cette alerte parce qu'un propriétaire ou administrateur de %s vous a choisi·e comme destinataire.",
	},
}

// alertMsg is an alert before its links are known.
type alertMsg struct {
	lang          string
	subject, body string
}

func alertMessage(lang string, _ AlertKind, _ sillage.Site, f func(map[string]string, string) (string, string)) alertMsg {
	lang = Lang(lang)
	subj, body := f(alertWords[lang], lang)
	return alertMsg{lang: lang, subject: subj, body: body}
}

var alertHTML = template.Must(template.New("alert").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:0;background:#f5f6f8;color:#1b2130;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;font-size:15px;line-height:1.45">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f5f6f8"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px"><tr><td style="background:#ffffff;border:1px solid #e3e6ec;border-radius:10px;padding:24px">
<h1 style="margin:0 0 12px 0;font-size:19px;line-height:1.3">{{.Subject}}</h1>
<p style="margin:0 0 20px 0">{{.Body}}</p>
<a href="{{.Dashboard}}" style="display:inline-block;background:#2f5bd3;color:#ffffff;text-decoration:none;font-weight:600;padding:10px 18px;border-radius:8px">{{.Open}}</a>
</td></tr>
<tr><td style="padding:14px 4px;color:#5b6475;font-size:12px;text-align:center">{{.Why}} <a href="{{.Settings}}" style="color:#5b6475">{{.SettingsLabel}}</a></td></tr>
</table></td></tr></table></body></html>`))

// sendAlert sends an alert to each of its recipients.
func (s *Service) sendAlert(ctx context.Context, site sillage.Site, a AlertSettings, key string, m alertMsg) error {
	to, err := s.alertRecipients(ctx, site.ID, a.Recipients)
	if err != nil {
		return err
	}
	w := alertWords[m.lang]
	dash, settings := s.link(sitePath(site.Domain)), s.link(sitePath(site.Domain)+"/settings/reports")
	why := fmt.Sprintf(w["why"], site.Domain)
	var h strings.Builder
	if err := alertHTML.Execute(&h, map[string]string{"Lang": m.lang, "Subject": m.subject, "Body": m.body, "Dashboard": dash,
		"Open": w["open"], "Why": why, "Settings": settings, "SettingsLabel": w["settings"]}); err != nil {
		return fmt.Errorf("render alert: %w", err)
	}
	text := m.body + "\n\n" + w["open"] + ": " + dash + "\n\n" + why + "\n" + w["settings"] + ": " + settings + "\n"
	var errs []error
	for _, addr := range to {
		err := s.Sender.Send(ctx, key+":"+addr, mail.Message{To: []string{addr}, Subject: m.subject, Text: text, HTML: h.String()})
		if err != nil {
			errs = append(errs, fmt.Errorf("send %s to %s: %w", key, addr, err))
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

var dayNames = map[string][7]string{
	"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	"fr": {"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
}

func formatDay(d Date, lang string) string {
	wd := dayNames[lang][d.weekday()]
	if lang == "fr" {
		return fmt.Sprintf("%s %d %s", wd, d.Day, monthNames["fr"][d.Month-1])
	}
	return fmt.Sprintf("%s, %s %d", wd, monthNames["en"][d.Month-1], d.Day)
}

// location is a site's time zone; an unknown one (which validation
// refuses) is UTC.
func location(site sillage.Site) *time.Location {
	if l, err := time.LoadLocation(site.Timezone); err == nil {
		return l
	}
	return time.UTC
}
