package imports

// Event-level sources (Umami's data export, GoatCounter's CSV export) are
// imported as events, not aggregates: each row of the file becomes an event
// of the events table, tagged with its import's id (migration 0013), and
// the sessions table follows through its materialized view. They go
// through the collector's enrichment: referrer to source and channel, the
// landing page's UTM tags, Plausible's names for browsers and systems.
//
// A job reads its file twice. The first pass checks every row (bad input
// fails the job before anything is written: no half import) and finds, for
// each session of the file, its first event: the session's start and its
// visit attributes (source, country, device…), which the collector too
// takes from a session's first event and copies onto every later one. The
// second pass writes the events in batches, each with an insert token, and
// records after each batch how many rows of the file are done, so a
// restarted job skips them.
//
// Visitors and sessions get ids derived from what the file gives (Umami's
// session and visit ids, GoatCounter's session), hashed with a random salt
// of the import. The salt is kept while the job runs (a resumed job needs
// the same ids) and dropped when it completes, so the ids cannot be
// recomputed from the file afterwards; the raw ids are never stored.

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/dchest/siphash"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/collector/enrich"
	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/store"
)

// The event-level sources.
const (
	SourceUmami       = "umami"
	SourceGoatCounter = "goatcounter"
)

// EventsTable is the key of Job.Rows that counts imported events;
// EventsBeyondRetention counts the events of the file older than the
// site's retention, which are not imported (the store would drop them as
// they are written).
const (
	EventsTable           = "events"
	EventsBeyondRetention = "events_beyond_retention"
)

// eventSource reads one export format's rows.
type eventSource interface {
	// header reads the header line; the error names what is missing.
	header(file string, rec []string) error
	// row reads one record; skip is set for a row that is not imported
	// (a bot's hit).
	row(rec []string, fail func(col int, format string, args ...any) error) (r eventRow, skip bool, err error)
}

// eventRow is what an export says of one hit, before enrichment.
type eventRow struct {
	ts       time.Time
	visitor  string // the export's visitor key: hashed, never stored
	session  string // the export's session key, within the visitor
	name     string // sillage.EventPageview or a custom event's name
	hostname string
	pathname string
	query    string // the page's query string, for UTM tags and click ids
	// referrer is a URL or host/path; source, when set, is the source's
	// name as the export gives it (GoatCounter's generated referrers).
	referrer, source string
	utm              enrich.Campaign
	country, region  string
	city             string
	browser          string
	browserVersion   string
	os, osVersion    string
	device           string
}

func eventSourceOf(name string) (eventSource, bool) {
	switch name {
	case SourceUmami:
		return &umami{}, true
	case SourceGoatCounter:
		return &goatCounter{}, true
	}
	return nil, false
}

// isEventSource tells whether a source's files are imported as events.
func isEventSource(name string) bool {
	_, ok := eventSourceOf(name)
	return ok
}

// checkEventFileName accepts a CSV file, gzipped or not.
func checkEventFileName(source, name string) error {
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".csv") || strings.HasSuffix(lower, ".csv.gz") {
		return nil
	}
	what := "Umami's data export"
	if source == SourceGoatCounter {
		what = "GoatCounter's export"
	}
	return &InputError{File: name, Msg: "not " + what + ": expected a .csv (or .csv.gz) file"}
}

// openCSV opens the stored file, gunzipping it when it is gzipped, and
// counts the raw bytes read for progress.
func openCSV(path string, read *uint64) (*csv.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(counter{f, read}, 1<<16)
	var r io.Reader = br
	closeAll := f.Close
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		r = zr
		closeAll = func() error { zr.Close(); return f.Close() }
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	return cr, closeAll, nil
}

// eventFile reads an export's records, one at a time, with the line of
// each for errors.
type eventFile struct {
	name string
	src  eventSource
	cr   *csv.Reader
	line int
}

