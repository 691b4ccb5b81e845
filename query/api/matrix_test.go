package api_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/oauth2"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/imports"
	"github.com/sillage-analytics/sillage/imports/ga4fake"
	"github.com/sillage-analytics/sillage/query"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/reports"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// The route × role matrix: every route of the query service, as each kind
// of caller, with the one status each must get. The table below is the
// access policy of query/api/API.md written as a test.

// caller is who sends a request.
type caller int

const (
	asOperator  caller = iota // an operator of the instance, member of no site here
	asOwner                   // owner of a.fr
	asAdmin                   // admin of a.fr
	asViewer                  // viewer of a.fr
	asLink                    // a shared link of a.fr
	asKey                     // an API key of a.fr (its owner's)
	asOtherKey                // an API key of b.fr (b.fr's owner's)
	asAnonymous               // nothing
	callers
)

var callerNames = [callers]string{"operator", "owner", "admin", "viewer", "shared link", "API key of this site", "API key of another site", "anonymous"}

// expect is one status per caller, in caller order.
type expect [callers]int

// The usual policies.
func public(s int) expect { return expect{s, s, s, s, s, s, s, s} }

// account: any logged-in account; a key is refused (403), no login is 401.
func account(s int) expect { return expect{s, s, s, s, 401, 403, 403, 401} }

func operatorOnly(s int) expect { return expect{s, 403, 403, 403, 401, 403, 403, 401} }

// siteRead: members, the site's shared links and keys. To an account,
// key or link that does not open the site, it does not exist (404).
func siteRead(s int) expect { return expect{404, s, s, s, s, s, 404, 401} }

// statsRead: siteRead, except that the Stats API (v1 and v2) answers 401
// to an API key that does not open the site, as Plausible's does.
func statsRead(s int) expect { return expect{404, s, s, s, s, s, 401, 401} }

func siteAdmin(s int) expect { return expect{404, s, s, 403, 401, 403, 403, 401} }

// siteAdminOrKey: admins and owners, by login or by their key.
func siteAdminOrKey(s int) expect { return expect{404, s, s, 403, 401, s, 404, 401} }

func siteOwner(s int) expect { return expect{404, s, 403, 403, 401, 403, 403, 401} }

// matrixRow is a route with a request that succeeds for whoever may send
// it. A pattern may have several rows, one per kind of request.
type matrixRow struct {
	pattern string // as registered, "METHOD /path/{wildcard}"
	variant string
	path    func(f *matrixFixture) string
	body    func(f *matrixFixture) any
	want    expect
}

func (r matrixRow) name() string {
	if r.variant == "" {
		return r.pattern
	}
	return r.pattern + " (" + r.variant + ")"
}

func fixed(p string) func(*matrixFixture) string { return func(*matrixFixture) string { return p } }

func body(v any) func(*matrixFixture) any { return func(*matrixFixture) any { return v } }

