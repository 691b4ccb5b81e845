// Package ga4fake is a local server that answers like Google's token
// endpoint, the Analytics Data API's runReport and the Admin API's
// accountSummaries, for the tests of GA4 imports (no machine of the tests
// reaches Google).
package ga4fake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Server answers like Google's token endpoint, the Data API's runReport
// and the Admin API's accountSummaries, from their documented request and
// response JSON. It refuses (and fails the test on) any request the real
// API would refuse that it knows of: unknown dimension or metric names,
// bad date ranges, limits past 250 000, a property not named
// properties/N, a missing or unknown bearer token.
type Server struct {
	t        testing.TB
	Srv      *httptest.Server
	key      *rsa.PrivateKey
	email    string
	Property string
	days     []string // the property's data, YYYYMMDD

	Mu       sync.Mutex
	tokens   map[string]bool
	refresh  map[string]bool // refresh tokens handed out by the code exchange
	Calls    int
	Fail429  int            // the runReport call (1-based) answered 429, once
	served   map[string]int // "dims|offset" → pages answered
	Rejected []string
}

// The Data API's schema: the dimensions and metrics the import may name.
// https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema
var ga4Schema = struct{ dims, metrics map[string]bool }{
	dims: set("date", "sessionSource", "sessionMedium", "sessionCampaignName", "sessionManualAdContent", "sessionGoogleAdsKeyword",
		"pageReferrer", "hostName", "pagePath", "landingPage", "countryId", "country", "region", "city", "cityId", "deviceCategory", "browser",
		"operatingSystem", "operatingSystemVersion", "eventName", "linkUrl", "pagePathPlusQueryString", "landingPagePlusQueryString"),
	metrics: set("totalUsers", "activeUsers", "newUsers", "sessions", "engagedSessions", "screenPageViews", "userEngagementDuration",
		"eventCount", "bounceRate", "averageSessionDuration"),
}

func set(v ...string) map[string]bool {
	m := map[string]bool{}
	for _, s := range v {
		m[s] = true
	}
	return m
}

// Values the fake's rows take, per dimension (GA4's own spellings).
var fakeValues = map[string][]string{
	"sessionSource":           {"google", "(direct)", "duckduckgo.com", "newsletter"},
	"sessionMedium":           {"organic", "(none)", "referral"},
	"sessionCampaignName":     {"(not set)", "printemps"},
	"sessionManualAdContent":  {"(not set)"},
	"sessionGoogleAdsKeyword": {"(not set)"},
	"hostName":                {"www.boulangerie.fr"},
	"pagePath":                {"/", "/pain?x=1", "/contact"},
	"landingPage":             {"/", "/pain", "(not set)"},
	"countryId":               {"FR", "DE", "(not set)"},
	// Placeholders: a row's region, city and cityId are its country's
	// (fakeGeo), the n-th of them for the n-th value here.
	"region":                 {"0", "1"},
	"city":                   {"0", "1"},
	"cityId":                 {"0", "1"},
	"deviceCategory":         {"desktop", "mobile", "tablet"},
	"browser":                {"Chrome", "Android Webview", "Safari"},
	"operatingSystem":        {"Macintosh", "Linux", "Windows"},
	"operatingSystemVersion": {"10", "(not set)"},
	"eventName":              {"click", "file_download", "page_view", "scroll"},
	"linkUrl":                {"https://fournil.fr/a", "(not set)"},
}

// fakeGeo are the places of a country as the Data API names them: the
// region in English (derived from the IP address), the city, and cityId,
// Google's geographic id of the city (its Ads geotargets' criteria id).
// A country GA4 did not find has all three "(not set)".
var fakeGeo = map[string][][3]string{
	"FR":        {{"Ile-de-France", "Paris", "1006094"}, {"Provence-Alpes-Cote d'Azur", "Marseille", "1005919"}},
	"DE":        {{"Berlin", "Berlin", "1003854"}, {"Bavaria", "Munich", "1004234"}},
	"(not set)": {{"(not set)", "(not set)", "(not set)"}, {"(not set)", "(not set)", "(not set)"}},
}

