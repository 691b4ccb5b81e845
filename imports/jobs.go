// Package imports brings a site's history from other analytics tools into
// Sillage, and takes it out again. An import is a job, not a request: the
// uploaded file is kept in the data folder, a worker reads it in the
// background in bounded memory, writes its rows tagged with the import's
// id, and records after each batch where it is, so a restarted server
// resumes where it stopped. Queries read completed imports only, so a
// running, failed or cancelled import shows nothing; a failed or cancelled
// one has its rows deleted.
//
// Sources: Plausible's CSV export (and Sillage's own, in the same format)
// and Google Analytics 4's Data API (ga4.go) fill the imported_* tables;
// Umami's and GoatCounter's exports are event-level and write events
// (events.go). See README.md.
package imports

import (
	"archive/zip"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sillage-analytics/sillage/store"
)

// Statuses of a job.
const (
	Pending   = "pending"
	Running   = "running"
	Completed = "completed"
	Failed    = "failed"
	Cancelled = "cancelled"
)

// SourcePlausible is Plausible's CSV export (a zip, or its CSV files).
const SourcePlausible = "plausible"

// Sources lists the sources an import may name.
var Sources = []string{SourcePlausible, SourceUmami, SourceGoatCounter}

// Job is one import.
type Job struct {
	ID         uint64            `json:"id"`
	SiteID     uint32            `json:"-"`
	Source     string            `json:"source"`
	FileName   string            `json:"file_name"`
	Hash       string            `json:"content_hash"`
	StartDate  string            `json:"start_date,omitempty"` // YYYY-MM-DD, empty until rows are read
	EndDate    string            `json:"end_date,omitempty"`
	Rows       map[string]uint64 `json:"rows"`
	Pageviews  uint64            `json:"pageviews"`
	Status     string            `json:"status"`
	BytesDone  uint64            `json:"bytes_done"`
	BytesTotal uint64            `json:"bytes_total"`
	Error      string            `json:"error,omitempty"`
	// Warnings name what a completed import left out (GA4 region names
	// without an ISO 3166-2 code).
	Warnings  []string  `json:"warnings,omitempty"`
	Cursor    Cursor    `json:"-"`
	CreatedBy string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Progress is the share of the file read, from 0 to 1.
func (j Job) Progress() float64 {
	if j.Status == Completed {
		return 1
	}
	if j.BytesTotal == 0 {
		return 0
	}
	return min(1, float64(j.BytesDone)/float64(j.BytesTotal))
}

// Cursor is where a job stands: the next file (in the archive's sorted
// order), the rows of it already stored, and the next batch's number.
type Cursor struct {
	File    int    `json:"file"`
	Row     int    `json:"row"`
	Batch   int    `json:"batch"`
	MinDate string `json:"min,omitempty"`
	MaxDate string `json:"max,omitempty"`
	// Salt hashes the ids of an event-level import's visitors while it
	// runs (events.go); dropped when it completes.
	Salt string `json:"salt,omitempty"`
	// From and To are the days a GA4 import asks for, fixed on its first
	// run (ga4.go).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Regions counts the GA4 region names no code matched (ga4regions.go).
	Regions ga4Unmapped `json:"regions,omitempty"`
}

// Errors of the job layer.
var (
	ErrNotFound      = errors.New("no such import")
	ErrUnknownSource = errors.New("unknown import source")
	ErrNotRunning    = errors.New("only a pending or running import can be cancelled")
)

// Manager runs import jobs and keeps their files.
type Manager struct {
	Engine store.Engine
	// Dir holds uploaded files until their job ends (DATA/imports).
	Dir string
	Log *slog.Logger
	// BatchRows is how many rows one insert carries; 0 means 100 000.
	BatchRows int
	Now       func() time.Time
	// Cluster names the ClickHouse cluster, if any: deleting an
	// event-level import's events is a mutation of the local tables.
	Cluster string
	// Secret is the server's secret (--secret): the key that seals the
	// refresh tokens of GA4's OAuth flow derives from it (ga4store.go).
	Secret []byte

	mu      sync.Mutex
	running map[uint64]context.CancelCauseFunc
	// ga4Pending holds the OAuth flow's states and connections
	// (ga4oauth.go), under mu.
	ga4Pending map[string]*ga4Pending
	// exporting holds the sites whose raw export is under way.
	exporting map[uint32]bool
	queue     chan uint64
	once      sync.Once
	// GA4 is how Google Analytics 4 imports reach Google (ga4.go).
	GA4 GA4Config
	// OnProgress, when set, is called after each stored batch (the
	// command line's progress line).
	OnProgress func(Job)
	// onBatch, when set (tests), is called after each stored batch.
	onBatch func(Job)
}

// The causes of a job's context when its owner cancels or deletes it.
var (
	errCancelled = errors.New("import cancelled")
	errDeleted   = errors.New("import deleted")
)

func (m *Manager) init() {
	m.once.Do(func() {
		m.running = map[uint64]context.CancelCauseFunc{}
		m.ga4Pending = map[string]*ga4Pending{}
		m.queue = make(chan uint64, 1024)
		if m.Log == nil {
			m.Log = slog.Default()
		}
	})
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// maxBatchBytes bounds a batch's rows in memory: a batch is flushed at
// batchRows rows or past this size, whichever comes first. 8 MiB is about
// 80 000 rows of imported_sources: the engine's memory for an insert grows
// with it, and fewer rows a batch cost CPU (BENCHMARKS.md).
var maxBatchBytes = 8 << 20

// rowSlack is room for the row that takes a batch past maxBatchBytes, so
// a batch's buffer, sized once, does not grow (growing holds the old and
// the new array at once, the Go side's peak).
const rowSlack = 64 << 10

func (m *Manager) batchRows() int {
	if m.BatchRows > 0 {
		return m.BatchRows
	}
	return 100_000
}

// Run processes queued jobs one at a time until ctx ends. It first queues
// the jobs a previous process left pending or running, which resume from
// their cursor.
func (m *Manager) Run(ctx context.Context) error {
	m.init()
	m.removeStalePartials()
	if err := m.pruneGA4Connections(ctx); err != nil {
		m.Log.Warn("ga4: expired connections left", "err", err)
	}
	// Sources imported before their channel was kept get it now.
	if err := FillChannels(ctx, m.Engine, 0); err != nil && ctx.Err() == nil {
		m.Log.Warn("import: imported sources left without a channel", "err", err)
	}
	left, err := m.unfinished(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	for _, id := range left {
		// Another query process may hold the job's file: it resumes it.
		if _, err := os.Stat(m.path(id)); err != nil {
			continue
		}
		m.Log.Info("import: resuming", "import", id)
		m.enqueue(id)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-m.queue:
			if err := m.Process(ctx, id); err != nil && ctx.Err() == nil {
				m.Log.Warn("import failed", "import", id, "err", err)
			}
		}
	}
}

func (m *Manager) enqueue(id uint64) {
	select {
	case m.queue <- id:
	default:
		// The queue is full: the job stays pending and the next start
		// picks it up.
		m.Log.Warn("import: queue full, the job waits for the next start", "import", id)
	}
}

func (m *Manager) unfinished(ctx context.Context) ([]uint64, error) {
	rows, err := m.Engine.Query(ctx, "SELECT id FROM imports FINAL WHERE deleted = 0 AND status IN ('pending', 'running') ORDER BY created_at, id", nil)
	if err != nil {
		return nil, fmt.Errorf("imports: list unfinished jobs: %w", err)
	}
	defer rows.Close()
	var ids []uint64
	for rows.Next() {
		var id uint64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("imports: list unfinished jobs: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Submit stores an uploaded file for a site and queues its import. The same
// content for the same site is one import: if a pending, running or
// completed import has it, that job is returned with existed set and the
// new copy is dropped. fileName is the name the user gave (a .zip, or one
// CSV of the export).
func (m *Manager) Submit(ctx context.Context, siteID uint32, source, fileName string, r io.Reader, createdBy string) (job Job, existed bool, err error) {
	m.init()
	if !slices.Contains(Sources, source) {
		return Job{}, false, fmt.Errorf("%w %q (known: %s)", ErrUnknownSource, source, strings.Join(Sources, ", "))
	}
	base := filepath.Base(fileName)
	lower := strings.ToLower(base)
	if isEventSource(source) {
		if err := checkEventFileName(source, base); err != nil {
			return Job{}, false, err
		}
	} else if !strings.HasSuffix(lower, ".zip") {
		if _, ok := TableOfFile(base); !ok {
			return Job{}, false, &InputError{File: base, Msg: "not a Plausible export: expected a .zip or a CSV file named like imported_visitors_20230101_20231231.csv"}
		}
	}
	if err := os.MkdirAll(m.Dir, 0o700); err != nil {
		return Job{}, false, fmt.Errorf("imports: folder %s: %w", m.Dir, err)
	}
	tmp, err := os.CreateTemp(m.Dir, "upload-*")
	if err != nil {
		return Job{}, false, fmt.Errorf("imports: store upload: %w", err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), r)
	if err != nil {
		return Job{}, false, fmt.Errorf("imports: store upload %s: %w", base, err)
	}
	if err := tmp.Sync(); err != nil {
		return Job{}, false, fmt.Errorf("imports: store upload %s: %w", base, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if strings.HasSuffix(lower, ".zip") && !isEventSource(source) {
		if _, err := zipEntries(tmp, n, base); err != nil {
			return Job{}, false, err
		}
	}
	if prev, ok, err := m.byHash(ctx, siteID, sum); err != nil {
		return Job{}, false, err
	} else if ok {
		return prev, true, nil
	}
	job = Job{ID: newID(), SiteID: siteID, Source: source, FileName: base, Hash: sum, Status: Pending,
		BytesTotal: uint64(n), Rows: map[string]uint64{}, CreatedBy: createdBy, CreatedAt: m.now().UTC().Truncate(time.Millisecond)}
	if err := tmp.Close(); err != nil {
		return Job{}, false, fmt.Errorf("imports: store upload %s: %w", base, err)
	}
	if err := os.Rename(tmp.Name(), m.path(job.ID)); err != nil {
		return Job{}, false, fmt.Errorf("imports: store upload %s: %w", base, err)
	}
	tmp = nil
	if err := m.save(ctx, job, 0); err != nil {
		os.Remove(m.path(job.ID))
		return Job{}, false, err
	}
	m.Log.Info("import queued", "site", siteID, "import", job.ID, "source", source, "file", base, "bytes", n)
	m.enqueue(job.ID)
	return job, false, nil
}

func (m *Manager) path(id uint64) string {
	return filepath.Join(m.Dir, strconv.FormatUint(id, 10)+".upload")
}

// newID is random and below 2^53, so that JSON numbers carry it exactly.
func newID() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return binary.LittleEndian.Uint64(b[:])&(1<<53-1) | 1
}

const jobCols = "id, site_id, source, file_name, content_hash, toString(start_date), toString(end_date), mapApply((k, v) -> (k, toString(v)), rows)," +
	" pageviews, status, bytes_done, bytes_total, error, warnings, cursor, created_by, created_at"

func scanJob(rows store.Rows) (Job, error) {
	var j Job
	var rowsMap map[string]string
	var cursor string
	if err := rows.Scan(&j.ID, &j.SiteID, &j.Source, &j.FileName, &j.Hash, &j.StartDate, &j.EndDate, &rowsMap,
		&j.Pageviews, &j.Status, &j.BytesDone, &j.BytesTotal, &j.Error, &j.Warnings, &cursor, &j.CreatedBy, &j.CreatedAt); err != nil {
		return j, err
	}
	if j.StartDate == "1970-01-01" {
		j.StartDate, j.EndDate = "", ""
	}
	j.Rows = map[string]uint64{}
	for k, v := range rowsMap {
		j.Rows[k], _ = strconv.ParseUint(v, 10, 64)
	}
	if cursor != "" {
		if err := json.Unmarshal([]byte(cursor), &j.Cursor); err != nil {
			return j, fmt.Errorf("cursor of import %d: %w", j.ID, err)
		}
	}
	return j, nil
}

func (m *Manager) query(ctx context.Context, where string, params store.Params) ([]Job, error) {
	rows, err := m.Engine.Query(ctx, "SELECT "+jobCols+" FROM imports FINAL WHERE deleted = 0 AND "+where+" ORDER BY created_at DESC, id", params)
	if err != nil {
		return nil, fmt.Errorf("imports: list: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("imports: list: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("imports: list: %w", err)
	}
	return out, nil
}

// List returns a site's imports, newest first.
func (m *Manager) List(ctx context.Context, siteID uint32) ([]Job, error) {
	return m.query(ctx, "site_id = {site:UInt32}", store.Params{"site": siteID})
}

// Get returns one import of a site.
func (m *Manager) Get(ctx context.Context, siteID uint32, id uint64) (Job, error) {
	jobs, err := m.query(ctx, "site_id = {site:UInt32} AND id = {id:UInt64}", store.Params{"site": siteID, "id": id})
	if err != nil {
		return Job{}, err
	}
	if len(jobs) == 0 {
		return Job{}, ErrNotFound
	}
	return jobs[0], nil
}

func (m *Manager) getAny(ctx context.Context, id uint64) (Job, error) {
	jobs, err := m.query(ctx, "id = {id:UInt64}", store.Params{"id": id})
	if err != nil {
		return Job{}, err
	}
	if len(jobs) == 0 {
		return Job{}, ErrNotFound
	}
	return jobs[0], nil
}

func (m *Manager) byHash(ctx context.Context, siteID uint32, hash string) (Job, bool, error) {
	jobs, err := m.query(ctx, "site_id = {site:UInt32} AND content_hash = {h:String} AND status IN ('pending', 'running', 'completed')",
		store.Params{"site": siteID, "h": hash})
	if err != nil || len(jobs) == 0 {
		return Job{}, false, err
	}
	return jobs[0], true, nil
}

// save writes a new version of the job's row.
func (m *Manager) save(ctx context.Context, j Job, deleted uint8) error {
	cur, err := json.Marshal(j.Cursor)
	if err != nil {
		return err
	}
	rows := make(map[string]string, len(j.Rows))
	for k, v := range j.Rows {
		rows[k] = strconv.FormatUint(v, 10)
	}
	warnings := j.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	start, end := j.StartDate, j.EndDate
	if start == "" {
		start, end = "1970-01-01", "1970-01-01"
	}
	err = m.Engine.Exec(ctx, `INSERT INTO imports (id, site_id, source, file_name, content_hash, start_date, end_date, rows, pageviews,
		status, bytes_done, bytes_total, error, warnings, cursor, created_by, created_at, updated_at, deleted)
		SELECT {id:UInt64}, {site:UInt32}, {source:String}, {file:String}, {hash:String}, {start:Date}, {end:Date},
		mapApply((k, v) -> (k, toUInt64(v)), {rows:Map(String, String)}), {pv:UInt64}, {status:String}, {done:UInt64}, {total:UInt64},
		{err:String}, {warnings:Array(String)}, {cursor:String}, {by:String}, {created:DateTime64(3, 'UTC')}, now64(6, 'UTC'), {deleted:UInt8}`,
		store.Params{"id": j.ID, "site": j.SiteID, "source": j.Source, "file": j.FileName, "hash": j.Hash, "start": start, "end": end,
			"rows": rows, "pv": j.Pageviews, "status": j.Status, "done": j.BytesDone, "total": j.BytesTotal, "err": j.Error, "warnings": warnings,
			"cursor": string(cur), "by": j.CreatedBy, "created": j.CreatedAt, "deleted": deleted})
	if err != nil {
		return fmt.Errorf("imports: save import %d: %w", j.ID, err)
	}
	return nil
}

// Cancel stops a pending or running import; its rows are deleted. A
// finished import cannot be cancelled (delete it instead).
func (m *Manager) Cancel(ctx context.Context, siteID uint32, id uint64) (Job, error) {
	m.init()
	j, err := m.Get(ctx, siteID, id)
	if err != nil {
		return Job{}, err
	}
	if j.Status != Pending && j.Status != Running {
		return j, fmt.Errorf("import %d is %s: %w", id, j.Status, ErrNotRunning)
	}
	m.mu.Lock()
	stop := m.running[id]
	m.mu.Unlock()
	if stop != nil {
		stop(errCancelled)
	}
	j.Status = Cancelled
	if err := m.save(ctx, j, 0); err != nil {
		return Job{}, err
	}
	// The worker, if it holds the job, sees the cancellation at its next
	// batch and deletes what it wrote; a pending job has written nothing,
	// but a job cut short by a crash has: delete in both cases.
	if err := m.deleteImported(ctx, j); err != nil {
		return Job{}, err
	}
	os.Remove(m.path(id))
	return j, m.deleteGA4Token(ctx, j)
}

// Delete removes an import and its rows.
func (m *Manager) Delete(ctx context.Context, siteID uint32, id uint64) error {
	m.init()
	j, err := m.Get(ctx, siteID, id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	stop := m.running[id]
	m.mu.Unlock()
	if stop != nil {
		stop(errDeleted)
	}
	// The tombstone first: from now on no query reads the rows, and a
	// worker that still holds the job stops at its next batch.
	if err := m.save(ctx, j, 1); err != nil {
		return err
	}
	if err := m.deleteImported(ctx, j); err != nil {
		return err
	}
	os.Remove(m.path(id))
	return m.deleteGA4Token(ctx, j)
}

func (m *Manager) deleteRows(ctx context.Context, siteID uint32, id uint64) error {
	for _, t := range Tables {
		if err := m.Engine.Exec(ctx, "DELETE FROM "+t.Name+" WHERE site_id = {site:UInt32} AND import_id = {id:UInt64}",
			store.Params{"site": siteID, "id": id}); err != nil {
			return fmt.Errorf("imports: delete rows of import %d from %s: %w", id, t.Name, err)
		}
	}
	return nil
}

// DeleteSite removes every import of a site (the site or its data is
// being deleted).
func (m *Manager) DeleteSite(ctx context.Context, siteID uint32) error {
	jobs, err := m.List(ctx, siteID)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if err := m.Delete(ctx, siteID, j.ID); err != nil {
			return err
		}
	}
	// The site's Google connections go too, with any token a job left.
	return m.deleteGA4Site(ctx, siteID)
}

// Process runs one job to its end: completed, failed (bad input; its rows
// are deleted), or cancelled. If ctx ends first (the server stops), the
// job stays running and resumes from its cursor at the next start.
func (m *Manager) Process(ctx context.Context, id uint64) error {
	m.init()
	j, err := m.getAny(ctx, id)
	if err != nil {
		return err
	}
	if j.Status != Pending && j.Status != Running {
		return nil
	}
	jctx, stop := context.WithCancelCause(ctx)
	m.mu.Lock()
	m.running[id] = stop
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.running, id)
		m.mu.Unlock()
		stop(nil)
	}()
	j.Status = Running
	if err := m.save(ctx, j, 0); err != nil {
		return err
	}
	started := time.Now()
	err = m.run(jctx, &j)
	if err == nil {
		// Before the import counts: its sources get their channels.
		err = FillChannels(jctx, m.Engine, j.SiteID)
	}
	switch {
	case err == nil:
		j.Status = Completed
		j.BytesDone = j.BytesTotal
		if err := m.save(ctx, j, 0); err != nil {
			return err
		}
		os.Remove(m.path(id))
		if err := m.deleteGA4Token(ctx, j); err != nil {
			return err
		}
		var total uint64
		for _, n := range j.Rows {
			total += n
		}
		m.Log.Info("import completed", "site", j.SiteID, "import", id, "rows", total, "from", j.StartDate, "to", j.EndDate,
			"seconds", time.Since(started).Seconds())
		return nil
	case errors.Is(context.Cause(jctx), errCancelled), errors.Is(context.Cause(jctx), errDeleted):
		// Cancel or Delete wrote the status, but a progress step of this
		// worker may have landed after it: write it again, last. The rows
		// written meanwhile go.
		bg := context.WithoutCancel(ctx)
		var deleted uint8
		j.Status = Cancelled
		if errors.Is(context.Cause(jctx), errDeleted) {
			deleted = 1
		}
		if err := m.save(bg, j, deleted); err != nil {
			return err
		}
		return errors.Join(m.deleteImported(bg, j), m.deleteGA4Token(bg, j))
	case ctx.Err() != nil:
		return ctx.Err() // stopping: resume at the next start
	}
	j.Status = Failed
	j.Error = err.Error()
	// No half import: what the failed file wrote is deleted.
	bg := context.WithoutCancel(ctx)
	if derr := m.deleteImported(bg, j); derr != nil {
		return errors.Join(err, derr)
	}
	if serr := m.save(bg, j, 0); serr != nil {
		return errors.Join(err, serr)
	}
	os.Remove(m.path(id))
	if derr := m.deleteGA4Token(bg, j); derr != nil {
		return errors.Join(err, derr)
	}
	return err
}

// source is one CSV to read: from an archive's entry, or the file itself.
type source struct {
	name  string
	table *Table
	open  func() (io.ReadCloser, error) // reads the raw (compressed) bytes
	size  uint64                        // raw bytes, for progress
	flate bool
	// csv is the file's size once inflated, as its header says (a zip
	// may lie: it only sizes the batch's buffer).
	csv uint64
}

// MaxZipEntries bounds the entries of an uploaded archive (Plausible's
// export holds ten files).
const MaxZipEntries = 1000

// maxZipDirectoryBytes bounds what is read to list an archive's entries:
// its end record (up to 64 KiB of comment) and its directory.
const maxZipDirectoryBytes = 4 << 20

// readBudget fails reads past its budget.
type readBudget struct {
	r    io.ReaderAt
	left int64
}

func (b *readBudget) ReadAt(p []byte, off int64) (int, error) {
	if int64(len(p)) > b.left {
		b.left = 0
		return 0, errors.New("the directory is too large")
	}
	b.left -= int64(len(p))
	return b.r.ReadAt(p, off)
}

// zipEntries lists an archive's CSV files of known tables, sorted by name
// so that a resumed job finds them in the same order.
func zipEntries(r io.ReaderAt, size int64, name string) ([]source, error) {
	// The reader holds every entry of the directory in memory, and reads
	// the directory from where the archive's end record says: the bytes it
	// may read bound the memory an archive of tiny entries costs.
	budget := &readBudget{r: r, left: maxZipDirectoryBytes}
	zr, err := zip.NewReader(budget, size)
	if budget.left <= 0 || err == nil && len(zr.File) > MaxZipEntries {
		return nil, &InputError{File: name, Msg: fmt.Sprintf("the archive holds too many entries (at most %d)", MaxZipEntries)}
	}
	if err != nil {
		return nil, &InputError{File: name, Msg: "not a readable zip archive: " + err.Error()}
	}
	budget.left = math.MaxInt64 // the entries' contents are read later
	var out []source
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		t, ok := TableOfFile(f.Name)
		if !ok {
			if strings.HasSuffix(strings.ToLower(f.Name), ".csv") {
				return nil, &InputError{File: name + ": " + f.Name, Msg: "not a file of Plausible's export (expected imported_<table>_YYYYMMDD_YYYYMMDD.csv with a table of: " + strings.Join(TableNames(), ", ") + ")"}
			}
			continue
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, &InputError{File: name + ": " + f.Name, Msg: fmt.Sprintf("unsupported compression method %d", f.Method)}
		}
		f := f
		out = append(out, source{name: f.Name, table: t, size: f.CompressedSize64, csv: f.UncompressedSize64, flate: f.Method == zip.Deflate,
			open: func() (io.ReadCloser, error) {
				rr, err := f.OpenRaw()
				if err != nil {
					return nil, err
				}
				return io.NopCloser(rr), nil
			}})
	}
	if len(out) == 0 {
		return nil, &InputError{File: name, Msg: "the archive holds no CSV file of Plausible's export"}
	}
	slices.SortFunc(out, func(a, b source) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// counter counts the raw bytes read, for progress.
type counter struct {
	r io.Reader
	n *uint64
}

func (c counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += uint64(n)
	return n, err
}

func (m *Manager) run(ctx context.Context, j *Job) error {
	if j.Source == SourceGA4 {
		return m.runGA4(ctx, j)
	}
	if isEventSource(j.Source) {
		return m.runEvents(ctx, j)
	}
	f, err := os.Open(m.path(j.ID))
	if err != nil {
		return fmt.Errorf("imports: open the stored file of import %d: %w", j.ID, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	var sources []source
	if strings.HasSuffix(strings.ToLower(j.FileName), ".zip") {
		if sources, err = zipEntries(f, st.Size(), j.FileName); err != nil {
			return err
		}
	} else {
		t, _ := TableOfFile(j.FileName)
		sources = []source{{name: j.FileName, table: t, size: uint64(st.Size()), csv: uint64(st.Size()),
			open: func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(f, 0, st.Size())), nil }}}
	}
	var done uint64
	for i := 0; i < j.Cursor.File && i < len(sources); i++ {
		done += sources[i].size
	}
	for fi := j.Cursor.File; fi < len(sources); fi++ {
		if err := m.readSource(ctx, j, fi, sources[fi], done); err != nil {
			return err
		}
		done += sources[fi].size
		j.Cursor = Cursor{File: fi + 1, MinDate: j.Cursor.MinDate, MaxDate: j.Cursor.MaxDate}
		j.BytesDone = done
		if err := m.save(ctx, *j, 0); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) readSource(ctx context.Context, j *Job, fi int, s source, before uint64) error {
	raw, err := s.open()
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	defer raw.Close()
	var read uint64
	var r io.Reader = counter{raw, &read}
	if s.flate {
		fr := flate.NewReader(r)
		defer fr.Close()
		r = fr
	}
	rr, err := newRowReader(s.name, s.table, r, j.SiteID, j.ID)
	if err != nil {
		return err
	}
	if err := rr.skip(j.Cursor.Row); err != nil {
		return err
	}
	cols := strings.Join(append([]string{"site_id", "import_id"}, s.table.ColumnNames()...), ", ")
	// TabSeparated is about as long as the CSV it comes from, plus the
	// site and import ids: a small file gets a small buffer.
	buf := make([]byte, 0, int(min(uint64(maxBatchBytes), 2*s.csv+4096))+rowSlack)
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		if err := context.Cause(ctx); err != nil {
			return err
		}
		// The token makes a batch written twice (a crash between the
		// insert and the cursor's save) count once.
		token := fmt.Sprintf("import-%d-%d-%d", j.ID, fi, j.Cursor.Batch)
		// The rows stream into the statement (no copy into its text, no SQL
		// parse of them: half the CPU and about 85 MiB less at peak for a
		// 1 GB export, BENCHMARKS.md). Parallel parsing would cut the batch
		// into segments parsed on the engine's threads, each held at once,
		// for no gain here: the batch is one block anyway.
		q := "INSERT INTO " + s.table.Name + " (" + cols + ") SETTINGS input_format_parallel_parsing = 0, insert_deduplication_token = '" + token + "'"
		if err := store.InsertFormatted(ctx, m.Engine, q, "TabSeparated", buf); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("%s: store rows up to line %d: %w", s.name, rr.line, err)
		}
		j.Rows[s.table.Name] += uint64(n)
		j.Pageviews += rr.pageviews
		rr.pageviews = 0
		j.Cursor.Row += n
		j.Cursor.Batch++
		if rr.minDate != "" && (j.Cursor.MinDate == "" || rr.minDate < j.Cursor.MinDate) {
			j.Cursor.MinDate = rr.minDate
		}
		if rr.maxDate > j.Cursor.MaxDate {
			j.Cursor.MaxDate = rr.maxDate
		}
		j.StartDate, j.EndDate = j.Cursor.MinDate, j.Cursor.MaxDate
		j.BytesDone = before + min(read, s.size)
		if err := m.save(ctx, *j, 0); err != nil {
			return err
		}
		if m.onBatch != nil {
			m.onBatch(*j)
		}
		if m.OnProgress != nil {
			m.OnProgress(*j)
		}
		buf, n = buf[:0], 0
		return nil
	}
	limit := m.batchRows()
	for {
		buf, err = rr.next(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n++
		if n >= limit || len(buf) >= maxBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