func matrixRows() []matrixRow {
	const newPassword = "a brand new password"
	return []matrixRow{
		{pattern: "GET /api/auth/setup", want: public(200)},
		// Setup is done: nobody makes a first account again.
		{pattern: "POST /api/auth/setup", body: body(map[string]string{"email": "late@x.fr", "password": newPassword}), want: public(403)},
		{pattern: "POST /api/auth/login", body: body(map[string]string{"email": "viewer@a.fr", "password": password}), want: public(200)},
		{pattern: "POST /api/auth/logout", want: account(204)},
		{pattern: "GET /api/auth/me", want: account(200)},
		{pattern: "POST /api/auth/password", body: body(map[string]string{"current": password, "new": newPassword}), want: account(200)},
		{pattern: "GET /api/auth/reset/{token}", path: func(f *matrixFixture) string { return "/api/auth/reset/" + f.resetToken }, want: public(200)},
		{pattern: "POST /api/auth/reset", body: func(f *matrixFixture) any {
			return map[string]string{"token": f.resetToken, "password": newPassword}
		}, want: public(204)},

		// A pending login's token is signed: a made-up one is refused.
		{pattern: "POST /api/auth/login/totp", body: body(map[string]string{"pending_token": "made.up", "code": "000000"}), want: public(401)},
		// This instance has no SMTP server: nobody gets a reset by email
		// (mail_test.go covers it with one).
		{pattern: "POST /api/auth/forgot", body: body(map[string]string{"email": "viewer@a.fr"}), want: public(503)},
		{pattern: "GET /api/auth/totp", want: account(200)},
		{pattern: "POST /api/auth/totp/enrol", want: account(200)},
		// Without an enrolment begun there is nothing to confirm, and
		// without a second factor no code disables one.
		{pattern: "POST /api/auth/totp/confirm", body: body(map[string]string{"code": "000000"}), want: account(404)},
		{pattern: "POST /api/auth/totp/disable", body: body(map[string]string{"password": password, "code": "000000"}), want: account(403)},

		{pattern: "GET /api/instance", want: operatorOnly(200)},
		{pattern: "PATCH /api/instance", body: body(map[string]bool{"members_add_sites": true}), want: operatorOnly(200)},
		{pattern: "GET /api/settings/mail", want: operatorOnly(200)},
		// No SMTP server: the operator is told so (409).
		{pattern: "POST /api/settings/mail/test", want: operatorOnly(409)},

		{pattern: "GET /api/sites", want: account(200)},
		// Only operators add sites while the instance setting is off.
		{pattern: "POST /api/sites", body: body(map[string]string{"domain": "new.fr", "timezone": "Europe/Paris"}),
			want: expect{201, 403, 403, 403, 401, 403, 403, 401}},
		// Naming an owner, an operator always makes an owner invitation,
		// for an existing account as for an email without one.
		{pattern: "POST /api/sites", variant: "for an owner", body: body(map[string]string{"domain": "new.fr", "timezone": "Europe/Paris", "owner": "viewer@a.fr"}),
			want: expect{201, 403, 403, 403, 401, 403, 403, 401}},
		{pattern: "POST /api/sites", variant: "for an owner without an account", body: body(map[string]string{"domain": "new.fr", "timezone": "Europe/Paris", "owner": "ceo@new.fr"}),
			want: expect{201, 403, 403, 403, 401, 403, 403, 401}},
		{pattern: "GET /api/sites/{domain}", path: fixed("/api/sites/a.fr"), want: siteRead(200)},
		{pattern: "PATCH /api/sites/{domain}", variant: "time zone", path: fixed("/api/sites/a.fr"),
			body: body(map[string]string{"timezone": "Europe/Berlin"}), want: siteAdmin(200)},
		{pattern: "PATCH /api/sites/{domain}", variant: "longer retention", path: fixed("/api/sites/a.fr"),
			body: body(map[string]int{"retention_days": 800}), want: siteAdmin(200)},
		// An admin cannot shorten retention; an owner must confirm.
		{pattern: "PATCH /api/sites/{domain}", variant: "shorter retention, unconfirmed", path: fixed("/api/sites/a.fr"),
			body: body(map[string]int{"retention_days": 30}), want: expect{404, 409, 403, 403, 401, 403, 403, 401}},
		{pattern: "PATCH /api/sites/{domain}", variant: "shorter retention, confirmed", path: fixed("/api/sites/a.fr"),
			body: body(map[string]any{"retention_days": 30, "confirm": "a.fr"}), want: siteOwner(200)},
		// Deleting a site takes the owner, with the domain typed again.
		{pattern: "DELETE /api/sites/{domain}", variant: "unconfirmed", path: fixed("/api/sites/a.fr"),
			want: expect{404, 400, 403, 403, 401, 403, 403, 401}},
		{pattern: "DELETE /api/sites/{domain}", variant: "another domain typed", path: fixed("/api/sites/a.fr"),
			body: body(map[string]string{"confirm": "b.fr"}), want: expect{404, 400, 403, 403, 401, 403, 403, 401}},
		{pattern: "DELETE /api/sites/{domain}", variant: "confirmed", path: fixed("/api/sites/a.fr"),
			body: body(map[string]string{"confirm": "a.fr"}), want: siteOwner(204)},
		{pattern: "POST /api/sites/{domain}/delete-data", path: fixed("/api/sites/a.fr/delete-data"),
			body: body(map[string]string{"confirm": "a.fr"}), want: siteOwner(204)},
		{pattern: "GET /api/sites/{domain}/status", path: fixed("/api/sites/a.fr/status"), want: siteRead(200)},
		{pattern: "GET /api/sites/{domain}/script", path: fixed("/api/sites/a.fr/script"), want: siteRead(200)},
		{pattern: "PUT /api/sites/{domain}/script", path: fixed("/api/sites/a.fr/script"),
			body: body(map[string][]string{"features": {"outbound", "downloads"}}), want: siteAdminOrKey(200)},

		{pattern: "GET /api/sites/{domain}/members", path: fixed("/api/sites/a.fr/members"), want: siteAdmin(200)},
		{pattern: "POST /api/sites/{domain}/members", variant: "invite", path: fixed("/api/sites/a.fr/members"),
			body: body(map[string]string{"email": "new@x.fr", "role": "viewer"}), want: siteAdmin(201)},
		{pattern: "POST /api/sites/{domain}/members", variant: "invite an owner", path: fixed("/api/sites/a.fr/members"),
			body: body(map[string]string{"email": "new@x.fr", "role": "owner"}), want: siteOwner(201)},
		// A new invitation replaces the pending one: an admin must not
		// cancel an owner invitation so.
		{pattern: "POST /api/sites/{domain}/members", variant: "re-invite an email invited as owner", path: fixed("/api/sites/a.fr/members"),
			body: body(map[string]string{"email": "future-owner@x.fr", "role": "viewer"}), want: siteOwner(201)},
		{pattern: "DELETE /api/sites/{domain}/members/{email}", path: fixed("/api/sites/a.fr/members/viewer@a.fr"), want: siteAdmin(204)},
		{pattern: "GET /api/sites/{domain}/invitations", path: fixed("/api/sites/a.fr/invitations"), want: siteAdmin(200)},
		{pattern: "DELETE /api/sites/{domain}/invitations/{id}", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/invitations/" + f.invitationID
		}, want: siteAdmin(204)},
		{pattern: "GET /api/invitations/{token}", path: func(f *matrixFixture) string { return "/api/invitations/" + f.invitationToken },
			want: public(200)},
		// The invitation is for an email without account: a logged-in
		// account is not that email; without a login, the password makes
		// the invitee's account.
		{pattern: "POST /api/invitations/{token}/accept", path: func(f *matrixFixture) string {
			return "/api/invitations/" + f.invitationToken + "/accept"
		}, body: body(map[string]string{"password": newPassword}), want: expect{403, 403, 403, 403, 201, 201, 201, 201}},
		{pattern: "POST /api/invitations/{token}/decline", path: func(f *matrixFixture) string {
			return "/api/invitations/" + f.invitationToken + "/decline"
		}, want: account(403)},

		{pattern: "GET /api/sites/{domain}/goals", path: fixed("/api/sites/a.fr/goals"), want: siteRead(200)},
		{pattern: "POST /api/sites/{domain}/goals", path: fixed("/api/sites/a.fr/goals"),
			body: body(map[string]string{"event_name": "Other"}), want: siteAdminOrKey(201)},
		{pattern: "DELETE /api/sites/{domain}/goals/{id}", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/goals/" + f.goalID3 // in no funnel
		}, want: siteAdminOrKey(204)},
		{pattern: "GET /api/sites/{domain}/funnels", path: fixed("/api/sites/a.fr/funnels"), want: siteRead(200)},
		{pattern: "POST /api/sites/{domain}/funnels", path: fixed("/api/sites/a.fr/funnels"), body: func(f *matrixFixture) any {
			return map[string]any{"name": "F2", "steps": []string{f.goalID, f.goalID2}}
		}, want: siteAdminOrKey(201)},
		{pattern: "DELETE /api/sites/{domain}/funnels/{id}", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/funnels/" + f.funnelID
		}, want: siteAdminOrKey(204)},

		// Annotations: members and keys read them, shared links only when
		// the owner shares them (off here; annotations_test.go turns it
		// on); owners and admins write them by login.
		{pattern: "GET /api/sites/{domain}/annotations", path: fixed("/api/sites/a.fr/annotations?from=2026-01-01&to=2026-12-31"),
			want: expect{404, 200, 200, 200, 403, 200, 404, 401}},
		{pattern: "POST /api/sites/{domain}/annotations", path: fixed("/api/sites/a.fr/annotations"),
			body: body(map[string]string{"from": "2026-03-02", "to": "2026-03-04", "text": "Soldes", "category": "campaign"}), want: siteAdmin(201)},
		{pattern: "PATCH /api/sites/{domain}/annotations/{id}", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/annotations/" + f.annotationID
		}, body: body(map[string]string{"text": "Release 2.0"}), want: siteAdmin(200)},
		{pattern: "DELETE /api/sites/{domain}/annotations/{id}", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/annotations/" + f.annotationID
		}, want: siteAdmin(204)},
		{pattern: "PUT /api/sites/{domain}/annotations/sharing", path: fixed("/api/sites/a.fr/annotations/sharing"),
			body: body(map[string]bool{"shared": true}), want: siteOwner(200)},

		{pattern: "GET /api/sites/{domain}/shared-links", path: fixed("/api/sites/a.fr/shared-links"), want: siteAdmin(200)},
		{pattern: "POST /api/sites/{domain}/shared-links", path: fixed("/api/sites/a.fr/shared-links"),
			body: body(map[string]string{"name": "x", "password": "a link password"}), want: siteAdmin(201)},
		{pattern: "DELETE /api/sites/{domain}/shared-links/{id}", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/shared-links/" + f.linkID
		}, want: siteAdmin(204)},
		{pattern: "GET /api/share/{slug}", path: func(f *matrixFixture) string { return "/api/share/" + f.linkSlug }, want: public(200)},
		{pattern: "POST /api/share/{slug}/auth", path: func(f *matrixFixture) string { return "/api/share/" + f.linkSlug + "/auth" },
			body: body(map[string]string{"password": ""}), want: public(200)},

		{pattern: "GET /api/keys", want: account(200)},
		// A key is made for sites its account may read: not the operator's.
		{pattern: "POST /api/keys", body: body(map[string]any{"name": "k", "sites": []string{"a.fr"}}),
			want: expect{404, 201, 201, 201, 401, 403, 403, 401}},
		// Only its account revokes a key; to the others it does not exist.
		{pattern: "DELETE /api/keys/{id}", path: func(f *matrixFixture) string { return "/api/keys/" + f.keyID },
			want: expect{404, 204, 404, 404, 401, 403, 403, 401}},

		// Imports: admins and owners.
		{pattern: "GET /api/sites/{domain}/imports", path: fixed("/api/sites/a.fr/imports"), want: siteAdmin(200)},
		{pattern: "POST /api/sites/{domain}/imports", path: fixed("/api/sites/a.fr/imports?source=plausible&file_name=imported_visitors_20230101_20230102.csv"),
			body: body("date,visitors\n2023-01-01,3\n"), want: siteAdmin(201)},
		{pattern: "POST /api/sites/{domain}/imports/{id}/cancel", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/imports/" + f.importID + "/cancel"
		}, want: siteAdmin(200)},
		{pattern: "DELETE /api/sites/{domain}/imports/{id}", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/imports/" + f.importID
		}, want: siteAdmin(204)},

		// Google Analytics 4: a key, or the OAuth flow whose callback takes
		// its single-use state as credential.
		{pattern: "POST /api/sites/{domain}/imports/ga4", path: fixed("/api/sites/a.fr/imports/ga4"),
			body: body(map[string]any{"property": "123", "credentials": json.RawMessage(matrixGA4Key)}), want: siteAdmin(201)},
		{pattern: "GET /api/sites/{domain}/imports/ga4/connect", path: fixed("/api/sites/a.fr/imports/ga4/connect"), want: siteAdmin(200)},
		{pattern: "GET /api/sites/{domain}/imports/ga4/properties", path: fixed("/api/sites/a.fr/imports/ga4/properties?connection=unknown"),
			want: siteAdmin(404)},
		{pattern: "GET /api/imports/ga4/callback", path: fixed("/api/imports/ga4/callback?state=forged&code=x"), want: public(400)},

		{pattern: "GET /api/sites/{domain}/export/plausible", path: fixed("/api/sites/a.fr/export/plausible"), want: siteAdmin(200)},
		{pattern: "GET /api/sites/{domain}/export/raw", path: fixed("/api/sites/a.fr/export/raw?format=csv"), want: siteOwner(200)},
		{pattern: "GET /api/sites/{domain}/export/raw", variant: "a shared segment", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/export/raw?format=csv&segment=" + f.segShared
		}, want: siteOwner(200)},
		// The viewer's personal segment does not exist for the owner.
		{pattern: "GET /api/sites/{domain}/export/raw", variant: "another account's personal segment", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/export/raw?format=csv&segment=" + f.segViewer
		}, want: expect{404, 400, 403, 403, 401, 403, 403, 401}},
		{pattern: "GET /api/sites/{domain}/export", variant: "a shared segment", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/export?query=" + url.QueryEscape(`{"date_range":"7d","filters":[["is","segment",[`+f.segShared+`]]]}`)
		}, want: siteRead(200)},

		// The stats endpoints (query/query.go).
		{pattern: "POST /api/v2/query", body: body(map[string]any{"site_id": "a.fr", "metrics": []string{"visitors", "pageviews"}, "date_range": "7d"}),
			want: statsRead(200)},
		{pattern: "GET /api/v1/stats/realtime/visitors", path: fixed("/api/v1/stats/realtime/visitors?site_id=a.fr"), want: statsRead(200)},
		{pattern: "GET /api/v1/stats/aggregate", path: fixed("/api/v1/stats/aggregate?site_id=a.fr&period=7d&metrics=visitors,bounce_rate&compare=previous_period"), want: statsRead(200)},
		{pattern: "GET /api/v1/stats/timeseries", path: fixed("/api/v1/stats/timeseries?site_id=a.fr&period=30d&filters=visit:country==FR;event:page==/blog/**"), want: statsRead(200)},
		{pattern: "GET /api/v1/stats/breakdown", path: fixed("/api/v1/stats/breakdown?site_id=a.fr&property=event:goal&metrics=visitors,conversion_rate"), want: statsRead(200)},
		{pattern: "GET /api/sites/{domain}/export", path: fixed("/api/sites/a.fr/export"), want: siteRead(200)},
		{pattern: "POST /api/sites/{domain}/funnels/{id}/report", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/funnels/" + f.funnelID + "/report"
		}, body: body(map[string]string{"date_range": "7d"}), want: siteRead(200)},
		{pattern: "GET /api/sites/{domain}/snippet", path: fixed("/api/sites/a.fr/snippet"), want: siteRead(200)},
		// The live view and the property names: whoever reads the site.
		{pattern: "GET /api/sites/{domain}/live", path: fixed("/api/sites/a.fr/live"), want: siteRead(200)},
		{pattern: "GET /api/sites/{domain}/props", path: fixed("/api/sites/a.fr/props"), want: siteRead(200)},
		{pattern: "GET /api/sites/{domain}/props", variant: "with a range and filters",
			path: fixed(`/api/sites/a.fr/props?limit=5&query={"date_range":"7d","filters":[["is","event:goal",["Signup"]]]}`), want: siteRead(200)},
		{pattern: "GET /api/sites/{domain}/props", variant: "a malformed query",
			path: fixed(`/api/sites/a.fr/props?query=[1]`), want: expect{404, 400, 400, 400, 400, 400, 404, 401}},

		// Email reports: a member's own, by login; owners add and remove
		// any address; admins set the alerts; the unsubscribe link is its
		// own credential.
		{pattern: "GET /api/sites/{domain}/reports", path: fixed("/api/sites/a.fr/reports"), want: memberBySession(200)},
		{pattern: "PUT /api/sites/{domain}/reports/mine", path: fixed("/api/sites/a.fr/reports/mine"),
			body: body(map[string]any{"weekly": true, "monthly": false, "lang": "fr"}), want: memberBySession(200)},
		{pattern: "GET /api/sites/{domain}/reports/preview", path: fixed("/api/sites/a.fr/reports/preview?kind=weekly&lang=fr"), want: memberBySession(200)},
		{pattern: "POST /api/sites/{domain}/reports/recipients", path: fixed("/api/sites/a.fr/reports/recipients"),
			body: body(map[string]string{"kind": "monthly", "email": "cfo@client.fr", "lang": "en"}), want: siteOwner(201)},
		{pattern: "DELETE /api/sites/{domain}/reports/recipients/{kind}/{email}", path: fixed("/api/sites/a.fr/reports/recipients/weekly/boss@client.fr"),
			want: siteOwner(204)},
		{pattern: "GET /api/sites/{domain}/alerts", path: fixed("/api/sites/a.fr/alerts"), want: siteAdmin(200)},
		{pattern: "PUT /api/sites/{domain}/alerts", path: fixed("/api/sites/a.fr/alerts"),
			body: body(map[string]any{"spike_visitors": 100, "drop": true, "cooldown_hours": 24, "lang": "en", "recipients": []string{"viewer@a.fr"}}),
			want: siteAdmin(200)},
		// Segments: members keep personal ones, admins and owners manage
		// the shared ones; keys and links read the ones they see. Another
		// account's personal segment does not exist for the caller.
		{pattern: "GET /api/sites/{domain}/segments", path: fixed("/api/sites/a.fr/segments"), want: siteRead(200)},
		{pattern: "POST /api/sites/{domain}/segments", variant: "personal", path: fixed("/api/sites/a.fr/segments"),
			body: body(map[string]any{"name": "FR", "filters": []any{[]any{"is", "visit:country", []string{"FR"}}}}),
			want: expect{404, 201, 201, 201, 403, 403, 404, 401}},
		{pattern: "POST /api/sites/{domain}/segments", variant: "shared", path: fixed("/api/sites/a.fr/segments"),
			body: body(map[string]any{"name": "FR", "shared": true, "filters": []any{[]any{"is", "visit:country", []string{"FR"}}}}),
			want: expect{404, 201, 201, 403, 403, 403, 404, 401}},
		{pattern: "PATCH /api/sites/{domain}/segments/{id}", variant: "shared", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/segments/" + f.segShared
		}, body: body(map[string]string{"name": "Renamed"}), want: expect{404, 200, 200, 403, 403, 403, 404, 401}},
		{pattern: "PATCH /api/sites/{domain}/segments/{id}", variant: "the viewer's personal", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/segments/" + f.segViewer
		}, body: body(map[string]string{"name": "Renamed"}), want: expect{404, 404, 404, 200, 404, 404, 404, 401}},
		{pattern: "DELETE /api/sites/{domain}/segments/{id}", variant: "shared", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/segments/" + f.segShared
		}, want: expect{404, 204, 204, 403, 403, 403, 404, 401}},
		{pattern: "DELETE /api/sites/{domain}/segments/{id}", variant: "used by a report", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/segments/" + f.segReported
		}, want: expect{404, 409, 409, 403, 403, 403, 404, 401}},
		{pattern: "DELETE /api/sites/{domain}/segments/{id}", variant: "the viewer's personal", path: func(f *matrixFixture) string {
			return "/api/sites/a.fr/segments/" + f.segViewer
		}, want: expect{404, 404, 404, 204, 404, 404, 404, 401}},
		{pattern: "POST /api/v2/query", variant: "a shared segment", body: func(f *matrixFixture) any {
			return map[string]any{"site_id": "a.fr", "metrics": []string{"visitors"}, "date_range": "7d",
				"filters": []any{[]any{"is", "segment", []json.RawMessage{json.RawMessage(f.segShared)}}}}
		}, want: statsRead(200)},
		{pattern: "POST /api/v2/query", variant: "the viewer's personal segment", body: func(f *matrixFixture) any {
			return map[string]any{"site_id": "a.fr", "metrics": []string{"visitors"}, "date_range": "7d",
				"filters": []any{[]any{"is", "segment", []json.RawMessage{json.RawMessage(f.segViewer)}}}}
		}, want: expect{404, 400, 400, 200, 400, 400, 401, 401}},

		{pattern: "GET /api/reports/unsubscribe/{token}", path: func(f *matrixFixture) string { return "/api/reports/unsubscribe/" + f.unsubToken },
			want: public(200)},
		{pattern: "POST /api/reports/unsubscribe/{token}", path: func(f *matrixFixture) string { return "/api/reports/unsubscribe/" + f.unsubToken },
			want: public(200)},
	}
}

