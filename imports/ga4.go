package imports

// Google Analytics 4, through the Data API's runReport (v1beta): one
// report per imported_* table, with the day as a dimension, read in pages
// of GA4Config.PageSize rows. The job's cursor is (report, offset, batch):
// each page is one insert, tagged with a deduplication token, and the
// cursor is saved after it, so a job stopped by the server, by a quota
// (HTTP 429, RESOURCE_EXHAUSTED) or by a crash resumes at the page it had
// not stored, never from the start.
//
// The HTTP calls are made with golang.org/x/oauth2 (and its google
// package for the service account's signed JWT and the OAuth flow) over
// net/http and encoding/json. Google's generated client,
// google.golang.org/api/analyticsdata/v1beta, was measured against it in
// a scratch program (README.md of this package): it brings tens of
// modules (gRPC, OpenCensus/OpenTelemetry, the auth library) for two
// JSON calls whose request and response shapes are a few structs here.
//
// Authorisation is held only while the job needs it: the service
// account's key is written with the job's request into its file in the
// data folder (mode 0600); the OAuth refresh token is stored sealed in
// ga4_connections (ga4store.go), the file naming its row. Both are removed
// when the job completes, fails, is cancelled or deleted.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"golang.org/x/oauth2/jwt"

	"github.com/sillage-analytics/sillage/collector/enrich"
)

// SourceGA4 is Google Analytics 4, read through its Data API.
const SourceGA4 = "ga4"

// GA4Scope is the OAuth scope the import needs: read-only Analytics.
const GA4Scope = "https://www.googleapis.com/auth/analytics.readonly"

// ga4Earliest is the first day a GA4 property can hold (GA4's launch
// predecessor, App + Web, opened in August 2015); the Data API refuses
// earlier dates.
const ga4Earliest = "2015-08-14"

// GA4MaxLimit is the most rows one runReport page may ask for.
const GA4MaxLimit = 250_000

// GA4Config is how the server reaches Google. Zero values are Google's
// public endpoints.
type GA4Config struct {
	// DataURL is the Data API's base (https://analyticsdata.googleapis.com).
	DataURL string
	// AdminURL is the Admin API's base (https://analyticsadmin.googleapis.com),
	// for the properties an OAuth connection may read.
	AdminURL string
	// OAuth is the client ops configured for the OAuth flow; nil without.
	OAuth *oauth2.Config
	// HTTPClient carries every call (the token exchange too); nil is
	// http.DefaultClient.
	HTTPClient *http.Client
	// PageSize is the rows of one runReport page; 0 means 100 000.
	PageSize int
	// Backoff is the first wait after a 429; it doubles up to MaxBackoff.
	// 0 means 30 s.
	Backoff time.Duration
	// MaxBackoff caps the wait; 0 means one hour (the hourly quota).
	MaxBackoff time.Duration
	// MaxRetries is how many 429s in a row a job waits out before it
	// fails; 0 means 12.
	MaxRetries int
}

// GA4Request is what a GA4 import reads: the property, the days, and one
// of the two authorisations. It is the job's stored file while it runs.
type GA4Request struct {
	// Property is "properties/123456789" (or the bare number).
	Property string `json:"property"`
	// StartDate and EndDate bound the days (YYYY-MM-DD); an empty start
	// is the property's first day with data, an empty end yesterday.
	StartDate string `json:"start_date,omitempty"`
	EndDate   string `json:"end_date,omitempty"`
	// Credentials is a service account's JSON key.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	// Token is the OAuth flow's token (its refresh token), given to
	// SubmitGA4; the job's file names the row that keeps it sealed
	// (Connection) instead. A file of an earlier release may hold it.
	Token *oauth2.Token `json:"token,omitempty"`
	// Connection is the ga4_connections row of the job's token.
	Connection string `json:"connection,omitempty"`
}

var ga4Property = regexp.MustCompile(`^(?:properties/)?([1-9][0-9]{0,19})$`)

// NormalizeGA4Property gives "properties/N" for "N" or "properties/N".
func NormalizeGA4Property(p string) (string, error) {
	m := ga4Property.FindStringSubmatch(strings.TrimSpace(p))
	if m == nil {
		return "", &InputError{File: "property", Msg: fmt.Sprintf("%q is not a GA4 property id (a number, as in Admin > Property details, or properties/NUMBER)", p)}
	}
	return "properties/" + m[1], nil
}

