package accounts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// ErrInUse refuses to delete what something else still refers to.
var ErrInUse = errors.New("still in use")

// Goal is a conversion a site counts, the type the stats engine counts.
type Goal = sillage.Goal

// Funnel is an ordered list of 2 to 8 goals that a visitor completes within
// a window.
type Funnel struct {
	ID            string
	SiteID        uint32
	Name          string
	Steps         []string // goal ids
	WindowSeconds uint32
}

const (
	maxNameLength     = 120
	maxPathLength     = 2000
	MinFunnelSteps    = 2
	MaxFunnelSteps    = 8
	DefaultFunnelSpan = 24 * time.Hour
	MaxFunnelSpan     = 90 * 24 * time.Hour
)

// validID reports whether id is a UUID, so a malformed id from a URL is
// "not found" rather than an engine error.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

func checkName(what, name string, max int) error {
	switch {
	case name == "":
		return invalidf("%s is required", what)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return invalidf("%s contains control characters", what)
	case utf8.RuneCountInString(name) > max:
		return invalidf("%s is too long: at most %d characters", what, max)
	}
	return nil
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// ValidatePagePattern checks a page goal's path pattern: an absolute path
// where * stands for any characters but "/" and ** for any characters.
func ValidatePagePattern(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return invalidf("page path %q must start with /", p)
	case len(p) > maxPathLength:
		return invalidf("page path is too long: at most %d bytes", maxPathLength)
	case !utf8.ValidString(p) || strings.ContainsFunc(p, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }):
		return invalidf("page path %q contains spaces or control characters", p)
	case strings.Contains(p, "***"):
		return invalidf("page path %q: use * for one path segment or ** for any depth", p)
	}
	return nil
}

func normalizeGoal(g *Goal) error {
	g.EventName = strings.TrimSpace(g.EventName)
	g.PagePath = strings.TrimSpace(g.PagePath)
	g.DisplayName = strings.TrimSpace(g.DisplayName)
	g.Currency = strings.ToUpper(strings.TrimSpace(g.Currency))
	switch {
	case g.EventName != "" && g.PagePath != "":
		return invalidf("a goal is either a page path or an event name, not both")
	case g.EventName == "" && g.PagePath == "":
		return invalidf("a goal needs a page path or an event name")
	case g.ScrollThreshold > 100:
		return invalidf("scroll threshold %d: expected a percentage from 1 to 100", g.ScrollThreshold)
	case g.ScrollThreshold > 0 && g.PagePath == "":
		return invalidf("only page goals take a scroll threshold")
	case g.PagePath != "":
		if err := ValidatePagePattern(g.PagePath); err != nil {
			return err
		}
		if g.Currency != "" {
			return invalidf("only event goals carry revenue; a page goal takes no currency")
		}
		if g.DisplayName == "" {
			g.DisplayName = g.Name()
		}
	default:
		if err := checkName("event name", g.EventName, maxNameLength); err != nil {
			return err
		}
		if g.Currency != "" && !currencyCode.MatchString(g.Currency) {
			return invalidf("currency %q: expected an ISO 4217 code such as EUR", g.Currency)
		}
		if g.DisplayName == "" {
			g.DisplayName = g.EventName
		}
	}
	return checkName("display name", g.DisplayName, maxNameLength)
}

// AddGoal creates a goal on a site. The same page pattern or event name,
// or the same display name, cannot be a goal twice (ErrExists).
func (s *Service) AddGoal(ctx context.Context, g Goal) (Goal, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	if err := normalizeGoal(&g); err != nil {
		return Goal{}, err
	}
	if _, err := s.SiteByID(ctx, g.SiteID); err != nil {
		return Goal{}, err
	}
	goals, err := s.Goals(ctx, g.SiteID)
	if err != nil {
		return Goal{}, err
	}
	for _, o := range goals {
		if o.EventName == g.EventName && o.PagePath == g.PagePath && o.ScrollThreshold == g.ScrollThreshold {
			return Goal{}, fmt.Errorf("goal %q: %w", g.DisplayName, ErrExists)
		}
		if strings.EqualFold(o.DisplayName, g.DisplayName) {
			return Goal{}, fmt.Errorf("goal named %q: %w", g.DisplayName, ErrExists)
		}
	}
	g.ID = uuid.NewString()
	if err := s.writeGoal(ctx, g, false); err != nil {
		return Goal{}, err
	}
	return g, nil
}

