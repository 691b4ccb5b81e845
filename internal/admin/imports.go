package admin

import (
	"context"
	"encoding/json"
	"fmt"

	"log/slog"
	"net/http"
	"strconv"

	"github.com/sillage-analytics/sillage/imports"
)

// ImportOps are the import and export operations of a running server;
// Handler serves them when its Ops implements this too. The server reads
// and writes the files at the paths given: the socket is reachable by the
// server's own account only, the account the command line runs as.
type ImportOps interface {
	// StartImport queues the import of the file at path into a site.
	StartImport(ctx context.Context, domain, source, path string) (imports.Job, bool, error)
	// ImportJob reports an import of a site.
	ImportJob(ctx context.Context, domain string, id uint64) (imports.Job, error)
	// Export writes a site's export to path: Plausible's CSV zip, or with
	// raw, every stored event and session in format (parquet or csv).
	Export(ctx context.Context, domain, path string, raw bool, format string) error
	// StartGA4Import queues the import of a GA4 property into a site,
	// with the service account's key read from the file at keyPath.
	StartGA4Import(ctx context.Context, domain string, req GA4Import) (imports.Job, bool, error)
}

// GA4Import names a GA4 property, its days and the key to read it with.
type GA4Import struct {
	Domain    string `json:"domain"`
	Property  string `json:"property"`
	KeyPath   string `json:"key_path"`
	StartDate string `json:"start_date,omitempty"`
	EndDate   string `json:"end_date,omitempty"`
}

type importRequest struct {
	Domain string `json:"domain"`
	Source string `json:"source"`
	Path   string `json:"path"`
}

type importResponse struct {
	Job     imports.Job `json:"job"`
	Existed bool        `json:"existed"`
}

type exportRequest struct {
	Domain string `json:"domain"`
	Path   string `json:"path"`
	Raw    bool   `json:"raw"`
	Format string `json:"format"`
}

func handleImports(mux *http.ServeMux, ops ImportOps, log *slog.Logger, reply func(http.ResponseWriter, any, error), decode func(*http.Request, any) error) {
	mux.HandleFunc("POST /imports", func(w http.ResponseWriter, r *http.Request) {
		var req importRequest
		if err := decode(r, &req); err != nil {
			reply(w, nil, err)
			return
		}
		j, existed, err := ops.StartImport(r.Context(), req.Domain, req.Source, req.Path)
		if err == nil {
			log.Info("import queued over the admin socket", "domain", req.Domain, "import", j.ID, "existed", existed)
		}
		reply(w, importResponse{Job: j, Existed: existed}, err)
	})
	mux.HandleFunc("POST /imports/ga4", func(w http.ResponseWriter, r *http.Request) {
		var req GA4Import
		if err := decode(r, &req); err != nil {
			reply(w, nil, err)
			return
		}
		j, existed, err := ops.StartGA4Import(r.Context(), req.Domain, req)
		if err == nil {
			log.Info("GA4 import queued over the admin socket", "domain", req.Domain, "import", j.ID, "existed", existed)
		}
		reply(w, importResponse{Job: j, Existed: existed}, err)
	})
	mux.HandleFunc("GET /imports/{domain}/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
		if err != nil {
			reply(w, nil, fmt.Errorf("bad import id: %w", err))
			return
		}
		j, err := ops.ImportJob(r.Context(), r.PathValue("domain"), id)
		reply(w, importResponse{Job: j}, err)
	})
	mux.HandleFunc("POST /exports", func(w http.ResponseWriter, r *http.Request) {
		var req exportRequest
		if err := decode(r, &req); err != nil {
			reply(w, nil, err)
			return
		}
		err := ops.Export(r.Context(), req.Domain, req.Path, req.Raw, req.Format)
		if err == nil {
			log.Info("export written over the admin socket", "domain", req.Domain, "raw", req.Raw, "format", req.Format)
		}
		reply(w, struct{}{}, err)
	})
}

func (c *Client) StartImport(ctx context.Context, domain, source, path string) (imports.Job, bool, error) {
	var r importResponse
	err := c.call(ctx, http.MethodPost, "/imports", importRequest{domain, source, path}, &r)
	return r.Job, r.Existed, err
}

func (c *Client) ImportJob(ctx context.Context, domain string, id uint64) (imports.Job, error) {
	var r importResponse
	err := c.call(ctx, http.MethodGet, "/imports/"+domain+"/"+strconv.FormatUint(id, 10), nil, &r)
	return r.Job, err
}

func (c *Client) Export(ctx context.Context, domain, path string, raw bool, format string) error {
	var r json.RawMessage
	return c.call(ctx, http.MethodPost, "/exports", exportRequest{domain, path, raw, format}, &r)
}

func (c *Client) StartGA4Import(ctx context.Context, domain string, req GA4Import) (imports.Job, bool, error) {
	var r importResponse
	req.Domain = domain
	err := c.call(ctx, http.MethodPost, "/imports/ga4", req, &r)
	return r.Job, r.Existed, err
}