// matrixGA4Key is a service account's key (its private key is a secret no
// answer may show).
var matrixGA4PrivateKey, matrixGA4Key = func() (string, string) {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	b64 := base64.StdEncoding.EncodeToString(der)
	key, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "p", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "sa@p.iam.gserviceaccount.com", "token_uri": "https://oauth2.googleapis.com/token"})
	return b64[:60], string(key) // within the first line of the PEM
}()

// memberBySession: members who logged in; the site's links and keys are
// refused by the handler (403).
func memberBySession(s int) expect { return expect{404, s, s, s, 403, 403, 404, 401} }

// matrixFixture is one instance: an operator; a.fr with an owner, an
// admin and a viewer, goals, a funnel, a shared link, the owner's key, a
// pending invitation; b.fr with its owner and their key; a pending
// password reset of the viewer. Its account tables can be put back as
// they were after a request that changes them.
type matrixFixture struct {
	*env
	eng     store.Engine
	clients [callers]*client

	goalID, goalID2, goalID3, funnelID, linkID, linkSlug, keyID string
	invitationID, invitationToken, resetToken                   string
	unsubToken                                                  string
	importID                                                    string
	annotationID                                                string

	segShared, segViewer, segReported string // segment ids

	secrets []string // what no answer may contain
	tables  []string // the tables reset() restores
}

