package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/imports"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/store"
)

// MaxUploadBytes bounds an uploaded import file. Plausible's export of a
// large site over years is a few hundred MB; the file streams to disk.
const MaxUploadBytes = 8 << 30

type importJSON struct {
	imports.Job
	Progress float64 `json:"progress"`
}

func toImportJSON(j imports.Job) importJSON { return importJSON{Job: j, Progress: j.Progress()} }

func (a *API) importer() (*imports.Manager, error) {
	if a.imports == nil {
		return nil, &httpError{http.StatusServiceUnavailable, "imports are not enabled on this server", nil}
	}
	return a.imports, nil
}

func (a *API) listImports(w http.ResponseWriter, r *http.Request) error {
	m, err := a.importer()
	if err != nil {
		return err
	}
	jobs, err := m.List(r.Context(), granted(r).site.ID)
	if err != nil {
		return err
	}
	out := make([]importJSON, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, toImportJSON(j))
	}
	writeJSON(w, http.StatusOK, map[string]any{"imports": out, "ga4_oauth": m.GA4OAuthConfigured()})
	return nil
}

// uploadImport takes the file as the request body, streamed to disk:
// POST /api/sites/{domain}/imports?source=plausible&file_name=export.zip.
// A file larger than a request body may be (1 MB in sillage serve) comes
// in chunks: ?chunked=1&offset=0 starts an upload and answers its
// upload_id (202); each next chunk names it and its offset; the last one
// adds final=1 and submits the file. The same file again answers 200 with
// the import it already made.
func (a *API) uploadImport(w http.ResponseWriter, r *http.Request) error {
	m, err := a.importer()
	if err != nil {
		return err
	}
	g := granted(r)
	source := r.URL.Query().Get("source")
	if source == "" {
		source = imports.SourcePlausible
	}
	name := r.URL.Query().Get("file_name")
	if name == "" {
		return badRequest("file_name: required (the uploaded file's name, e.g. export.zip)")
	}
	q := r.URL.Query()
	var job imports.Job
	var existed bool
	if q.Get("chunked") == "1" || q.Get("upload_id") != "" {
		offset, perr := strconv.ParseInt(q.Get("offset"), 10, 64)
		if perr != nil || offset < 0 {
			return badRequest("offset: the chunk's position in the file, in bytes")
		}
		if offset+imports.MaxChunkBytes > MaxUploadBytes {
			return &httpError{http.StatusRequestEntityTooLarge, "the file is larger than " + strconv.FormatInt(MaxUploadBytes>>30, 10) + " GiB", nil}
		}
		id, size, cerr := m.AppendChunk(g.site.ID, q.Get("upload_id"), offset, r.Body)
		if cerr != nil {
			if errors.Is(cerr, imports.ErrBadUpload) {
				return badRequest("%s", cerr.Error())
			}
			return cerr
		}
		if q.Get("final") != "1" {
			writeJSON(w, http.StatusAccepted, map[string]any{"upload_id": id, "received": size})
			return nil
		}
		job, existed, err = m.SubmitUpload(r.Context(), g.site.ID, id, source, name, g.acc.UserID)
	} else {
		job, existed, err = m.Submit(r.Context(), g.site.ID, source, name, http.MaxBytesReader(w, r.Body, MaxUploadBytes), g.acc.UserID)
	}
	var ie *imports.InputError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &httpError{http.StatusRequestEntityTooLarge, "the file is larger than " + strconv.FormatInt(MaxUploadBytes>>30, 10) + " GiB", nil}
	case errors.As(err, &ie):
		return badRequest("%s", ie.Error())
	case errors.Is(err, imports.ErrUnknownSource), errors.Is(err, imports.ErrBadUpload):
		return badRequest("%s", err.Error())
	case err != nil:
		return err
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"import": toImportJSON(job), "existed": existed})
	return nil
}