// ErrGA4NotConfigured is an OAuth import on a server without a client.
var ErrGA4NotConfigured = errors.New("the Google OAuth client is not configured on this server (ga4-client-id, ga4-client-secret)")

func (c *GA4Config) dataURL() string {
	if c.DataURL != "" {
		return strings.TrimRight(c.DataURL, "/")
	}
	return "https://analyticsdata.googleapis.com"
}

func (c *GA4Config) adminURL() string {
	if c.AdminURL != "" {
		return strings.TrimRight(c.AdminURL, "/")
	}
	return "https://analyticsadmin.googleapis.com"
}

func (c *GA4Config) pageSize() int {
	if c.PageSize > 0 {
		return min(c.PageSize, GA4MaxLimit)
	}
	return 100_000
}

func (c *GA4Config) httpCtx(ctx context.Context) context.Context {
	if c.HTTPClient != nil {
		return context.WithValue(ctx, oauth2.HTTPClient, c.HTTPClient)
	}
	return ctx
}

// client is an HTTP client that authorises its calls with req's key or
// token.
func (c *GA4Config) client(ctx context.Context, req *GA4Request) (*http.Client, error) {
	ctx = c.httpCtx(ctx)
	switch {
	case len(req.Credentials) > 0:
		conf, err := serviceAccount(req.Credentials)
		if err != nil {
			return nil, err
		}
		return oauth2.NewClient(ctx, conf.TokenSource(ctx)), nil
	case req.Token != nil:
		if c.OAuth == nil {
			return nil, ErrGA4NotConfigured
		}
		return oauth2.NewClient(ctx, c.OAuth.TokenSource(ctx, req.Token)), nil
	}
	return nil, &InputError{File: "credentials", Msg: "a GA4 import needs a service account's JSON key or a Google connection"}
}

// serviceAccount reads a service account's JSON key.
func serviceAccount(key []byte) (*jwt.Config, error) {
	var probe struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if err := json.Unmarshal(key, &probe); err != nil {
		return nil, &InputError{File: "credentials", Msg: "not a JSON key: " + err.Error()}
	}
	if probe.Type != "service_account" || probe.ClientEmail == "" || probe.PrivateKey == "" {
		return nil, &InputError{File: "credentials", Msg: `not a service account's key (expected "type": "service_account" with client_email and private_key; create one in Google Cloud > IAM > Service accounts > Keys)`}
	}
	// The key is read now, so that a damaged one is refused at the upload
	// rather than failing the job.
	block, _ := pem.Decode([]byte(probe.PrivateKey))
	if block == nil {
		return nil, &InputError{File: "credentials", Msg: "private_key is not a PEM key"}
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if _, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 != nil {
			return nil, &InputError{File: "credentials", Msg: "private_key: " + err.Error()}
		}
	}
	conf, err := google.JWTConfigFromJSON(key, GA4Scope)
	if err != nil {
		return nil, &InputError{File: "credentials", Msg: err.Error()}
	}
	return conf, nil
}

// ServiceAccountEmail is the account a key signs as: the one the owner
// adds as a Viewer of the property.
func ServiceAccountEmail(key []byte) (string, error) {
	conf, err := serviceAccount(key)
	if err != nil {
		return "", err
	}
	return conf.Email, nil
}