func newMatrixFixture(t *testing.T) *matrixFixture {
	t.Helper()
	ctx := context.Background()
	eng := storetest.Migrated(t)
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	acc := &accounts.Service{Engine: eng, Now: c.Now}
	log := slog.New(slog.DiscardHandler)
	rs := &reports.Service{Engine: eng, Accounts: acc, Now: c.Now, Logger: log}
	// Jobs are queued, not run: a pending import to cancel or delete.
	imp := &imports.Manager{Engine: eng, Dir: t.TempDir(), Log: log, Secret: []byte("a test secret of thirty-two bytes"), GA4: imports.GA4Config{OAuth: &oauth2.Config{ClientID: "c", ClientSecret: "s",
		Endpoint: oauth2.Endpoint{AuthURL: "https://accounts.google.com/o/oauth2/auth", TokenURL: "https://oauth2.googleapis.com/token"}}}}
	a := api.New(api.Options{Accounts: acc, Engine: eng, Secret: []byte("a test secret of thirty-two bytes"), Now: c.Now, Imports: imp,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}, Logger: log, Reports: rs})
	q, err := query.New(query.Options{Engine: eng, Accounts: acc, API: a, Logger: log, Now: c.Now,
		Dashboard: fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>Sillage</title>")}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(q.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, acc: acc, api: a, srv: srv, clock: c}
	f := &matrixFixture{env: e, eng: eng}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// The first account is the instance's operator, and a member of no
	// site here.
	op := e.user("op@instance.fr")
	must(acc.SetOperator(ctx, op.ID, true))
	owner, admin, viewer, other := e.user("owner@a.fr"), e.user("admin@a.fr"), e.user("viewer@a.fr"), e.user("owner@b.fr")
	siteA, err := acc.AddSiteWithOwner(ctx, owner.ID, "a.fr", "Europe/Paris")
	must(err)
	siteB, err := acc.AddSiteWithOwner(ctx, other.ID, "b.fr", "Europe/Paris")
	must(err)
	ret := uint16(400) // so that admins can lengthen it and only owners shorten it
	_, err = acc.UpdateSite(ctx, siteA.ID, accounts.SiteUpdate{RetentionDays: &ret})
	must(err)
	_, err = acc.AddMember(ctx, siteA.ID, admin.Email, sillage.RoleAdmin)
	must(err)
	_, err = acc.AddMember(ctx, siteA.ID, viewer.Email, sillage.RoleViewer)
	must(err)

	g1, err := acc.AddGoal(ctx, accounts.Goal{SiteID: siteA.ID, EventName: "Signup"})
	must(err)
	g2, err := acc.AddGoal(ctx, accounts.Goal{SiteID: siteA.ID, PagePath: "/merci"})
	must(err)
	g3, err := acc.AddGoal(ctx, accounts.Goal{SiteID: siteA.ID, EventName: "Download"})
	must(err)
	fn, err := acc.AddFunnel(ctx, accounts.Funnel{SiteID: siteA.ID, Name: "F", Steps: []string{g1.ID, g2.ID}})
	must(err)
	link, err := acc.AddSharedLink(ctx, siteA.ID, "press", "")
	must(err)
	// A link with a password, whose hash no answer may show.
	_, err = acc.AddSharedLink(ctx, siteA.ID, "private", "a link password")
	must(err)
	key, keySecret, err := acc.CreateAPIKey(ctx, owner.ID, "k", []uint32{siteA.ID})
	must(err)
	_, otherSecret, err := acc.CreateAPIKey(ctx, other.ID, "k", []uint32{siteB.ID})
	must(err)
	inv, invToken, err := acc.CreateInvitation(ctx, siteA.ID, "invitee@x.fr", sillage.RoleViewer, owner.ID)
	must(err)
	_, _, err = acc.CreateInvitation(ctx, siteA.ID, "future-owner@x.fr", sillage.RoleOwner, owner.ID)
	must(err)
	resetToken, _, err := acc.CreatePasswordReset(ctx, viewer.ID)
	must(err)
	boss := reports.Subscription{SiteID: siteA.ID, Kind: reports.Weekly, Email: "boss@client.fr"}
	must(rs.Subscribe(ctx, boss))
	unsubToken, err := rs.UnsubscribeToken(ctx, boss)
	must(err)
	f.unsubToken = unsubToken
	job, _, err := imp.Submit(ctx, siteA.ID, imports.SourcePlausible, "imported_visitors_20220101_20220101.csv", strings.NewReader("date,visitors\n2022-01-01,1\n"), owner.ID)
	must(err)
	f.importID = strconv.FormatUint(job.ID, 10)
	// A Google connection of the owner's, and an import it started: their
	// refresh tokens, in clear or sealed, are in no answer.
	gf := ga4fake.New(t)
	imp.GA4.OAuth.Endpoint.TokenURL, imp.GA4.HTTPClient = gf.Srv.URL+"/token", gf.Srv.Client()
	consent, err := imp.GA4AuthURL(siteA.ID, siteA.Domain, owner.ID, "https://a.fr/api/imports/ga4/callback")
	must(err)
	cu, err := url.Parse(consent)
	must(err)
	conn, _, err := imp.GA4Callback(ctx, cu.Query().Get("state"), "code-1")
	must(err)
	tok, err := imp.GA4Connection(ctx, conn, siteA.ID, owner.ID)
	must(err)
	_, _, err = imp.SubmitGA4(ctx, siteA.ID, imports.GA4Request{Property: "555", Token: tok}, owner.ID)
	must(err)
	f.secrets = append(f.secrets, gf.RefreshTokens()...)
	note, err := acc.AddAnnotation(ctx, accounts.Annotation{SiteID: siteA.ID, From: "2026-03-01", Text: "Release", Author: owner.ID})
	must(err)
	f.annotationID = note.ID
	f.goalID3 = g3.ID
	country := []stats.Filter{{Op: "is", Dimension: "visit:country", Values: []string{"FR"}}}
	shared, err := acc.AddSegment(ctx, accounts.Segment{SiteID: siteA.ID, OwnerID: owner.ID, Name: "Shared", Filters: country, Shared: true})
	must(err)
	personal, err := acc.AddSegment(ctx, accounts.Segment{SiteID: siteA.ID, OwnerID: viewer.ID, Name: "Mine", Filters: country})
	must(err)
	reported, err := acc.AddSegment(ctx, accounts.Segment{SiteID: siteA.ID, OwnerID: owner.ID, Name: "Reported", Filters: country, Shared: true})
	must(err)
	must(rs.Subscribe(ctx, reports.Subscription{SiteID: siteA.ID, Kind: reports.Monthly, Email: "cmo@client.fr", SegmentID: reported.ID}))
	f.segShared, f.segViewer, f.segReported = fmt.Sprint(shared.ID), fmt.Sprint(personal.ID), fmt.Sprint(reported.ID)
	f.goalID, f.goalID2, f.funnelID, f.linkID, f.linkSlug, f.keyID = g1.ID, g2.ID, fn.ID, link.ID, link.Slug, key.ID
	f.invitationID, f.invitationToken, f.resetToken = inv.ID, invToken, resetToken

	for i, u := range []sillage.User{op, owner, admin, viewer} {
		f.clients[i] = e.as(u)
		f.secrets = append(f.secrets, f.clients[i].cookies[api.SessionCookie].Value)
	}
	f.secrets = append(f.secrets, e.as(other).cookies[api.SessionCookie].Value)
	f.clients[asLink] = e.client()
	f.clients[asLink].header.Set(api.SharedLinkHeader, link.Slug)
	f.clients[asKey] = e.client()
	f.clients[asKey].bearer = keySecret
	f.clients[asOtherKey] = e.client()
	f.clients[asOtherKey].bearer = otherSecret
	f.clients[asAnonymous] = e.client()
	f.secrets = append(f.secrets, keySecret, otherSecret, invToken, resetToken, unsubToken, matrixGA4PrivateKey)
	for _, q := range []string{
		"SELECT password_hash FROM users",
		"SELECT password_hash FROM shared_links WHERE password_hash != ''",
		"SELECT refresh_token FROM ga4_connections",
	} {
		rows, err := eng.Query(ctx, q, nil)
		must(err)
		for rows.Next() {
			var h string
			must(rows.Scan(&h))
			f.secrets = append(f.secrets, h)
		}
		must(rows.Err())
		rows.Close()
	}
	f.snapshot()
	return f
}

// snapshot copies the account tables (every ReplacingMergeTree table:
// sites, users, sessions of logins, keys, tokens…) aside; reset puts them
// back. The events are left alone: there are none.
func (f *matrixFixture) snapshot() {
	ctx := context.Background()
	rows, err := f.eng.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'ReplacingMergeTree' ORDER BY name", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			f.t.Fatal(err)
		}
		f.tables = append(f.tables, name)
	}
	rows.Close()
	for _, tb := range f.tables {
		for _, q := range []string{"CREATE TABLE snapshot_" + tb + " AS " + tb, "INSERT INTO snapshot_" + tb + " SELECT * FROM " + tb} {
			if err := f.eng.Exec(ctx, q, nil); err != nil {
				f.t.Fatalf("%s: %v", q, err)
			}
		}
	}
}