func New(t testing.TB) *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &Server{t: t, key: key, email: "import@projet.iam.gserviceaccount.com", Property: "properties/123456789",
		days: []string{"20240301", "20240302", "20240303", "20240304", "20240305"}, tokens: map[string]bool{}, refresh: map[string]bool{"refresh-1": true}, served: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("POST /v1beta/{rest...}", f.runReport)
	mux.HandleFunc("GET /v1beta/accountSummaries", f.accountSummaries)
	f.Srv = httptest.NewServer(mux)
	t.Cleanup(f.Srv.Close)
	return f
}

// ServiceAccountKey is a key file as Google Cloud's console downloads it,
// its token_uri pointing at the fake.
func (f *Server) ServiceAccountKey() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(f.key)
	if err != nil {
		f.t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "projet", "private_key_id": "abc123",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": f.email, "client_id": "1234567890", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
		"token_uri": f.Srv.URL + "/token",
	})
	return b
}

func (f *Server) fail(w http.ResponseWriter, code int, status, msg string) {
	f.Mu.Lock()
	f.Rejected = append(f.Rejected, msg)
	f.Mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}

// token is Google's OAuth 2.0 token endpoint: a service account's signed
// JWT (RFC 7523), or a refresh token of the OAuth flow.
func (f *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.fail(w, 400, "invalid_request", err.Error())
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if msg := f.checkJWT(r.PostForm.Get("assertion")); msg != "" {
			f.fail(w, 400, "invalid_grant", msg)
			return
		}
	case "refresh_token":
		f.Mu.Lock()
		known := f.refresh[r.PostForm.Get("refresh_token")]
		f.Mu.Unlock()
		if !known {
			f.fail(w, 400, "invalid_grant", "unknown refresh token")
			return
		}
	case "authorization_code":
		if r.PostForm.Get("code") != "code-1" {
			f.fail(w, 400, "invalid_grant", "unknown code")
			return
		}
		// A new refresh token for each sign-in, shaped like Google's.
		var b [18]byte
		rand.Read(b[:])
		rt := "1//09" + base64.RawURLEncoding.EncodeToString(b[:])
		f.Mu.Lock()
		f.refresh[rt] = true
		f.Mu.Unlock()
		f.issue(w, rt)
		return
	default:
		f.fail(w, 400, "unsupported_grant_type", "grant_type "+r.PostForm.Get("grant_type"))
		return
	}
	f.issue(w, "")
}

// issue answers a new access token (and refresh token, if any), as
// Google's endpoint does.
func (f *Server) issue(w http.ResponseWriter, refresh string) {
	f.Mu.Lock()
	tok := fmt.Sprintf("ya29.fake-%d", len(f.tokens)+1)
	f.tokens[tok] = true
	f.Mu.Unlock()
	body := map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3599}
	if refresh != "" {
		body["refresh_token"] = refresh
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

// RefreshTokens are the refresh tokens the code exchange handed out.
func (f *Server) RefreshTokens() []string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out []string
	for rt := range f.refresh {
		if rt != "refresh-1" {
			out = append(out, rt)
		}
	}
	sort.Strings(out)
	return out
}

func (f *Server) checkJWT(assertion string) string {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return "the assertion is not a JWT"
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "signature: " + err.Error()
	}
	h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, h[:], sig); err != nil {
		return "signature does not verify"
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "claims: " + err.Error()
	}
	var c struct {
		Iss, Scope, Aud string
		Exp, Iat        int64
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return "claims: " + err.Error()
	}
	if c.Iss != f.email || c.Aud != f.Srv.URL+"/token" || !strings.Contains(c.Scope, "analytics.readonly") || c.Exp <= c.Iat {
		return fmt.Sprintf("claims refused: %+v", c)
	}
	return ""
}

