package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/internal/mail"
	"github.com/sillage-analytics/sillage/internal/mailtest"
	"github.com/sillage-analytics/sillage/query/api"
)

const publicURL = "https://stats.example.fr"

// mailWorld is a world whose API mails through Mailpit, with links on
// publicURL.
func mailWorld(t *testing.T) (*world, *mailtest.Server, *mail.Outbox) {
	t.Helper()
	w := newWorld(t)
	mp := mailtest.Start(t)
	cfg, err := mail.ParseConfig(mp.SMTPURL(), "Sillage <stats@example.fr>")
	if err != nil {
		t.Fatal(err)
	}
	box, err := mail.NewOutbox(mail.OutboxOptions{Engine: w.acc.Engine, Transport: mail.NewSMTP(cfg), From: cfg.From,
		Server: cfg.String(), Secret: []byte("a test secret of thirty-two bytes"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w.serve(api.Options{Mail: box, PublicURL: publicURL + "/"})
	return w, mp, box
}

var linkRE = regexp.MustCompile(`https?://\S+/(invite|reset)/([A-Za-z0-9_-]+)`)

// mailedToken is the token of the link in a mail's text.
func mailedToken(t *testing.T, m mailtest.Message, kind string) string {
	t.Helper()
	for _, l := range linkRE.FindAllStringSubmatch(m.Text, -1) {
		if l[1] == kind {
			if !strings.HasPrefix(l[0], publicURL+"/"+kind+"/") {
				t.Errorf("link %s is not on %s", l[0], publicURL)
			}
			if !strings.Contains(m.HTML, `href="`+l[0]+`"`) {
				t.Errorf("the HTML part has no link to %s", l[0])
			}
			return l[2]
		}
	}
	t.Fatalf("no %s link in %q", kind, m.Text)
	return ""
}

func TestInvitationMailed(t *testing.T) {
	w, mp, _ := mailWorld(t)
	owner := w.as(w.owner)
	owner.header.Set("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.8")
	r := owner.do("POST", "/api/sites/a.fr/members", map[string]string{"email": "claire@client.fr", "role": "viewer"})
	wantStatus(t, "invite", r, 201)
	var ans struct {
		Link        string `json:"link"`
		EmailStatus string `json:"email_status"`
	}
	r.json(t, &ans)
	if ans.EmailStatus != "sent" || ans.Link == "" {
		t.Fatalf("answer %s", r)
	}
	m := mp.WaitFor(t, 30*time.Second, mailtest.To("claire@client.fr", "a.fr"))
	if m.Subject != "Invitation aux statistiques de a.fr" {
		t.Errorf("subject %q", m.Subject)
	}
	if !strings.Contains(m.Text, "owner@a.fr vous invite") || !strings.Contains(m.Text, "lecteur") {
		t.Errorf("text %q", m.Text)
	}
	tok := mailedToken(t, m, "invite")
	if !strings.HasSuffix(ans.Link, "/invite/"+tok) {
		t.Errorf("the mailed link (%s) is not the one shown (%s)", tok, ans.Link)
	}
	// The mailed link works: the invitee chooses a password and joins.
	wantStatus(t, "accept the mailed link", w.client().do("POST", "/api/invitations/"+tok+"/accept",
		map[string]string{"password": "a password of claire"}), 201)

	// Without a language the inviter's browser names, English; an
	// operator's new site for someone else mails its owner too.
	r = w.as(w.admin).do("POST", "/api/sites/a.fr/members", map[string]string{"email": "marc@client.fr", "role": "admin"})
	wantStatus(t, "invite in English", r, 201)
	m = mp.WaitFor(t, 30*time.Second, mailtest.To("marc@client.fr", "a.fr"))
	if m.Subject != "You are invited to the statistics of a.fr" || !strings.Contains(m.Text, "as admin") {
		t.Errorf("English invitation: %q %q", m.Subject, m.Text)
	}

	// An operator adds a site for someone else: its owner is mailed too.
	if err := w.acc.SetOperator(context.Background(), w.outsider.ID, true); err != nil {
		t.Fatal(err)
	}
	r = w.as(w.outsider).do("POST", "/api/sites", map[string]string{"domain": "new.fr", "timezone": "Europe/Paris", "owner": "ceo@new.fr"})
	wantStatus(t, "a site for an owner", r, 201)
	if !strings.Contains(r.String(), `"email_status":"sent"`) {
		t.Errorf("answer %s", r)
	}
	m = mp.WaitFor(t, 30*time.Second, mailtest.To("ceo@new.fr", "new.fr"))
	if !strings.Contains(m.Text, "owner@b.fr invites you to the statistics of new.fr on Sillage, as owner.") {
		t.Errorf("owner invitation: %q", m.Text)
	}
	mailedToken(t, m, "invite")
}

func TestInvitationWithoutMail(t *testing.T) {
	w := newWorld(t)
	r := w.as(w.owner).do("POST", "/api/sites/a.fr/members", map[string]string{"email": "claire@client.fr", "role": "viewer"})
	wantStatus(t, "invite", r, 201)
	if strings.Contains(r.String(), "email_status") || !strings.Contains(r.String(), `"link"`) {
		t.Errorf("without SMTP the answer has the link and no email status: %s", r)
	}
	wantStatus(t, "forgot without SMTP", w.client().do("POST", "/api/auth/forgot", map[string]string{"email": "viewer@a.fr"}), 503)
}

func TestForgotPassword(t *testing.T) {
	w, mp, _ := mailWorld(t)
	anon := w.client()
	known := anon.do("POST", "/api/auth/forgot", map[string]string{"email": "Viewer@A.fr"})
	unknown := anon.do("POST", "/api/auth/forgot", map[string]string{"email": "nobody@a.fr"})
	wantStatus(t, "forgot, known", known, 202)
	wantStatus(t, "forgot, unknown", unknown, 202)
	if known.String() != unknown.String() {
		t.Errorf("the answers differ: %s / %s", known, unknown)
	}
	m := mp.WaitFor(t, 30*time.Second, mailtest.To("viewer@a.fr", "password"))
	if m.Subject != "Reset your Sillage password" {
		t.Errorf("subject %q", m.Subject)
	}
	tok := mailedToken(t, m, "reset")
	r := anon.do("GET", "/api/auth/reset/"+tok, nil)
	wantStatus(t, "open the mailed link", r, 200)
	if !strings.Contains(r.String(), "viewer@a.fr") {
		t.Errorf("reset page: %s", r)
	}
	wantStatus(t, "set a new password", anon.do("POST", "/api/auth/reset", map[string]string{"token": tok, "password": "a brand new password"}), 204)
	wantStatus(t, "log in with it", w.client().login("viewer@a.fr", "a brand new password"), 200)
	wantStatus(t, "the link works once", anon.do("POST", "/api/auth/reset", map[string]string{"token": tok, "password": "another one"}), 404)

	// French for a French browser.
	fr := w.client()
	fr.header.Set("Accept-Language", "fr")
	wantStatus(t, "forgot in French", fr.do("POST", "/api/auth/forgot", map[string]string{"email": "admin@a.fr"}), 202)
	m = mp.WaitFor(t, 30*time.Second, mailtest.To("admin@a.fr", "mot de passe"))
	if m.Subject != "Réinitialiser votre mot de passe Sillage" {
		t.Errorf("subject %q", m.Subject)
	}
}

// Every request counts against the network, known account or not, so a
// network is throttled after UnknownCredentialLimit of them.
func TestForgotPasswordThrottled(t *testing.T) {
	w, _, _ := mailWorld(t)
	c := w.client()
	c.header.Set("X-Forwarded-For", "203.0.113.9")
	for i := range api.UnknownCredentialLimit {
		email := "nobody@a.fr"
		if i%10 == 0 {
			email = "owner@a.fr"
		}
		wantStatus(t, "forgot", c.do("POST", "/api/auth/forgot", map[string]string{"email": email}), 202)
	}
	r := c.do("POST", "/api/auth/forgot", map[string]string{"email": "owner@a.fr"})
	wantStatus(t, "forgot past the limit", r, 429)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	other := w.client()
	other.header.Set("X-Forwarded-For", "198.51.100.7")
	wantStatus(t, "another network", other.do("POST", "/api/auth/forgot", map[string]string{"email": "owner@a.fr"}), 202)
}

func TestForgotNeedsPublicURL(t *testing.T) {
	w, _, box := mailWorld(t)
	w.serve(api.Options{Mail: box}) // no --public-url
	wantStatus(t, "forgot without a public URL", w.client().do("POST", "/api/auth/forgot", map[string]string{"email": "viewer@a.fr"}), 503)
}

func TestMailSettings(t *testing.T) {
	w, mp, _ := mailWorld(t)
	if err := w.acc.SetOperator(context.Background(), w.owner.ID, true); err != nil {
		t.Fatal(err)
	}
	op := w.as(w.owner)
	var st struct {
		Configured bool       `json:"configured"`
		Server     string     `json:"server"`
		From       string     `json:"from"`
		PublicURL  string     `json:"public_url"`
		LastSentAt *time.Time `json:"last_sent_at"`
		LastError  string     `json:"last_error"`
	}
	r := op.do("GET", "/api/settings/mail", nil)
	wantStatus(t, "settings", r, 200)
	r.json(t, &st)
	if !st.Configured || st.Server != "smtp+plain://"+mp.SMTPAddr || st.From != `"Sillage" <stats@example.fr>` ||
		st.PublicURL != publicURL || st.LastSentAt != nil || st.LastError != "" {
		t.Errorf("settings before any mail: %s", r)
	}
	r = op.do("POST", "/api/settings/mail/test", nil)
	wantStatus(t, "test email", r, 200)
	var sent struct{ To, Status string }
	r.json(t, &sent)
	if sent.To != "owner@a.fr" || sent.Status != "sent" {
		t.Errorf("test email answer: %s", r)
	}
	m := mp.WaitFor(t, 30*time.Second, mailtest.To("owner@a.fr", "test"))
	if m.Subject != "Sillage test email" {
		t.Errorf("subject %q", m.Subject)
	}
	r = op.do("GET", "/api/settings/mail", nil)
	r.json(t, &st)
	if st.LastSentAt == nil {
		t.Errorf("no last sent time after the test email: %s", r)
	}
	wantStatus(t, "a site owner who is no operator", w.as(w.admin).do("POST", "/api/settings/mail/test", nil), http.StatusForbidden)
}

// The settings show the SMTP server without its password, and the error
// of a failed test email.
func TestMailSettingsHidePassword(t *testing.T) {
	w := newWorld(t)
	if err := w.acc.SetOperator(context.Background(), w.owner.ID, true); err != nil {
		t.Fatal(err)
	}
	cfg, err := mail.ParseConfig("smtps://ann:Sup3rSecret@127.0.0.1:1", "stats@example.fr")
	if err != nil {
		t.Fatal(err)
	}
	box, err := mail.NewOutbox(mail.OutboxOptions{Engine: w.acc.Engine, Transport: mail.NewSMTP(cfg), From: cfg.From,
		Server: cfg.String(), Secret: []byte("a test secret of thirty-two bytes"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w.serve(api.Options{Mail: box, PublicURL: publicURL})
	op := w.as(w.owner)
	r := op.do("POST", "/api/settings/mail/test", nil)
	wantStatus(t, "test email to a closed port", r, 200)
	var sent struct{ Status, Error string }
	r.json(t, &sent)
	if sent.Status != "queued" || sent.Error == "" {
		t.Errorf("answer %s", r)
	}
	for _, path := range []string{"/api/settings/mail"} {
		r := op.do("GET", path, nil)
		if strings.Contains(r.String(), "Sup3rSecret") || !strings.Contains(r.String(), "smtps://ann@127.0.0.1:1") ||
			!strings.Contains(r.String(), `"last_error"`) {
			t.Errorf("%s: %s", path, r)
		}
	}
	if strings.Contains(r.String(), "Sup3rSecret") {
		t.Errorf("the answer shows the password: %s", r)
	}
}