func (s *Service) writeGoal(ctx context.Context, g Goal, deleted bool) error {
	err := s.Engine.Exec(ctx, `INSERT INTO goals (site_id, id, event_name, page_path, currency, display_name, scroll_threshold, updated_at, deleted)
		VALUES ({site:UInt32}, {id:UUID}, {event:String}, {path:String}, {cur:String}, {name:String}, {scroll:UInt8}, {now:DateTime64(6, 'UTC')}, {del:UInt8})`,
		store.Params{"site": g.SiteID, "id": g.ID, "event": g.EventName, "path": g.PagePath, "cur": g.Currency,
			"name": g.DisplayName, "scroll": g.ScrollThreshold, "now": s.stamp(), "del": deleted})
	if err != nil {
		return fmt.Errorf("write goal %q of site %d: %w", g.DisplayName, g.SiteID, err)
	}
	return nil
}

// Goals lists a site's goals by display name.
func (s *Service) Goals(ctx context.Context, siteID uint32) ([]Goal, error) {
	rows, err := s.Engine.Query(ctx, `SELECT site_id, toString(id), event_name, page_path, toString(currency), display_name, scroll_threshold
		FROM goals FINAL WHERE deleted = 0 AND site_id = {site:UInt32} ORDER BY display_name, id`, store.Params{"site": siteID})
	if err != nil {
		return nil, fmt.Errorf("list goals of site %d: %w", siteID, err)
	}
	defer rows.Close()
	var out []Goal
	for rows.Next() {
		var g Goal
		if err := rows.Scan(&g.SiteID, &g.ID, &g.EventName, &g.PagePath, &g.Currency, &g.DisplayName, &g.ScrollThreshold); err != nil {
			return nil, fmt.Errorf("list goals of site %d: %w", siteID, err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list goals of site %d: %w", siteID, err)
	}
	return out, nil
}

// Goal finds one goal of a site.
func (s *Service) Goal(ctx context.Context, siteID uint32, id string) (Goal, error) {
	goals, err := s.Goals(ctx, siteID)
	if err != nil {
		return Goal{}, err
	}
	for _, g := range goals {
		if g.ID == id {
			return g, nil
		}
	}
	return Goal{}, fmt.Errorf("goal %s: %w", id, ErrNotFound)
}

// DeleteGoal removes a goal. A goal that is a step of a funnel stays
// (ErrInUse): delete the funnel first.
func (s *Service) DeleteGoal(ctx context.Context, siteID uint32, id string) error {
	g, err := s.Goal(ctx, siteID, id)
	if err != nil {
		return err
	}
	funnels, err := s.Funnels(ctx, siteID)
	if err != nil {
		return err
	}
	for _, f := range funnels {
		if slices.Contains(f.Steps, id) {
			return fmt.Errorf("goal %q is a step of funnel %q: %w", g.DisplayName, f.Name, ErrInUse)
		}
	}
	return s.writeGoal(ctx, g, true)
}

// checkFunnel validates and completes f, and refuses the name of another
// funnel of the site (a new funnel has no ID yet).
func (s *Service) checkFunnel(ctx context.Context, f *Funnel) error {
	f.Name = strings.TrimSpace(f.Name)
	if err := checkName("funnel name", f.Name, maxNameLength); err != nil {
		return err
	}
	if len(f.Steps) < MinFunnelSteps || len(f.Steps) > MaxFunnelSteps {
		return invalidf("a funnel has %d to %d steps, not %d", MinFunnelSteps, MaxFunnelSteps, len(f.Steps))
	}
	if f.WindowSeconds == 0 {
		f.WindowSeconds = uint32(DefaultFunnelSpan / time.Second)
	}
	if f.WindowSeconds > uint32(MaxFunnelSpan/time.Second) {
		return invalidf("a funnel's window is at most %d seconds", uint32(MaxFunnelSpan/time.Second))
	}
	goals, err := s.Goals(ctx, f.SiteID)
	if err != nil {
		return err
	}
	for i, step := range f.Steps {
		if !slices.ContainsFunc(goals, func(g Goal) bool { return g.ID == step }) {
			return invalidf("step %d: %q is not a goal of this site", i+1, step)
		}
		if slices.Index(f.Steps, step) != i {
			return invalidf("step %d repeats a goal of an earlier step", i+1)
		}
	}
	funnels, err := s.Funnels(ctx, f.SiteID)
	if err != nil {
		return err
	}
	for _, o := range funnels {
		if o.ID != f.ID && strings.EqualFold(o.Name, f.Name) {
			return fmt.Errorf("funnel %q: %w", f.Name, ErrExists)
		}
	}
	return nil
}

// AddFunnel creates a funnel over goals of the same site. A zero window
// means one day.
func (s *Service) AddFunnel(ctx context.Context, f Funnel) (Funnel, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	f.Steps = slices.Clone(f.Steps)
	if _, err := s.SiteByID(ctx, f.SiteID); err != nil {
		return Funnel{}, err
	}
	if err := s.checkFunnel(ctx, &f); err != nil {
		return Funnel{}, err
	}
	f.ID = uuid.NewString()
	return f, s.writeFunnel(ctx, f, false)
}

func (s *Service) writeFunnel(ctx context.Context, f Funnel, deleted bool) error {
	err := s.Engine.Exec(ctx, `INSERT INTO funnels (site_id, id, name, steps, window_seconds, updated_at, deleted)
		VALUES ({site:UInt32}, {id:UUID}, {name:String}, {steps:Array(UUID)}, {win:UInt32}, {now:DateTime64(6, 'UTC')}, {del:UInt8})`,
		store.Params{"site": f.SiteID, "id": f.ID, "name": f.Name, "steps": f.Steps, "win": f.WindowSeconds,
			"now": s.stamp(), "del": deleted})
	if err != nil {
		return fmt.Errorf("write funnel %q of site %d: %w", f.Name, f.SiteID, err)
	}
	return nil
}

// Funnels lists a site's funnels by name.
func (s *Service) Funnels(ctx context.Context, siteID uint32) ([]Funnel, error) {
	rows, err := s.Engine.Query(ctx, `SELECT site_id, toString(id), name, arrayMap(x -> toString(x), steps), window_seconds
		FROM funnels FINAL WHERE deleted = 0 AND site_id = {site:UInt32} ORDER BY name, id`, store.Params{"site": siteID})
	if err != nil {
		return nil, fmt.Errorf("list funnels of site %d: %w", siteID, err)
	}
	defer rows.Close()
	var out []Funnel
	for rows.Next() {
		var f Funnel
		if err := rows.Scan(&f.SiteID, &f.ID, &f.Name, &f.Steps, &f.WindowSeconds); err != nil {
			return nil, fmt.Errorf("list funnels of site %d: %w", siteID, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list funnels of site %d: %w", siteID, err)
	}
	return out, nil
}

// Funnel finds one funnel of a site.
func (s *Service) Funnel(ctx context.Context, siteID uint32, id string) (Funnel, error) {
	if validID(id) {
		funnels, err := s.Funnels(ctx, siteID)
		if err != nil {
			return Funnel{}, err
		}
		for _, f := range funnels {
			if f.ID == id {
				return f, nil
			}
		}
	}
	return Funnel{}, fmt.Errorf("funnel %s: %w", id, ErrNotFound)
}

// DeleteFunnel removes a funnel.
func (s *Service) DeleteFunnel(ctx context.Context, siteID uint32, id string) error {
	f, err := s.Funnel(ctx, siteID, id)
	if err != nil {
		return err
	}
	return s.writeFunnel(ctx, f, true)
}