// deleteImports removes a site's imports and their rows, with its data.
func (a *API) deleteImports(ctx context.Context, siteID uint32) error {
	if a.imports == nil {
		return nil
	}
	if err := a.imports.DeleteSite(ctx, siteID); err != nil {
		return fmt.Errorf("delete imports of site %d: %w", siteID, err)
	}
	return nil
}

func importID(r *http.Request) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, notFound("no such import")
	}
	return id, nil
}

func importErr(err error) error {
	if errors.Is(err, imports.ErrNotFound) {
		return notFound("no such import")
	}
	if errors.Is(err, imports.ErrNotRunning) {
		return &httpError{http.StatusConflict, err.Error(), nil}
	}
	return err
}

func (a *API) cancelImport(w http.ResponseWriter, r *http.Request) error {
	m, err := a.importer()
	if err != nil {
		return err
	}
	id, err := importID(r)
	if err != nil {
		return err
	}
	j, err := m.Cancel(r.Context(), granted(r).site.ID, id)
	if err != nil {
		return importErr(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"import": toImportJSON(j)})
	return nil
}

func (a *API) deleteImport(w http.ResponseWriter, r *http.Request) error {
	m, err := a.importer()
	if err != nil {
		return err
	}
	id, err := importID(r)
	if err != nil {
		return err
	}
	if err := m.Delete(r.Context(), granted(r).site.ID, id); err != nil {
		return importErr(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// exportPlausible streams the site's aggregates as Plausible's CSV export
// (a zip), which an import here or in Plausible reads back.
func (a *API) exportPlausible(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+site.Domain+`-plausible.zip"`)
	if err := imports.ExportPlausible(r.Context(), a.engine, site, w); err != nil {
		// Headers are gone once a byte is written: the zip is cut short,
		// which the client sees as a broken archive; the log says why.
		a.log.Error("export", "site", site.ID, "error", err)
	}
	return nil
}

// exportRaw sends every stored event and session of the site (owners):
// the engine writes the files into the data folder, then they stream out.
func (a *API) exportRaw(w http.ResponseWriter, r *http.Request) error {
	m, err := a.importer()
	if err != nil {
		return err
	}
	site := granted(r).site
	format := r.URL.Query().Get("format")
	if format == "" {
		format = imports.FormatParquet
	}
	if format != imports.FormatParquet && format != imports.FormatCSV {
		return badRequest("format: parquet or csv")
	}
	// ?segment=<id>: the sessions of a segment the caller sees.
	var sessions string
	var params store.Params
	if raw := r.URL.Query().Get("segment"); raw != "" {
		id, err := stats.SegmentID(raw)
		if err != nil {
			return badRequest("segment: %v", err)
		}
		seg, err := a.acc.SegmentFor(r.Context(), site.ID, id, granted(r).acc.UserID)
		if errors.Is(err, accounts.ErrNotFound) {
			return badRequest("segment: segment %d does not exist or is not visible to you", id)
		}
		if err != nil {
			return err
		}
		goals, err := a.acc.Goals(r.Context(), site.ID)
		if err != nil {
			return err
		}
		if sessions, params, err = stats.SessionsMatching(site, goals, seg.Filters); err != nil {
			return badRequest("segment %d: %v", id, err)
		}
	}
	release, ok := m.ExportSlot(site.ID)
	if !ok {
		w.Header().Set("Retry-After", "60")
		return &httpError{http.StatusTooManyRequests, "an export of this site is under way: wait for it to end", nil}
	}
	defer release()
	if err := os.MkdirAll(m.Dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(m.Dir, "export-*.zip")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := imports.ExportRawSessions(r.Context(), a.engine, site, tmp.Name(), format, sessions, params); err != nil {
		return err
	}
	f, err := os.Open(tmp.Name())
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+site.Domain+`-raw-`+format+`.zip"`)
	_, err = io.Copy(w, f)
	if err != nil {
		a.log.Warn("raw export: send", "site", site.ID, "error", err)
	}
	return nil
}
