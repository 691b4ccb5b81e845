package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// Annotation is a note on a day or a range of days of a site, in the
// site's time zone: why the graph spiked or fell.
type Annotation struct {
	ID        string
	SiteID    uint32
	From, To  string // YYYY-MM-DD, From <= To; a single day has From == To
	Text      string
	Category  string // one of AnnotationCategories, or ""
	Author    string // the id of the user who wrote it last
	CreatedAt time.Time
}

// AnnotationCategories are the kinds of note the dashboard offers.
var AnnotationCategories = []string{"campaign", "release", "outage", "other"}

const (
	// MaxAnnotationText is long enough for a sentence or two; a note is
	// read in a tooltip, not a document.
	MaxAnnotationText = 500
	// MaxAnnotations bounds a site's notes, so that listing them all for
	// a graph stays cheap.
	MaxAnnotations = 2000
	// maxAnnotationDays bounds a range: ten years.
	maxAnnotationDays = 3660
)

// AnnotationPatch changes some fields of an annotation; nil leaves one.
type AnnotationPatch struct {
	From, To, Text, Category *string
}

func normalizeAnnotation(a *Annotation) error {
	a.Text = strings.TrimSpace(a.Text)
	a.Category = strings.ToLower(strings.TrimSpace(a.Category))
	a.From, a.To = strings.TrimSpace(a.From), strings.TrimSpace(a.To)
	if a.To == "" {
		a.To = a.From
	}
	switch {
	case a.Text == "":
		return invalidf("text is required")
	case !utf8.ValidString(a.Text) || strings.ContainsFunc(a.Text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }):
		return invalidf("text contains control characters")
	case utf8.RuneCountInString(a.Text) > MaxAnnotationText:
		return invalidf("text is too long: at most %d characters", MaxAnnotationText)
	case a.Category != "" && !slices.Contains(AnnotationCategories, a.Category):
		return invalidf("category %q: expected one of %s, or none", clip(a.Category), strings.Join(AnnotationCategories, ", "))
	}
	from, err := time.Parse(time.DateOnly, a.From)
	if err != nil {
		return invalidf("from %q: expected a date such as 2026-03-01", clip(a.From))
	}
	to, err := time.Parse(time.DateOnly, a.To)
	if err != nil {
		return invalidf("to %q: expected a date such as 2026-03-01", clip(a.To))
	}
	switch {
	case to.Before(from):
		return invalidf("the range ends (%s) before it starts (%s)", a.To, a.From)
	case from.Year() < 1971 || to.Year() > 2148:
		return invalidf("dates must lie between 1971 and 2148")
	case to.Sub(from) > maxAnnotationDays*24*time.Hour:
		return invalidf("a range spans at most %d days", maxAnnotationDays)
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// AddAnnotation writes a new note on a site.
func (s *Service) AddAnnotation(ctx context.Context, a Annotation) (Annotation, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	if err := normalizeAnnotation(&a); err != nil {
		return Annotation{}, err
	}
	if _, err := s.SiteByID(ctx, a.SiteID); err != nil {
		return Annotation{}, err
	}
	var n uint64
	if err := store.QueryRow(ctx, s.Engine, `SELECT count() FROM annotations FINAL WHERE site_id = {site:UInt32} AND deleted = 0`,
		store.Params{"site": a.SiteID}, &n); err != nil {
		return Annotation{}, fmt.Errorf("count annotations of site %d: %w", a.SiteID, err)
	}
	if n >= MaxAnnotations {
		return Annotation{}, invalidf("a site keeps at most %d annotations: delete one first", MaxAnnotations)
	}
	a.ID = uuid.NewString()
	a.CreatedAt = s.Now().UTC().Truncate(time.Millisecond)
	return a, s.writeAnnotation(ctx, a, false)
}

func (s *Service) writeAnnotation(ctx context.Context, a Annotation, deleted bool) error {
	err := s.Engine.Exec(ctx, `INSERT INTO annotations (site_id, id, day_from, day_to, text, category, author, created_at, updated_at, deleted)
		VALUES ({site:UInt32}, {id:UUID}, {from:Date}, {to:Date}, {text:String}, {cat:String}, {author:String},
		{created:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, {del:UInt8})`,
		store.Params{"site": a.SiteID, "id": a.ID, "from": a.From, "to": a.To, "text": a.Text, "cat": a.Category,
			"author": a.Author, "created": a.CreatedAt, "now": s.stamp(), "del": deleted})
	if err != nil {
		return fmt.Errorf("write annotation %s of site %d: %w", a.ID, a.SiteID, err)
	}
	return nil
}

// Annotations lists a site's notes that touch the days from..to (both
// YYYY-MM-DD; "" leaves that end open), by first day.
func (s *Service) Annotations(ctx context.Context, siteID uint32, from, to string) ([]Annotation, error) {
	q := `SELECT toString(id), site_id, toString(day_from), toString(day_to), text, toString(category), author, created_at
		FROM annotations FINAL WHERE site_id = {site:UInt32} AND deleted = 0`
	p := store.Params{"site": siteID}
	if from != "" {
		if _, err := time.Parse(time.DateOnly, from); err != nil {
			return nil, invalidf("from %q: expected a date such as 2026-03-01", clip(from))
		}
		q += ` AND day_to >= {from:Date}`
		p["from"] = from
	}
	if to != "" {
		if _, err := time.Parse(time.DateOnly, to); err != nil {
			return nil, invalidf("to %q: expected a date such as 2026-03-01", clip(to))
		}
		q += ` AND day_from <= {to:Date}`
		p["to"] = to
	}
	rows, err := s.Engine.Query(ctx, q+` ORDER BY day_from, day_to, created_at, id`, p)
	if err != nil {
		return nil, fmt.Errorf("list annotations of site %d: %w", siteID, err)
	}
	defer rows.Close()
	var out []Annotation
	for rows.Next() {
		var a Annotation
		if err := rows.Scan(&a.ID, &a.SiteID, &a.From, &a.To, &a.Text, &a.Category, &a.Author, &a.CreatedAt); err != nil {
			return nil, fmt.Errorf("list annotations of site %d: %w", siteID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list annotations of site %d: %w", siteID, err)
	}
	return out, nil
}

// Annotation finds one note of a site.
func (s *Service) Annotation(ctx context.Context, siteID uint32, id string) (Annotation, error) {
	if validID(id) {
		list, err := s.Annotations(ctx, siteID, "", "")
		if err != nil {
			return Annotation{}, err
		}
		for _, a := range list {
			if a.ID == id {
				return a, nil
			}
		}
	}
	return Annotation{}, fmt.Errorf("annotation %s: %w", clip(id), ErrNotFound)
}

// UpdateAnnotation changes a note; author is who changed it.
func (s *Service) UpdateAnnotation(ctx context.Context, siteID uint32, id, author string, p AnnotationPatch) (Annotation, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	a, err := s.Annotation(ctx, siteID, id)
	if err != nil {
		return Annotation{}, err
	}
	if p.From != nil {
		a.From = *p.From
		if p.To == nil && a.To < a.From {
			a.To = a.From // moving a one-day note moves its end too
		}
	}
	if p.To != nil {
		a.To = *p.To
	}
	if p.Text != nil {
		a.Text = *p.Text
	}
	if p.Category != nil {
		a.Category = *p.Category
	}
	if err := normalizeAnnotation(&a); err != nil {
		return Annotation{}, err
	}
	a.Author = author
	return a, s.writeAnnotation(ctx, a, false)
}

// DeleteAnnotation removes a note.
func (s *Service) DeleteAnnotation(ctx context.Context, siteID uint32, id string) error {
	s.writes.Lock()
	defer s.writes.Unlock()
	a, err := s.Annotation(ctx, siteID, id)
	if err != nil {
		return err
	}
	return s.writeAnnotation(ctx, a, true)
}

// AnnotationsShared tells whether the site's shared links show its notes.
func (s *Service) AnnotationsShared(ctx context.Context, siteID uint32) (bool, error) {
	var shared bool
	err := store.QueryRow(ctx, s.Engine, `SELECT shared FROM annotation_settings FINAL WHERE site_id = {site:UInt32}`,
		store.Params{"site": siteID}, &shared)
	if errors.Is(err, store.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read annotation sharing of site %d: %w", siteID, err)
	}
	return shared, nil
}

// SetAnnotationsShared sets whether the site's shared links show its notes.
func (s *Service) SetAnnotationsShared(ctx context.Context, siteID uint32, shared bool) error {
	err := s.Engine.Exec(ctx, `INSERT INTO annotation_settings (site_id, shared, updated_at) VALUES ({site:UInt32}, {shared:UInt8}, {now:DateTime64(6, 'UTC')})`,
		store.Params{"site": siteID, "shared": shared, "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("set annotation sharing of site %d: %w", siteID, err)
	}
	return nil
}

// AnnotationsCSV lays notes out as the rows of annotations.csv.
func AnnotationsCSV(list []Annotation) (header []string, lines [][]string) {
	header = []string{"from", "to", "category", "text"}
	for _, a := range list {
		lines = append(lines, []string{a.From, a.To, a.Category, sillage.CSVText(a.Text)})
	}
	return header, lines
}
