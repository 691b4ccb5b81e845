package api

import (
	"net/http"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
)

// Annotations: notes on a day or a range of a site's graph. Members and
// the site's API keys read them; shared links read them only when the
// owner chose so; owners and admins write them (by login: a note has an
// author).

func (a *API) annotationRoutes() {
	a.serve("GET /api/sites/{domain}/annotations", siteRead, a.listAnnotations)
	a.serve("POST /api/sites/{domain}/annotations", siteAdmin, a.addAnnotation)
	a.serve("PATCH /api/sites/{domain}/annotations/{id}", siteAdmin, a.updateAnnotation)
	a.serve("DELETE /api/sites/{domain}/annotations/{id}", siteAdmin, a.deleteAnnotation)
	a.serve("PUT /api/sites/{domain}/annotations/sharing", siteOwner, a.putAnnotationSharing)
}

type annotationJSON struct {
	ID        string    `json:"id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Text      string    `json:"text"`
	Category  string    `json:"category,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func toAnnotationJSON(n accounts.Annotation) annotationJSON {
	return annotationJSON{ID: n.ID, From: n.From, To: n.To, Text: n.Text, Category: n.Category, CreatedAt: n.CreatedAt}
}

type newAnnotation struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Text     string `json:"text"`
	Category string `json:"category"`
}

type annotationPatch struct {
	From     *string `json:"from"`
	To       *string `json:"to"`
	Text     *string `json:"text"`
	Category *string `json:"category"`
}

// visibleAnnotations refuses a shared link of a site whose owner keeps
// the notes to its members.
func (a *API) visibleAnnotations(r *http.Request) (shared bool, err error) {
	g := granted(r)
	shared, err = a.acc.AnnotationsShared(r.Context(), g.site.ID)
	if err != nil {
		return false, err
	}
	if g.acc.Via == ViaSharedLink && !shared {
		return false, forbidden("this site's annotations are not shared")
	}
	return shared, nil
}

// AnnotationsVisible tells whether the caller of a site may read its notes
// (the CSV export asks before it adds annotations.csv).
func (a *API) AnnotationsVisible(r *http.Request, siteID uint32, x Access) (bool, error) {
	if x.Via != ViaSharedLink {
		return true, nil
	}
	return a.acc.AnnotationsShared(r.Context(), siteID)
}

func (a *API) listAnnotations(w http.ResponseWriter, r *http.Request) error {
	shared, err := a.visibleAnnotations(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := a.acc.Annotations(r.Context(), granted(r).site.ID, q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	out := make([]annotationJSON, 0, len(list))
	for _, n := range list {
		out = append(out, toAnnotationJSON(n))
	}
	writeJSON(w, http.StatusOK, map[string]any{"annotations": out, "shared_with_links": shared,
		"categories": accounts.AnnotationCategories})
	return nil
}

func (a *API) addAnnotation(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	var req newAnnotation
	if err := decode(w, r, &req); err != nil {
		return err
	}
	n, err := a.acc.AddAnnotation(r.Context(), accounts.Annotation{SiteID: g.site.ID, From: req.From, To: req.To,
		Text: req.Text, Category: req.Category, Author: g.acc.UserID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toAnnotationJSON(n))
	return nil
}

func (a *API) updateAnnotation(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	var req annotationPatch
	if err := decode(w, r, &req); err != nil {
		return err
	}
	n, err := a.acc.UpdateAnnotation(r.Context(), g.site.ID, r.PathValue("id"), g.acc.UserID,
		accounts.AnnotationPatch{From: req.From, To: req.To, Text: req.Text, Category: req.Category})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAnnotationJSON(n))
	return nil
}

func (a *API) deleteAnnotation(w http.ResponseWriter, r *http.Request) error {
	if err := a.acc.DeleteAnnotation(r.Context(), granted(r).site.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type annotationSharing struct {
	Shared *bool `json:"shared"`
}

func (a *API) putAnnotationSharing(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	var req annotationSharing
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Shared == nil {
		return badRequest("shared: true or false")
	}
	if err := a.acc.SetAnnotationsShared(r.Context(), g.site.ID, *req.Shared); err != nil {
		return err
	}
	a.log.Info("annotation sharing set", "site", g.site.Domain, "shared", *req.Shared, "user", g.acc.UserID)
	writeJSON(w, http.StatusOK, map[string]bool{"shared_with_links": *req.Shared})
	return nil
}