// reset puts back the tables whose rows differ from their snapshot. One
// query compares each table with its snapshot (its row count and the sum
// of its rows' hashes, so the rows as a multiset); most cells are refused
// and change nothing, and the others change a table or two, so this costs
// one statement where putting every table back cost fifty.
func (f *matrixFixture) reset() {
	ctx := context.Background()
	parts := make([]string, len(f.tables))
	for i, tb := range f.tables {
		parts[i] = "SELECT '" + tb + "' AS name, " +
			"(SELECT (count(), sum(cityHash64(*))) FROM " + tb + ") != (SELECT (count(), sum(cityHash64(*))) FROM snapshot_" + tb + ") AS changed"
	}
	rows, err := f.eng.Query(ctx, "SELECT name FROM ("+strings.Join(parts, " UNION ALL ")+") WHERE changed", nil)
	if err != nil {
		f.t.Fatalf("compare the account tables with their snapshot: %v", err)
	}
	var changed []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			f.t.Fatal(err)
		}
		changed = append(changed, name)
	}
	if err := rows.Close(); err != nil {
		f.t.Fatal(err)
	}
	for _, tb := range changed {
		for _, q := range []string{"TRUNCATE TABLE " + tb, "INSERT INTO " + tb + " SELECT * FROM snapshot_" + tb} {
			if err := f.eng.Exec(ctx, q, nil); err != nil {
				f.t.Fatalf("%s: %v", q, err)
			}
		}
	}
}