func (f *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.Mu.Lock()
	known := f.tokens[tok]
	f.Mu.Unlock()
	if !ok || !known {
		f.fail(w, 401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
		return false
	}
	return true
}

// The request body of runReport, as the API reference lists its fields:
// an unknown field is refused, as the API refuses it.
type RunReport struct {
	Property   string `json:"property"`
	Dimensions []struct {
		Name string `json:"name"`
	} `json:"dimensions"`
	Metrics []struct {
		Name       string `json:"name"`
		Expression string `json:"expression"`
	} `json:"metrics"`
	DateRanges []struct {
		StartDate string `json:"startDate"`
		EndDate   string `json:"endDate"`
		Name      string `json:"name"`
	} `json:"dateRanges"`
	DimensionFilter *struct {
		Filter *struct {
			FieldName    string `json:"fieldName"`
			InListFilter *struct {
				Values        []string `json:"values"`
				CaseSensitive bool     `json:"caseSensitive"`
			} `json:"inListFilter"`
		} `json:"filter"`
	} `json:"dimensionFilter"`
	MetricFilter       json.RawMessage `json:"metricFilter"`
	Offset             json.Number     `json:"offset"`
	Limit              json.Number     `json:"limit"`
	MetricAggregations []string        `json:"metricAggregations"`
	OrderBys           []struct {
		Desc      bool `json:"desc"`
		Dimension *struct {
			DimensionName string `json:"dimensionName"`
			OrderType     string `json:"orderType"`
		} `json:"dimension"`
		Metric *struct {
			MetricName string `json:"metricName"`
		} `json:"metric"`
	} `json:"orderBys"`
	CurrencyCode        string          `json:"currencyCode"`
	CohortSpec          json.RawMessage `json:"cohortSpec"`
	KeepEmptyRows       bool            `json:"keepEmptyRows"`
	ReturnPropertyQuota bool            `json:"returnPropertyQuota"`
	Comparisons         json.RawMessage `json:"comparisons"`
}

var (
	fakeProperty = regexp.MustCompile(`^properties/[0-9]+$`)
	fakeDate     = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}-[0-9]{2}|today|yesterday|[0-9]+daysAgo)$`)
)

// CheckRunReport says why the real API would refuse a request, or "".
func CheckRunReport(property string, q *RunReport) string {
	if !fakeProperty.MatchString(property) {
		return "property must be properties/NUMBER, got " + property
	}
	if len(q.Dimensions) > 9 || len(q.Metrics) == 0 || len(q.Metrics) > 10 {
		return fmt.Sprintf("%d dimensions and %d metrics: at most 9, and 1 to 10", len(q.Dimensions), len(q.Metrics))
	}
	asked := map[string]bool{}
	for _, d := range q.Dimensions {
		if !ga4Schema.dims[d.Name] {
			return "Field " + d.Name + " is not a valid dimension."
		}
		asked[d.Name] = true
	}
	for _, m := range q.Metrics {
		if m.Expression == "" && !ga4Schema.metrics[m.Name] {
			return "Field " + m.Name + " is not a valid metric."
		}
	}
	if len(q.DateRanges) == 0 || len(q.DateRanges) > 4 {
		return "dateRanges: 1 to 4"
	}
	for _, d := range q.DateRanges {
		if !fakeDate.MatchString(d.StartDate) || !fakeDate.MatchString(d.EndDate) {
			return "dateRanges: bad date " + d.StartDate + " " + d.EndDate
		}
		if len(d.StartDate) == 10 && len(d.EndDate) == 10 && (d.StartDate > d.EndDate || d.StartDate < "2015-08-14") {
			return "dateRanges: the start is after the end, or before 2015-08-14"
		}
	}
	if q.Limit != "" {
		n, err := strconv.ParseInt(string(q.Limit), 10, 64)
		if err != nil || n < 1 || n > 250000 {
			return "limit must be positive and at most 250000, got " + string(q.Limit)
		}
	}
	if q.Offset != "" {
		if n, err := strconv.ParseInt(string(q.Offset), 10, 64); err != nil || n < 0 {
			return "offset must not be negative, got " + string(q.Offset)
		}
	}
	if f := q.DimensionFilter; f != nil && f.Filter != nil && !asked[f.Filter.FieldName] {
		return "dimensionFilter: " + f.Filter.FieldName + " must be requested"
	}
	for _, o := range q.OrderBys {
		if o.Dimension != nil && !asked[o.Dimension.DimensionName] {
			return "orderBys: " + o.Dimension.DimensionName + " must be requested"
		}
	}
	return ""
}

// Metric is a row's value of a metric.
func Metric(row []string, name string) uint64 {
	h := hashOf(row)
	users := uint64(1 + h%50)
	sessions := users + uint64(h%7)
	switch name {
	case "totalUsers", "activeUsers":
		return users
	case "sessions":
		return sessions
	case "engagedSessions":
		return sessions - uint64(h%5)
	case "screenPageViews":
		return 2*sessions + uint64(h%3)
	case "userEngagementDuration":
		return uint64(h % 600)
	case "eventCount":
		return 2 * users
	}
	return 0
}

// Rows are the property's rows for a dimension list, in date order: up
// to five distinct combinations a day.
func (f *Server) Rows(dims []string, from, to string, filter []string) [][]string {
	var out [][]string
	for _, day := range f.days {
		iso := day[:4] + "-" + day[4:6] + "-" + day[6:]
		if iso < from || iso > to {
			continue
		}
		combos := 1
		for _, d := range dims[1:] {
			combos *= len(fakeValues[d])
		}
		for i := range min(combos, 5) {
			row := []string{day}
			k := i
			for _, d := range dims[1:] {
				vs := fakeValues[d]
				row = append(row, vs[k%len(vs)])
				k /= len(vs)
			}
			if c := slices.Index(dims, "countryId"); c >= 0 {
				for g, name := range []string{"region", "city", "cityId"} {
					if d := slices.Index(dims, name); d >= 0 {
						n, _ := strconv.Atoi(row[d])
						row[d] = fakeGeo[row[c]][n][g]
					}
				}
			}
			if filter != nil && !slices.Contains(filter, row[slices.Index(dims, "eventName")]) {
				continue
			}
			out = append(out, row)
		}
	}
	return out
}

func hashOf(row []string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(strings.Join(row, "\x00")))
	return h.Sum32()
}

func (f *Server) runReport(w http.ResponseWriter, r *http.Request) {
	property, ok := strings.CutSuffix(r.PathValue("rest"), ":runReport")
	if !ok {
		f.fail(w, 404, "NOT_FOUND", "no such method")
		return
	}
	if !f.authorized(w, r) {
		return
	}
	var q RunReport
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		f.t.Errorf("runReport: a body the API refuses: %v", err)
		f.fail(w, 400, "INVALID_ARGUMENT", err.Error())
		return
	}
	if msg := CheckRunReport(property, &q); msg != "" {
		f.t.Errorf("runReport: a request the API refuses: %s", msg)
		f.fail(w, 400, "INVALID_ARGUMENT", msg)
		return
	}
	if property != f.Property {
		f.fail(w, 403, "PERMISSION_DENIED", "User does not have sufficient permissions for this property.")
		return
	}
	f.Mu.Lock()
	f.Calls++
	call := f.Calls
	f.Mu.Unlock()
	if call == f.Fail429 {
		f.fail(w, 429, "RESOURCE_EXHAUSTED", "Exhausted property tokens per hour for a project per property. This property has consumed 14000 tokens.")
		return
	}
	var dims, mets []string
	for _, d := range q.Dimensions {
		dims = append(dims, d.Name)
	}
	for _, m := range q.Metrics {
		mets = append(mets, m.Name)
	}
	var filter []string
	if q.DimensionFilter != nil && q.DimensionFilter.Filter != nil && q.DimensionFilter.Filter.InListFilter != nil {
		filter = q.DimensionFilter.Filter.InListFilter.Values
	}
	all := f.Rows(dims, q.DateRanges[0].StartDate, q.DateRanges[0].EndDate, filter)
	offset, _ := strconv.Atoi(string(q.Offset))
	limit := 10000
	if q.Limit != "" {
		limit, _ = strconv.Atoi(string(q.Limit))
	}
	page := all[min(offset, len(all)):min(offset+limit, len(all))]
	f.Mu.Lock()
	f.served[strings.Join(dims, ",")+"|"+strings.Join(mets, ",")+"|"+strconv.Itoa(offset)]++
	f.Mu.Unlock()
	resp := map[string]any{"kind": "analyticsData#runReport", "rowCount": len(all),
		"metadata": map[string]any{"currencyCode": "EUR", "timeZone": "Europe/Paris"}}
	var dh, mh []map[string]string
	for _, d := range dims {
		dh = append(dh, map[string]string{"name": d})
	}
	for _, m := range mets {
		typ := "TYPE_INTEGER"
		if m == "userEngagementDuration" {
			typ = "TYPE_SECONDS"
		}
		mh = append(mh, map[string]string{"name": m, "type": typ})
	}
	resp["dimensionHeaders"], resp["metricHeaders"] = dh, mh
	var rows []map[string]any
	for _, row := range page {
		var dv, mv []map[string]string
		for _, v := range row {
			dv = append(dv, map[string]string{"value": v})
		}
		for _, m := range mets {
			mv = append(mv, map[string]string{"value": strconv.FormatUint(Metric(row, m), 10)})
		}
		rows = append(rows, map[string]any{"dimensionValues": dv, "metricValues": mv})
	}
	if len(rows) > 0 {
		// The API leaves rows out when there are none.
		resp["rows"] = rows
	}
	if q.ReturnPropertyQuota {
		resp["propertyQuota"] = map[string]any{
			"tokensPerDay":                          map[string]int{"consumed": 10, "remaining": 199000 - 10*call},
			"tokensPerHour":                         map[string]int{"consumed": 10, "remaining": 39000 - 10*call},
			"concurrentRequests":                    map[string]int{"consumed": 0, "remaining": 10},
			"serverErrorsPerProjectPerHour":         map[string]int{"consumed": 0, "remaining": 10},
			"potentiallyThresholdedRequestsPerHour": map[string]int{"consumed": 0, "remaining": 120},
			"tokensPerProjectPerHour":               map[string]int{"consumed": 10, "remaining": 13990},
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// accountSummaries is the Admin API's list of the accounts and properties
// a user may read.
func (f *Server) accountSummaries(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Query().Get("pageToken") == "" {
		json.NewEncoder(w).Encode(map[string]any{"accountSummaries": []any{map[string]any{
			"name": "accountSummaries/111", "account": "accounts/111", "displayName": "Boulangerie",
			"propertySummaries": []any{map[string]any{"property": f.Property, "displayName": "boulangerie.fr", "propertyType": "PROPERTY_TYPE_ORDINARY", "parent": "accounts/111"}},
		}}, "nextPageToken": "p2"})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"accountSummaries": []any{map[string]any{
		"name": "accountSummaries/222", "account": "accounts/222", "displayName": "Fournil",
		"propertySummaries": []any{map[string]any{"property": "properties/987", "displayName": "fournil.fr"}},
	}}})
}

// Expected sums a report's metrics over the fake's rows.
func (f *Server) Expected(dims []string, metric string, filter []string) (rows int, sum uint64) {
	for _, row := range f.Rows(dims, "2015-08-14", "2999-01-01", filter) {
		rows++
		sum += Metric(row, metric)
	}
	return rows, sum
}

func (f *Server) ServedTwice() []string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out []string
	for k, n := range f.served {
		if n != 1 {
			out = append(out, fmt.Sprintf("%s: %d", k, n))
		}
	}
	sort.Strings(out)
	return out
}
