package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/reports"
)

// Saved segments, as Plausible's: any member who logs in keeps personal
// segments, which only they see; admins and owners manage the shared
// ones, which every member, API key and shared link of the site sees and
// applies. Keys and links only read. Another account's personal segment
// is "not found", as a missing one.

func (a *API) segmentRoutes() {
	a.serve("GET /api/sites/{domain}/segments", siteRead, a.listSegments)
	a.serve("POST /api/sites/{domain}/segments", siteRead, a.addSegment)
	a.serve("PATCH /api/sites/{domain}/segments/{id}", siteRead, a.updateSegment)
	a.serve("DELETE /api/sites/{domain}/segments/{id}", siteRead, a.deleteSegment)
}

type segmentJSON struct {
	ID        uint64         `json:"id"`
	Name      string         `json:"name"`
	Filters   []stats.Filter `json:"filters"`
	Shared    bool           `json:"shared"`
	Mine      bool           `json:"mine"`     // the caller made it
	CanEdit   bool           `json:"can_edit"` // the caller may rename, change or delete it
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// segmentReader is whose personal segments a caller sees: the account
// logged in or the key's owner; nobody's for a shared link.
func segmentReader(acc Access) string {
	if acc.Via == ViaSharedLink {
		return ""
	}
	return acc.UserID
}

// canEditSegment: members by login only; a personal segment by its
// owner, a shared one by admins and owners.
func canEditSegment(acc Access, g accounts.Segment) bool {
	if acc.Via != ViaSession {
		return false
	}
	if g.Shared {
		return accounts.RoleRank(acc.Role) >= accounts.RoleRank(sillage.RoleAdmin)
	}
	return g.OwnerID == acc.UserID
}

func toSegmentJSON(acc Access, g accounts.Segment) segmentJSON {
	return segmentJSON{ID: g.ID, Name: g.Name, Filters: g.Filters, Shared: g.Shared,
		Mine: acc.Via != ViaSharedLink && g.OwnerID == acc.UserID, CanEdit: canEditSegment(acc, g),
		CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

func (a *API) listSegments(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	segs, err := a.acc.Segments(r.Context(), g.site.ID, segmentReader(g.acc))
	if err != nil {
		return err
	}
	out := make([]segmentJSON, 0, len(segs))
	for _, s := range segs {
		out = append(out, toSegmentJSON(g.acc, s))
	}
	writeJSON(w, http.StatusOK, map[string]any{"segments": out})
	return nil
}

// segmentInput is a request's segment; absent fields of a PATCH keep
// their value.
type segmentInput struct {
	Name    *string         `json:"name"`
	Filters json.RawMessage `json:"filters"`
	Shared  *bool           `json:"shared"`
}

func mayShare(acc Access) error {
	if accounts.RoleRank(acc.Role) < accounts.RoleRank(sillage.RoleAdmin) {
		return forbidden("only admins and owners of the site share segments; save it as a personal segment")
	}
	return nil
}

func (a *API) addSegment(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	if g.acc.Via != ViaSession {
		return forbidden("segments are saved by members who log in to the dashboard")
	}
	var in segmentInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return badRequest("name: required")
	}
	if in.Filters == nil {
		return badRequest("filters: expected a non-empty list of filters")
	}
	fs, err := accounts.ParseSegmentFilters(in.Filters)
	if err != nil {
		return err
	}
	shared := in.Shared != nil && *in.Shared
	if shared {
		if err := mayShare(g.acc); err != nil {
			return err
		}
	}
	seg, err := a.acc.AddSegment(r.Context(), accounts.Segment{SiteID: g.site.ID, OwnerID: g.acc.UserID, Name: *in.Name, Filters: fs, Shared: shared})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toSegmentJSON(g.acc, seg))
	return nil
}

// editableSegment finds the segment of the route that the caller may
// change: 404 when they do not see it, 403 when they only see it.
func (a *API) editableSegment(r *http.Request) (accounts.Segment, error) {
	g := granted(r)
	id, err := stats.SegmentID(r.PathValue("id"))
	if err != nil {
		return accounts.Segment{}, notFound("no such segment")
	}
	seg, err := a.acc.SegmentFor(r.Context(), g.site.ID, id, segmentReader(g.acc))
	if err != nil {
		return accounts.Segment{}, err
	}
	if !canEditSegment(g.acc, seg) {
		if g.acc.Via != ViaSession {
			return accounts.Segment{}, forbidden("segments are changed by members who log in to the dashboard")
		}
		return accounts.Segment{}, forbidden("only admins and owners of the site change its shared segments")
	}
	return seg, nil
}

func (a *API) updateSegment(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	seg, err := a.editableSegment(r)
	if err != nil {
		return err
	}
	var in segmentInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Name != nil {
		seg.Name = *in.Name
	}
	if in.Filters != nil {
		if seg.Filters, err = accounts.ParseSegmentFilters(in.Filters); err != nil {
			return err
		}
	}
	if in.Shared != nil && *in.Shared != seg.Shared {
		if err := mayShare(g.acc); err != nil {
			return err
		}
		if !*in.Shared {
			// A shared segment made personal becomes its editor's: the
			// reports of others that use it must let go of it first.
			if err := a.segmentInUse(r, seg, g.acc.UserID); err != nil {
				return err
			}
			seg.OwnerID = g.acc.UserID
		}
		seg.Shared = *in.Shared
	}
	seg, err = a.acc.UpdateSegment(r.Context(), seg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSegmentJSON(g.acc, seg))
	return nil
}

func (a *API) deleteSegment(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	seg, err := a.editableSegment(r)
	if err != nil {
		return err
	}
	if err := a.segmentInUse(r, seg, ""); err != nil {
		return err
	}
	if err := a.acc.DeleteSegment(r.Context(), g.site.ID, seg.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// segmentInUse answers 409, naming the email reports restricted to the
// segment (but those of except, a member's account). The addresses an
// owner added are named to owners only, who alone may list them.
func (a *API) segmentInUse(r *http.Request, seg accounts.Segment, except string) error {
	if a.reports == nil {
		return nil
	}
	uses, err := a.reports.SegmentUses(r.Context(), seg.SiteID, seg.ID)
	if err != nil {
		return err
	}
	owner := granted(r).acc.Role == sillage.RoleOwner
	var names []string
	for _, u := range uses {
		switch {
		case except != "" && u.UserID == except:
		case u.UserID == "" && !owner:
			names = append(names, fmt.Sprintf("the %s report an owner sends to an address", u.Kind))
		default:
			names = append(names, fmt.Sprintf("the %s report to %s", u.Kind, reports.MaskEmail(u.Email)))
		}
	}
	if len(names) == 0 {
		return nil
	}
	return &httpError{http.StatusConflict, fmt.Sprintf("segment %q is used by %s: take it off %s first",
		seg.Name, strings.Join(names, ", "), map[bool]string{true: "that report", false: "those reports"}[len(names) == 1]), accounts.ErrInUse}
}

// reportSegment checks the segment a report subscription asks for: one
// the recipient sees (userID; "" for an address an owner added, which
// takes shared segments only).
func (a *API) reportSegment(r *http.Request, siteID uint32, id uint64, userID string) error {
	if id == 0 {
		return nil
	}
	if _, err := a.acc.SegmentFor(r.Context(), siteID, id, userID); err != nil {
		return badRequest("segment: no segment %s that this report's recipient may see", strconv.FormatUint(id, 10))
	}
	return nil
}

// ExpandSegments replaces the segment filters of q with the filters of
// segments its caller sees (their own and the site's shared ones; the
// shared ones alone through a shared link). A missing segment, another
// site's and another account's personal one get the same answer, so that
// an id tells nothing.
func (a *API) ExpandSegments(ctx context.Context, site sillage.Site, acc Access, q *stats.Query) error {
	if len(q.SegmentIDs()) == 0 {
		return nil
	}
	reader := acc.UserID
	if acc.Via == ViaSharedLink {
		reader = ""
	}
	return q.ExpandSegments(func(id uint64) ([]stats.Filter, error) {
		seg, err := a.acc.SegmentFor(ctx, site.ID, id, reader)
		if errors.Is(err, accounts.ErrNotFound) {
			// Plausible's words; like them, they tell nothing of the id.
			return nil, &stats.QueryError{Field: "filters", Message: "Invalid filters. Some segments don't exist or aren't accessible."}
		}
		return seg.Filters, err
	})
}