// passwordWithValue finds a JSON member named like a password that holds a
// string.
var passwordWithValue = regexp.MustCompile(`(?i)"[a-z_]*password[a-z_]*"\s*:\s*"[^"]`)

// leaks says what secret an answer shows, if any.
func (f *matrixFixture) leaks(body []byte) string {
	b := string(body)
	for _, s := range f.secrets {
		if s != "" && strings.Contains(b, s) {
			return fmt.Sprintf("a secret of the fixture (%.12s…)", s)
		}
	}
	if strings.Contains(b, "$argon2") {
		return "a password hash"
	}
	if m := passwordWithValue.FindString(b); m != "" {
		return "a password: " + m
	}
	return ""
}

func TestRouteRoleMatrix(t *testing.T) {
	rows := matrixRows()
	checkMatrixCoversRoutes(t, rows)
	start := time.Now()
	f := newMatrixFixture(t)
	t.Logf("fixture in %s", time.Since(start))
	// reset notices a changed table and puts it back.
	ctx := context.Background()
	usersIn := func(table string) (n uint64) {
		if err := store.QueryRow(ctx, f.eng, "SELECT count() FROM "+table, nil, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := f.eng.Exec(ctx, "INSERT INTO users SELECT * FROM users LIMIT 1", nil); err != nil {
		t.Fatal(err)
	}
	if f.reset(); usersIn("users") != usersIn("snapshot_users") {
		t.Fatalf("reset left users with %d rows, the snapshot has %d", usersIn("users"), usersIn("snapshot_users"))
	}
	// Every cell sees the fixture as made: after a request that may have
	// changed it (any but GET), the tables are put back.
	dirty := false
	for _, row := range rows {
		t.Run(row.name(), func(t *testing.T) {
			method, _, _ := strings.Cut(row.pattern, " ")
			for c := range callers {
				if dirty {
					f.reset()
				}
				dirty = method != http.MethodGet
				path := strings.TrimPrefix(row.pattern, method+" ")
				if row.path != nil {
					path = row.path(f)
				}
				var b any
				if row.body != nil {
					b = row.body(f)
				}
				// A copy: an answer's cookies (a login's) must not change
				// who the next cell is.
				cl := *f.clients[c]
				cl.cookies = maps.Clone(cl.cookies)
				r := cl.do(method, path, b)
				if r.status != row.want[c] {
					t.Errorf("%s: %d (%.200s), want %d", callerNames[c], r.status, strings.TrimSpace(r.String()), row.want[c])
				}
				if leak := f.leaks(r.body); leak != "" {
					t.Errorf("%s: the answer shows %s", callerNames[c], leak)
				}
			}
		})
	}
}

// routeLiteral is a route pattern written in the source: "METHOD /path".
var routeLiteral = regexp.MustCompile(`"((?:GET|HEAD|POST|PUT|PATCH|DELETE) /[^"]*)"`)

// registeredRoutes reads the route patterns from the source of the query
// service and its API: net/http's ServeMux does not list them.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, glob := range []string{"*.go", "../*.go"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range routeLiteral.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	if len(out) < 30 {
		t.Fatalf("found only %d routes in the source: %v", len(out), out)
	}
	return out
}