// SubmitGA4 queues the import of a GA4 property into a site. A property
// is imported once per site: while an import of it is pending, running or
// completed, that one is returned with existed set (delete it to import
// again, e.g. with more days).
func (m *Manager) SubmitGA4(ctx context.Context, siteID uint32, req GA4Request, createdBy string) (job Job, existed bool, err error) {
	m.init()
	if req.Property, err = NormalizeGA4Property(req.Property); err != nil {
		return Job{}, false, err
	}
	for _, d := range []string{req.StartDate, req.EndDate} {
		if d != "" && !validDate(d) {
			return Job{}, false, &InputError{File: "dates", Msg: fmt.Sprintf("%q is not a date (YYYY-MM-DD)", d)}
		}
	}
	if req.StartDate != "" && req.EndDate != "" && req.StartDate > req.EndDate {
		return Job{}, false, &InputError{File: "dates", Msg: "the start date is after the end date"}
	}
	switch {
	case len(req.Credentials) > 0:
		if _, err := serviceAccount(req.Credentials); err != nil {
			return Job{}, false, err
		}
		req.Token = nil
	case req.Token != nil && req.Token.RefreshToken != "":
		if m.GA4.OAuth == nil {
			return Job{}, false, ErrGA4NotConfigured
		}
	default:
		return Job{}, false, &InputError{File: "credentials", Msg: "a GA4 import needs a service account's JSON key or a Google connection"}
	}
	h := sha256.Sum256([]byte(SourceGA4 + "\x00" + req.Property))
	sum := hex.EncodeToString(h[:])
	if prev, ok, err := m.byHash(ctx, siteID, sum); err != nil {
		return Job{}, false, err
	} else if ok {
		return prev, true, nil
	}
	if err := os.MkdirAll(m.Dir, 0o700); err != nil {
		return Job{}, false, fmt.Errorf("imports: folder %s: %w", m.Dir, err)
	}
	job = Job{ID: newID(), SiteID: siteID, Source: SourceGA4, FileName: req.Property, Hash: sum, Status: Pending,
		BytesTotal: uint64(len(ga4Reports)) * ga4Steps, Rows: map[string]uint64{}, CreatedBy: createdBy,
		CreatedAt: m.now().UTC().Truncate(time.Millisecond)}
	stored := req
	if req.Token != nil {
		// The refresh token is kept sealed, for the job alone, until it
		// ends; the file names its row.
		stored.Token, stored.Connection = nil, ga4JobToken(job.ID)
		if err := m.storeGA4Token(ctx, siteID, stored.Connection, createdBy, job.ID, req.Token.RefreshToken, time.Time{}); err != nil {
			return Job{}, false, err
		}
	}
	body, err := json.Marshal(stored)
	if err != nil {
		return Job{}, false, err
	}
	// The request may hold a key: written for the job's owner alone, and
	// removed with the job's end (Process, Cancel, Delete).
	if err := os.WriteFile(m.path(job.ID), body, 0o600); err != nil {
		return Job{}, false, errors.Join(fmt.Errorf("imports: store the GA4 request: %w", err), m.deleteGA4Token(ctx, job))
	}
	if err := m.save(ctx, job, 0); err != nil {
		os.Remove(m.path(job.ID))
		return Job{}, false, errors.Join(err, m.deleteGA4Token(ctx, job))
	}
	m.Log.Info("import queued", "site", siteID, "import", job.ID, "source", SourceGA4, "property", req.Property)
	m.enqueue(job.ID)
	return job, false, nil
}

// ga4Steps is the progress of one report: BytesDone/BytesTotal of a GA4
// job count reports, in thousandths.
const ga4Steps = 1000

// ga4Report is one runReport per imported table.
type ga4Report struct {
	table      string
	dimensions []string
	metrics    []string
	// filter limits the rows (custom events: the two GA4 events that are
	// Plausible's outbound-link and file-download goals).
	filter *ga4Filter
	row    func(j *Job, d, m map[string]string) map[string]string
}

// Metrics every session-scoped report reads; bounces are sessions less
// engaged sessions, as Plausible's GA4 import counts them.
var ga4SessionMetrics = []string{"totalUsers", "screenPageViews", "sessions", "engagedSessions", "userEngagementDuration"}

func sessionCols(m map[string]string) map[string]string {
	return map[string]string{"visitors": m["totalUsers"], "pageviews": m["screenPageViews"], "visits": m["sessions"],
		"bounces": sub(m["sessions"], m["engagedSessions"]), "visit_duration": m["userEngagementDuration"]}
}

func with(base map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		base[kv[i]] = kv[i+1]
	}
	return base
}

// ga4Missing are GA4's placeholders for a value it does not have.
var ga4Missing = map[string]bool{"(none)": true, "(not set)": true, "(not provided)": true, "(other)": true, "(data not available)": true}

func orEmpty(v string) string {
	if ga4Missing[v] {
		return ""
	}
	return v
}

var ga4Browsers = map[string]string{"User-Agent:Opera": "Opera", "Mozilla Compatible Agent": "Mobile App",
	"Android Webview": "Mobile App", "Android Browser": "Mobile App", "Safari (in-app)": "Mobile App", "User-Agent: Mozilla": "Firefox"}

var ga4Systems = map[string]string{"Macintosh": "Mac", "Linux": "GNU/Linux"}