func (m *Manager) openEventFile(j *Job, src eventSource, read *uint64) (*eventFile, func() error, error) {
	cr, closeFile, err := openCSV(m.path(j.ID), read)
	if err != nil {
		return nil, nil, fmt.Errorf("imports: open the stored file of import %d: %w", j.ID, err)
	}
	header, err := cr.Read()
	if err == io.EOF {
		closeFile()
		return nil, nil, &InputError{File: j.FileName, Msg: "empty file: expected a header line"}
	}
	if err != nil {
		closeFile()
		return nil, nil, csvError(j.FileName, err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	if err := src.header(j.FileName, header); err != nil {
		closeFile()
		return nil, nil, err
	}
	return &eventFile{name: j.FileName, src: src, cr: cr}, closeFile, nil
}

// next reads the next row; io.EOF at the end. A skipped row is returned
// with skip set, so that the caller counts it among the file's rows.
func (f *eventFile) next() (eventRow, bool, error) {
	rec, err := f.cr.Read()
	if err != nil {
		if err == io.EOF {
			return eventRow{}, false, io.EOF
		}
		return eventRow{}, false, csvError(f.name, err)
	}
	f.line, _ = f.cr.FieldPos(0)
	fail := func(col int, format string, args ...any) error {
		return &InputError{File: f.name, Line: f.line, Column: col + 1, Msg: fmt.Sprintf(format, args...)}
	}
	return f.src.row(rec, fail)
}

// sessionInfo is a session's first event: its time (Unix milliseconds)
// and its visit attributes (an index into the import's distinct visits).
type sessionInfo struct {
	start int64
	visit uint32
}

// eventPlan is what the first pass learns of a file.
type eventPlan struct {
	sessions map[uint64]sessionInfo
	visits   []sillage.Visit
	rows     int // rows of the file (skipped ones too)
	min, max string
}

// ids derives the visitor and session ids of a row with the import's salt.
type ids struct{ k0, k1 uint64 }

func newIDs(salt string) (ids, error) {
	b, err := hex.DecodeString(salt)
	if err != nil || len(b) != 16 {
		return ids{}, fmt.Errorf("imports: bad salt in the cursor")
	}
	var k ids
	for i := range 8 {
		k.k0 |= uint64(b[i]) << (8 * i)
		k.k1 |= uint64(b[8+i]) << (8 * i)
	}
	return k, nil
}

func (k ids) visitor(r *eventRow) uint64 {
	return siphash.Hash(k.k0, k.k1, []byte("v\x00"+r.visitor))
}

func (k ids) session(r *eventRow) uint64 {
	return siphash.Hash(k.k0, k.k1, []byte("s\x00"+r.visitor+"\x00"+r.session))
}

// siteOf reads what enrichment needs of the site: its host (a referrer
// from it is no source), its timezone (native days) and its retention.
func (m *Manager) siteOf(ctx context.Context, siteID uint32) (host, tz string, retention uint16, err error) {
	err = store.QueryRow(ctx, m.Engine, "SELECT domain, timezone, retention_days FROM sites FINAL WHERE id = {id:UInt32} AND deleted = 0",
		store.Params{"id": siteID}, &host, &tz, &retention)
	if err != nil {
		return "", "", 0, fmt.Errorf("imports: site %d: %w", siteID, err)
	}
	return host, tz, retention, nil
}

// visitOf enriches a row's visit attributes as the collector does.
func visitOf(r *eventRow, siteHost string) sillage.Visit {
	q, _ := url.ParseQuery(r.query)
	ref := r.referrer
	if ref != "" && !strings.Contains(ref, "://") {
		ref = "https://" + ref
	}
	acq := enrich.Acquire(q, ref, siteHost)
	// Tags given in columns of their own (Umami's utm_* columns) count when
	// the page's query has none.
	if acq.UTMSource == "" && r.utm.Source != "" {
		acq.UTMSource = r.utm.Source
		acq.ReferrerSource = enrich.CanonicalSource(r.utm.Source)
	}
	if acq.UTMMedium == "" {
		acq.UTMMedium = r.utm.Medium
	}
	if acq.UTMCampaign == "" {
		acq.UTMCampaign = r.utm.Name
	}
	if acq.UTMTerm == "" {
		acq.UTMTerm = r.utm.Term
	}
	if acq.UTMContent == "" {
		acq.UTMContent = r.utm.Content
	}
	if acq.ReferrerSource == "" && r.source != "" {
		acq.ReferrerSource = r.source
	}
	acq.Channel = enrich.Channel(enrich.ChannelInput{Source: acq.ReferrerSource, UTMSource: acq.UTMSource,
		UTMMedium: acq.UTMMedium, UTMCampaign: acq.UTMCampaign, ClickIDParam: acq.ClickIDParam})
	return sillage.Visit{
		Referrer: acq.Referrer, ReferrerSource: acq.ReferrerSource, Channel: acq.Channel,
		UTMSource: acq.UTMSource, UTMMedium: acq.UTMMedium, UTMCampaign: acq.UTMCampaign,
		UTMTerm: acq.UTMTerm, UTMContent: acq.UTMContent, ClickIDParam: acq.ClickIDParam,
		CountryCode: r.country, Region: r.region, City: r.city,
		Browser: r.browser, BrowserVersion: r.browserVersion, OS: r.os, OSVersion: r.osVersion, Device: r.device,
	}
}

// plan is the first pass: every row is checked, and each session's first
// event found. Memory grows with the file's sessions (about 50 bytes
// each) and its distinct visit attributes, not with its rows.
func (m *Manager) plan(ctx context.Context, j *Job, src eventSource, k ids, siteHost string) (*eventPlan, error) {
	var read uint64
	f, closeFile, err := m.openEventFile(j, src, &read)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	p := &eventPlan{sessions: map[uint64]sessionInfo{}}
	interned := map[sillage.Visit]uint32{}
	for {
		if p.rows%10_000 == 0 {
			if err := context.Cause(ctx); err != nil {
				return nil, err
			}
		}
		r, skip, err := f.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		p.rows++
		if skip {
			continue
		}
		d := r.ts.Format(time.DateOnly)
		if p.min == "" || d < p.min {
			p.min = d
		}
		if d > p.max {
			p.max = d
		}
		sid := k.session(&r)
		ms := r.ts.UnixMilli()
		if s, ok := p.sessions[sid]; ok && s.start <= ms {
			continue
		}
		v := visitOf(&r, siteHost)
		idx, ok := interned[v]
		if !ok {
			idx = uint32(len(p.visits))
			p.visits = append(p.visits, v)
			interned[v] = idx
		}
		p.sessions[sid] = sessionInfo{start: ms, visit: idx}
	}
	if p.rows == 0 {
		return nil, &InputError{File: j.FileName, Msg: "no rows after the header"}
	}
	return p, nil
}

// nativeDays are the days (in the site's timezone) on which the site has
// collected events within [min, max]: an import keeps them as collected.
func (m *Manager) nativeDays(ctx context.Context, siteID uint32, tz, min, max string) (map[string]bool, error) {
	rows, err := m.Engine.Query(ctx, `SELECT DISTINCT toString(toDate(ts, {tz:String})) FROM events
		WHERE site_id = {site:UInt32} AND import_id = 0
		AND ts >= toDateTime64({min:Date}, 3, 'UTC') - INTERVAL 1 DAY AND ts < toDateTime64({max:Date}, 3, 'UTC') + INTERVAL 2 DAY`,
		store.Params{"site": siteID, "tz": tz, "min": min, "max": max})
	if err != nil {
		return nil, fmt.Errorf("imports: days with collected events: %w", err)
	}
	defer rows.Close()
	days := map[string]bool{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("imports: days with collected events: %w", err)
		}
		days[d] = true
	}
	return days, rows.Err()
}

// runEvents imports an event-level file (see the top of this file).
func (m *Manager) runEvents(ctx context.Context, j *Job) (err error) {
	defer func() {
		// A job that ends here (failed, cancelled, deleted) needs its ids
		// no more; one the server stops keeps them to resume.
		cause := context.Cause(ctx)
		if err != nil && (cause == nil || errors.Is(cause, errCancelled) || errors.Is(cause, errDeleted)) {
			j.Cursor.Salt = ""
		}
	}()
	newSrc := func() eventSource { s, _ := eventSourceOf(j.Source); return s }
	if j.Cursor.Salt == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		j.Cursor.Salt = hex.EncodeToString(b[:])
		if err := m.save(ctx, *j, 0); err != nil {
			return err
		}
	}
	k, err := newIDs(j.Cursor.Salt)
	if err != nil {
		return err
	}
	host, tz, retention, err := m.siteOf(ctx, j.SiteID)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	p, err := m.plan(ctx, j, newSrc(), k, host)
	if err != nil {
		return err
	}
	native, err := m.nativeDays(ctx, j.SiteID, tz, p.min, p.max)
	if err != nil {
		return err
	}

	var read uint64
	f, closeFile, err := m.openEventFile(j, newSrc(), &read)
	if err != nil {
		return err
	}
	defer closeFile()
	for range j.Cursor.Row {
		if _, _, err := f.next(); err != nil {
			if err == io.EOF {
				return fmt.Errorf("%s: the file ends before row %d, where the import stopped: it changed since", j.FileName, j.Cursor.Row)
			}
			return err
		}
	}
	now := m.now()
	if _, ok := j.Rows[EventsTable]; !ok {
		j.Rows[EventsTable] = 0
	}
	limit := m.batchRows()
	batch := make([]sillage.Event, 0, min(limit, 100_000))
	rowsInBatch := 0
	var pageviews uint64
	flush := func() error {
		if rowsInBatch == 0 {
			return nil
		}
		if err := context.Cause(ctx); err != nil {
			return err
		}
		// The token makes a batch written twice (a crash between the
		// insert and the cursor's save) count once, sessions included.
		token := fmt.Sprintf("import-%d-%d", j.ID, j.Cursor.Batch)
		if err := m.Engine.InsertEvents(ctx, token, batch); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("%s: store events up to line %d: %w", j.FileName, f.line, err)
		}
		j.Rows[EventsTable] += uint64(len(batch))
		j.Pageviews += pageviews
		j.Cursor.Row += rowsInBatch
		j.Cursor.Batch++
		j.Cursor.MinDate, j.Cursor.MaxDate = p.min, p.max
		j.StartDate, j.EndDate = p.min, p.max
		j.BytesDone = min(read, j.BytesTotal)
		if err := m.save(ctx, *j, 0); err != nil {
			return err
		}
		if m.onBatch != nil {
			m.onBatch(*j)
		}
		if m.OnProgress != nil {
			m.OnProgress(*j)
		}
		batch, rowsInBatch, pageviews = batch[:0], 0, 0
		return nil
	}
	for {
		r, skip, err := f.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		rowsInBatch++
		if !skip && retention > 0 && r.ts.AddDate(0, 0, int(retention)).Before(now) {
			// The store's TTL would drop it as it is written.
			j.Rows[EventsBeyondRetention]++
			skip = true
		}
		if !skip && !native[r.ts.In(loc).Format(time.DateOnly)] {
			sid := k.session(&r)
			s := p.sessions[sid]
			e := sillage.Event{SiteID: j.SiteID, Timestamp: r.ts, Name: r.name, VisitorID: k.visitor(&r), SessionID: sid,
				SessionStart: time.UnixMilli(s.start).UTC(), Hostname: r.hostname, Pathname: r.pathname,
				Visit: p.visits[s.visit], Interactive: true, RetentionDays: retention, ImportID: j.ID}
			if e.Hostname == "" {
				e.Hostname = host
			}
			if e.Name == sillage.EventPageview {
				pageviews++
			}
			batch = append(batch, e)
		}
		if rowsInBatch >= limit {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if j.StartDate == "" {
		j.StartDate, j.EndDate = p.min, p.max
	}
	// The ids can no longer be recomputed from the file.
	j.Cursor.Salt = ""
	return nil
}

// deleteEvents removes an import's events and their sessions. The
// sessions go first: they are found through the events.
func (m *Manager) deleteEvents(ctx context.Context, siteID uint32, id uint64) error {
	target := migrations.Target{Cluster: m.Cluster}
	sessions, err := target.MutationTable("sessions")
	if err != nil {
		return err
	}
	events, err := target.MutationTable("events")
	if err != nil {
		return err
	}
	p := store.Params{"site": siteID, "id": id}
	if err := m.Engine.Exec(ctx, "DELETE FROM "+sessions+` WHERE site_id = {site:UInt32} AND session_id IN
		(SELECT DISTINCT session_id FROM events WHERE site_id = {site:UInt32} AND import_id = {id:UInt64})`, p); err != nil {
		return fmt.Errorf("imports: delete the sessions of import %d: %w", id, err)
	}
	if err := m.Engine.Exec(ctx, "DELETE FROM "+events+" WHERE site_id = {site:UInt32} AND import_id = {id:UInt64}", p); err != nil {
		return fmt.Errorf("imports: delete the events of import %d: %w", id, err)
	}
	return nil
}

// deleteImported removes what an import wrote, wherever its source writes.
func (m *Manager) deleteImported(ctx context.Context, j Job) error {
	if isEventSource(j.Source) {
		return m.deleteEvents(ctx, j.SiteID, j.ID)
	}
	return m.deleteRows(ctx, j.SiteID, j.ID)
}