// checkMatrixCoversRoutes fails on a route without a row, a row of a route
// that does not exist, and a row whose request another route would serve.
func checkMatrixCoversRoutes(t *testing.T, rows []matrixRow) {
	t.Helper()
	registered := registeredRoutes(t)
	mux := http.NewServeMux()
	inTable := map[string]bool{}
	for _, row := range rows {
		if !inTable[row.pattern] {
			mux.HandleFunc(row.pattern, func(http.ResponseWriter, *http.Request) {})
		}
		inTable[row.pattern] = true
	}
	for _, p := range registered {
		if !inTable[p] {
			t.Errorf("route %s has no row in the matrix: add one with the status each caller must get", p)
		}
	}
	f := &matrixFixture{goalID: "g", goalID2: "g2", goalID3: "g3", funnelID: "f", linkID: "l", linkSlug: "s", keyID: "k",
		invitationID: "i", invitationToken: "t", resetToken: "r", unsubToken: "u", importID: "1", annotationID: "n",
		segShared: "1", segViewer: "2", segReported: "3"}
	for _, row := range rows {
		if !slices.Contains(registered, row.pattern) {
			t.Errorf("the matrix has a row for %s, which the service does not register", row.pattern)
		}
		method, path, _ := strings.Cut(row.pattern, " ")
		if row.path != nil {
			path = row.path(f)
		}
		req := httptest.NewRequest(method, path, nil)
		if _, served := mux.Handler(req); served != row.pattern {
			t.Errorf("row %s sends %s %s, which %q serves", row.name(), method, path, served)
		}
	}
}