var ga4Devices = map[string]string{"desktop": "Desktop", "mobile": "Mobile", "tablet": "Tablet", "smart tv": "Smart TV"}

var ga4Events = map[string]string{"click": "Outbound Link: Click", "file_download": "File Download"}

func mapped(m map[string]string, v string) string {
	if n, ok := m[v]; ok {
		return n
	}
	return orEmpty(v)
}

// ga4Source names a GA4 session source as the collector names referrers.
func ga4Source(s string) string {
	s = orEmpty(s)
	if s == "" || s == "(direct)" {
		return ""
	}
	if n := enrich.CanonicalSource(s); n != "" {
		return n
	}
	return s
}

// pathOnly drops a GA4 page path's query and fragment.
func pathOnly(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if p == "" {
		return "/"
	}
	return p
}

var ga4Reports = []ga4Report{
	{table: "imported_visitors", dimensions: []string{"date"}, metrics: ga4SessionMetrics,
		row: func(_ *Job, d, m map[string]string) map[string]string { return sessionCols(m) }},
	{table: "imported_sources", dimensions: []string{"date", "sessionSource", "sessionMedium", "sessionCampaignName", "sessionManualAdContent", "sessionGoogleAdsKeyword"},
		metrics: ga4SessionMetrics, row: func(_ *Job, d, m map[string]string) map[string]string {
			return with(sessionCols(m), "source", ga4Source(d["sessionSource"]), "utm_medium", orEmpty(d["sessionMedium"]),
				"utm_campaign", orEmpty(d["sessionCampaignName"]), "utm_content", orEmpty(d["sessionManualAdContent"]),
				"utm_term", orEmpty(d["sessionGoogleAdsKeyword"]))
		}},
	{table: "imported_pages", dimensions: []string{"date", "hostName", "pagePath"},
		metrics: []string{"totalUsers", "screenPageViews", "sessions", "userEngagementDuration"},
		row: func(_ *Job, d, m map[string]string) map[string]string {
			// GA4 has no exits nor scroll depth per page.
			return map[string]string{"hostname": strings.TrimPrefix(orEmpty(d["hostName"]), "www."), "page": pathOnly(d["pagePath"]),
				"visitors": m["totalUsers"], "pageviews": m["screenPageViews"], "visits": m["sessions"], "time_on_page": m["userEngagementDuration"]}
		}},
	{table: "imported_entry_pages", dimensions: []string{"date", "landingPage"}, metrics: ga4SessionMetrics,
		row: func(_ *Job, d, m map[string]string) map[string]string {
			c := sessionCols(m)
			return with(c, "entry_page", pathOnly(orEmpty(d["landingPage"])), "entrances", c["visits"])
		}},
	// GA4 has no exit page dimension: imported_exit_pages stays empty, as
	// in Plausible's GA4 import. Regions come as names, read back into
	// ISO 3166-2 codes (ga4regions.go); cities come as names and Google's
	// own ids, where the table holds GeoNames ids: none (README.md).
	{table: "imported_locations", dimensions: []string{"date", "countryId", "region"}, metrics: ga4SessionMetrics,
		row: func(j *Job, d, m map[string]string) map[string]string {
			country, region := orEmpty(d["countryId"]), orEmpty(d["region"])
			code := ""
			if country != "" && region != "" {
				var ok bool
				if code, ok = ga4RegionCode(country, region); !ok {
					if j.Cursor.Regions == nil {
						j.Cursor.Regions = ga4Unmapped{}
					}
					j.Cursor.Regions.add(country, region)
				}
			}
			return with(sessionCols(m), "country", country, "region", code)
		}},
	{table: "imported_devices", dimensions: []string{"date", "deviceCategory"}, metrics: ga4SessionMetrics,
		row: func(_ *Job, d, m map[string]string) map[string]string {
			return with(sessionCols(m), "device", mapped(ga4Devices, d["deviceCategory"]))
		}},
	{table: "imported_browsers", dimensions: []string{"date", "browser"}, metrics: ga4SessionMetrics,
		row: func(_ *Job, d, m map[string]string) map[string]string {
			return with(sessionCols(m), "browser", mapped(ga4Browsers, d["browser"]))
		}},
	{table: "imported_operating_systems", dimensions: []string{"date", "operatingSystem", "operatingSystemVersion"}, metrics: ga4SessionMetrics,
		row: func(_ *Job, d, m map[string]string) map[string]string {
			return with(sessionCols(m), "operating_system", mapped(ga4Systems, d["operatingSystem"]),
				"operating_system_version", orEmpty(d["operatingSystemVersion"]))
		}},
	{table: "imported_custom_events", dimensions: []string{"date", "eventName", "linkUrl"}, metrics: []string{"totalUsers", "eventCount"},
		filter: &ga4Filter{Filter: &ga4FieldFilter{FieldName: "eventName", InListFilter: &ga4InList{Values: []string{"click", "file_download"}}}},
		row: func(_ *Job, d, m map[string]string) map[string]string {
			return map[string]string{"name": ga4Events[d["eventName"]], "link_url": orEmpty(d["linkUrl"]), "visitors": m["totalUsers"], "events": m["eventCount"]}
		}},
}

// sub is a − b of two GA4 metric values, at least 0.
func sub(a, b string) string {
	x, _ := strconv.ParseFloat(a, 64)
	y, _ := strconv.ParseFloat(b, 64)
	return strconv.FormatFloat(max(0, x-y), 'f', -1, 64)
}

// The Data API's JSON, the parts the import uses.
type (
	ga4Named struct {
		Name string `json:"name"`
	}
	ga4InList struct {
		Values []string `json:"values"`
	}
	ga4Filter struct {
		Filter *ga4FieldFilter `json:"filter,omitempty"`
	}
	ga4OrderBy struct {
		Dimension *ga4OrderDim `json:"dimension,omitempty"`
	}
	ga4OrderDim struct {
		DimensionName string `json:"dimensionName"`
	}
	ga4FieldFilter struct {
		FieldName    string     `json:"fieldName"`
		InListFilter *ga4InList `json:"inListFilter,omitempty"`
	}
	// GA4RunReportRequest is the body of properties/N:runReport.
	GA4RunReportRequest struct {
		DateRanges          []ga4DateRangeJSON `json:"dateRanges"`
		Dimensions          []ga4Named         `json:"dimensions"`
		Metrics             []ga4Named         `json:"metrics"`
		DimensionFilter     *ga4Filter         `json:"dimensionFilter,omitempty"`
		OrderBys            []ga4OrderBy       `json:"orderBys,omitempty"`
		Limit               string             `json:"limit"`
		Offset              string             `json:"offset,omitempty"`
		KeepEmptyRows       bool               `json:"keepEmptyRows,omitempty"`
		ReturnPropertyQuota bool               `json:"returnPropertyQuota"`
	}
	ga4DateRangeJSON struct {
		StartDate string `json:"startDate"`
		EndDate   string `json:"endDate"`
	}
	ga4Value struct {
		Value string `json:"value"`
	}
	ga4ReportRow struct {
		DimensionValues []ga4Value `json:"dimensionValues"`
		MetricValues    []ga4Value `json:"metricValues"`
	}
	ga4QuotaStatus struct {
		Consumed  int64 `json:"consumed"`
		Remaining int64 `json:"remaining"`
	}
	ga4Quota struct {
		TokensPerDay  ga4QuotaStatus `json:"tokensPerDay"`
		TokensPerHour ga4QuotaStatus `json:"tokensPerHour"`
	}
	ga4RunReportResponse struct {
		DimensionHeaders []ga4Named     `json:"dimensionHeaders"`
		MetricHeaders    []ga4Named     `json:"metricHeaders"`
		Rows             []ga4ReportRow `json:"rows"`
		RowCount         int64          `json:"rowCount"`
		PropertyQuota    *ga4Quota      `json:"propertyQuota"`
	}
	ga4ErrorBody struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
)

// errGA4Quota is a 429 (RESOURCE_EXHAUSTED): wait and ask again.
type errGA4Quota struct{ msg string }

func (e *errGA4Quota) Error() string { return "Google Analytics quota exhausted: " + e.msg }

// ga4Call posts (or gets, with a nil body) JSON and decodes the answer.
func ga4Call(ctx context.Context, hc *http.Client, method, u string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("calling Google Analytics: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 512<<20))
	if err != nil {
		return fmt.Errorf("reading the answer of Google Analytics: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e ga4ErrorBody
		_ = json.Unmarshal(data, &e)
		msg := e.Error.Message
		if msg == "" {
			msg = strings.TrimSpace(string(data[:min(len(data), 300)]))
		}
		if resp.StatusCode == http.StatusTooManyRequests || e.Error.Status == "RESOURCE_EXHAUSTED" {
			return &errGA4Quota{msg}
		}
		return fmt.Errorf("the Google Analytics API answered %d %s: %s", resp.StatusCode, e.Error.Status, msg)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("an unreadable answer from Google Analytics: %w", err)
	}
	return nil
}

// runReport asks for one page, waiting out 429s with a doubling backoff.
func (m *Manager) runReport(ctx context.Context, hc *http.Client, property string, body GA4RunReportRequest) (*ga4RunReportResponse, error) {
	c := &m.GA4
	wait := c.Backoff
	if wait <= 0 {
		wait = 30 * time.Second
	}
	maxWait := c.MaxBackoff
	if maxWait <= 0 {
		maxWait = time.Hour
	}
	retries := c.MaxRetries
	if retries <= 0 {
		retries = 12
	}
	for attempt := 0; ; attempt++ {
		var out ga4RunReportResponse
		err := ga4Call(ctx, hc, http.MethodPost, c.dataURL()+"/v1beta/"+property+":runReport", body, &out)
		var q *errGA4Quota
		if !errors.As(err, &q) {
			if err != nil && ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			if err == nil && out.PropertyQuota != nil {
				m.Log.Debug("ga4: quota", "property", property, "tokens_hour_left", out.PropertyQuota.TokensPerHour.Remaining,
					"tokens_day_left", out.PropertyQuota.TokensPerDay.Remaining)
			}
			return &out, err
		}
		if attempt >= retries {
			return nil, fmt.Errorf("%w (gave up after %d waits; the import resumes from where it stopped if started again)", err, retries)
		}
		m.Log.Warn("ga4: quota exhausted, waiting", "property", property, "wait", wait, "err", q.msg)
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(wait):
		}
		wait = min(2*wait, maxWait)
	}
}

func (m *Manager) readGA4Request(id uint64) (*GA4Request, error) {
	b, err := os.ReadFile(m.path(id))
	if err != nil {
		return nil, fmt.Errorf("imports: the request of GA4 import %d: %w", id, err)
	}
	var req GA4Request
	if err := json.Unmarshal(b, &req); err != nil {
		return nil, fmt.Errorf("imports: the request of GA4 import %d: %w", id, err)
	}
	return &req, nil
}

// runGA4 reads the reports from the cursor on.
func (m *Manager) runGA4(ctx context.Context, j *Job) error {
	req, err := m.readGA4Request(j.ID)
	if err != nil {
		return err
	}
	if req.Token == nil && req.Connection != "" {
		if req.Token, err = m.ga4Token(ctx, j.SiteID, req.Connection, ""); err != nil {
			return fmt.Errorf("GA4 import %d: its Google connection: %w", j.ID, err)
		}
	}
	hc, err := m.GA4.client(ctx, req)
	if err != nil {
		return err
	}
	// The range is fixed on the first run and kept in the cursor, so a
	// resumed job asks for the same pages.
	if j.Cursor.From == "" {
		to := req.EndDate
		if to == "" {
			to = m.now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		}
		from := req.StartDate
		if from == "" {
			if from, err = m.ga4FirstDay(ctx, hc, req.Property, to); err != nil {
				return err
			}
		}
		if from == "" || from > to {
			return nil // no data: an empty import
		}
		j.Cursor.From, j.Cursor.To = from, to
		if err := m.save(ctx, *j, 0); err != nil {
			return err
		}
	}
	limit := m.GA4.pageSize()
	for ri := j.Cursor.File; ri < len(ga4Reports); ri++ {
		rep := &ga4Reports[ri]
		t, _ := lookupTable(rep.table)
		cols := strings.Join(append([]string{"site_id", "import_id"}, t.ColumnNames()...), ", ")
		if _, ok := j.Rows[rep.table]; !ok {
			j.Rows[rep.table] = 0
		}
		for {
			body := GA4RunReportRequest{DateRanges: []ga4DateRangeJSON{{j.Cursor.From, j.Cursor.To}},
				Limit: strconv.Itoa(limit), ReturnPropertyQuota: true, DimensionFilter: rep.filter,
				// A stable order keeps the pages the same on a resumed run.
				OrderBys: []ga4OrderBy{{Dimension: &ga4OrderDim{DimensionName: "date"}}}}
			if j.Cursor.Row > 0 {
				body.Offset = strconv.Itoa(j.Cursor.Row)
			}
			for _, d := range rep.dimensions {
				body.Dimensions = append(body.Dimensions, ga4Named{d})
			}
			for _, mt := range rep.metrics {
				body.Metrics = append(body.Metrics, ga4Named{mt})
			}
			resp, err := m.runReport(ctx, hc, req.Property, body)
			if err != nil {
				return err
			}
			buf, pv, err := ga4Rows(rep, t, resp, j)
			if err != nil {
				return fmt.Errorf("GA4 %s report, rows from %d: %w", rep.table, j.Cursor.Row, err)
			}
			if len(resp.Rows) > 0 {
				if err := context.Cause(ctx); err != nil {
					return err
				}
				token := fmt.Sprintf("import-%d-%d-%d", j.ID, ri, j.Cursor.Batch)
				q := "INSERT INTO " + t.Name + " (" + cols + ") SETTINGS insert_deduplication_token = '" + token +
					"' FORMAT TabSeparated\n" + string(buf)
				if err := m.Engine.Exec(ctx, q, nil); err != nil {
					if ctx.Err() != nil {
						return context.Cause(ctx)
					}
					return fmt.Errorf("GA4 %s report: store rows from %d: %w", rep.table, j.Cursor.Row, err)
				}
				j.Rows[t.Name] += uint64(len(resp.Rows))
				j.Pageviews += pv
				j.Cursor.Row += len(resp.Rows)
				j.Cursor.Batch++
			}
			done := len(resp.Rows) == 0 || int64(j.Cursor.Row) >= resp.RowCount
			if done {
				j.Cursor.File, j.Cursor.Row, j.Cursor.Batch = ri+1, 0, 0
				j.BytesDone = uint64(ri+1) * ga4Steps
			} else {
				j.BytesDone = uint64(ri)*ga4Steps + uint64(float64(ga4Steps)*float64(j.Cursor.Row)/float64(max(1, resp.RowCount)))
			}
			j.StartDate, j.EndDate = j.Cursor.MinDate, j.Cursor.MaxDate
			if err := m.save(ctx, *j, 0); err != nil {
				return err
			}
			if m.onBatch != nil {
				m.onBatch(*j)
			}
			if m.OnProgress != nil {
				m.OnProgress(*j)
			}
			if done {
				break
			}
		}
	}
	if w := j.Cursor.Regions.warning(); w != "" {
		j.Warnings = []string{w}
		m.Log.Warn("ga4: regions imported without a code", "site", j.SiteID, "import", j.ID, "names", len(j.Cursor.Regions))
	}
	return nil
}

// ga4FirstDay is the property's first day with sessions, up to to; empty
// when it has none.
func (m *Manager) ga4FirstDay(ctx context.Context, hc *http.Client, property, to string) (string, error) {
	resp, err := m.runReport(ctx, hc, property, GA4RunReportRequest{DateRanges: []ga4DateRangeJSON{{ga4Earliest, to}},
		Dimensions: []ga4Named{{"date"}}, Metrics: []ga4Named{{"sessions"}}, Limit: "1", ReturnPropertyQuota: true,
		OrderBys: []ga4OrderBy{{Dimension: &ga4OrderDim{DimensionName: "date"}}}})
	if err != nil {
		return "", err
	}
	if len(resp.Rows) == 0 || len(resp.Rows[0].DimensionValues) == 0 {
		return "", nil
	}
	d, ok := ga4Date(resp.Rows[0].DimensionValues[0].Value)
	if !ok {
		return "", fmt.Errorf("GA4: unreadable date %q", resp.Rows[0].DimensionValues[0].Value)
	}
	return d, nil
}

// ga4Date reads GA4's YYYYMMDD.
func ga4Date(v string) (string, bool) {
	if len(v) != 8 {
		return "", false
	}
	d := v[:4] + "-" + v[4:6] + "-" + v[6:]
	return d, validDate(d)
}

// ga4Rows writes a page's rows as TabSeparated lines of the table.
func ga4Rows(rep *ga4Report, t *Table, resp *ga4RunReportResponse, j *Job) ([]byte, uint64, error) {
	dims := make([]string, len(resp.DimensionHeaders))
	for i, h := range resp.DimensionHeaders {
		dims[i] = h.Name
	}
	mets := make([]string, len(resp.MetricHeaders))
	for i, h := range resp.MetricHeaders {
		mets[i] = h.Name
	}
	if len(resp.Rows) > 0 && (len(dims) != len(rep.dimensions) || len(mets) != len(rep.metrics)) {
		return nil, 0, fmt.Errorf("the answer has %d dimensions and %d metrics, %d and %d were asked", len(dims), len(mets), len(rep.dimensions), len(rep.metrics))
	}
	prefix := strconv.FormatUint(uint64(j.SiteID), 10) + "\t" + strconv.FormatUint(j.ID, 10) + "\t"
	var buf []byte
	var pageviews uint64
	d := make(map[string]string, len(dims))
	mv := make(map[string]string, len(mets))
	for n, r := range resp.Rows {
		if len(r.DimensionValues) != len(dims) || len(r.MetricValues) != len(mets) {
			return nil, 0, fmt.Errorf("row %d: %d dimension and %d metric values", n, len(r.DimensionValues), len(r.MetricValues))
		}
		for i, v := range r.DimensionValues {
			d[dims[i]] = v.Value
		}
		for i, v := range r.MetricValues {
			mv[mets[i]] = v.Value
		}
		date, ok := ga4Date(d["date"])
		if !ok {
			continue // "(other)": GA4's bucket of rows past its cardinality limits has no day
		}
		if j.Cursor.MinDate == "" || date < j.Cursor.MinDate {
			j.Cursor.MinDate = date
		}
		if date > j.Cursor.MaxDate {
			j.Cursor.MaxDate = date
		}
		vals := rep.row(j, d, mv)
		buf = append(buf, prefix...)
		buf = append(buf, date...)
		for _, c := range t.Columns {
			buf = append(buf, '\t')
			v := vals[c.name]
			switch c.typ {
			case tString:
				buf = appendTSV(buf, v)
			case tNullUInt64:
				if v == "" {
					buf = append(buf, '\\', 'N')
					continue
				}
				fallthrough
			default:
				n, err := ga4Count(v)
				if err != nil {
					return nil, 0, fmt.Errorf("row %d, %s: %w", n, c.name, err)
				}
				if c.name == "pageviews" && t.Name == "imported_visitors" {
					pageviews += n
				}
				buf = strconv.AppendUint(buf, n, 10)
			}
		}
		buf = append(buf, '\n')
	}
	return buf, pageviews, nil
}

// ga4Count reads a metric value: GA4 writes integers, and some metrics
// (userEngagementDuration) may come with a fraction.
func ga4Count(v string) (uint64, error) {
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsNaN(f) || f > math.MaxUint64/2 {
		return 0, fmt.Errorf("%q is not a count", v)
	}
	return uint64(math.Round(f)), nil
}

// GA4Property is a property an OAuth connection may read.
type GA4Property struct {
	Property    string `json:"property"` // properties/N
	Name        string `json:"name"`
	Account     string `json:"account"`
	AccountName string `json:"account_name"`
}

// GA4Properties lists the properties a token may read, through the Admin
// API's accountSummaries (paged).
func (m *Manager) GA4Properties(ctx context.Context, tok *oauth2.Token) ([]GA4Property, error) {
	hc, err := m.GA4.client(ctx, &GA4Request{Token: tok})
	if err != nil {
		return nil, err
	}
	var out []GA4Property
	page := ""
	for range 100 {
		u := m.GA4.adminURL() + "/v1beta/accountSummaries?pageSize=200"
		if page != "" {
			u += "&pageToken=" + url.QueryEscape(page)
		}
		var resp struct {
			AccountSummaries []struct {
				Account           string `json:"account"`
				DisplayName       string `json:"displayName"`
				PropertySummaries []struct {
					Property    string `json:"property"`
					DisplayName string `json:"displayName"`
				} `json:"propertySummaries"`
			} `json:"accountSummaries"`
			NextPageToken string `json:"nextPageToken"`
		}
		if err := ga4Call(ctx, hc, http.MethodGet, u, nil, &resp); err != nil {
			return nil, err
		}
		for _, a := range resp.AccountSummaries {
			for _, p := range a.PropertySummaries {
				out = append(out, GA4Property{Property: p.Property, Name: p.DisplayName, Account: a.Account, AccountName: a.DisplayName})
			}
		}
		if page = resp.NextPageToken; page == "" {
			break
		}
	}
	return out, nil
}
