package mail

import (
	"strings"
	"testing"
	"time"
)

func TestLang(t *testing.T) {
	for in, want := range map[string]string{
		"": "en", "fr": "fr", "fr-FR,fr;q=0.9,en;q=0.8": "fr", "en-GB,fr;q=0.5": "en", "de-DE,fr;q=0.7": "fr",
		"de, it": "en", "FR-ca": "fr", " en-US ; q=1": "en",
	} {
		if got := Lang(in); got != want {
			t.Errorf("Lang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInvitationMessage(t *testing.T) {
	exp := time.Date(2026, 12, 14, 9, 30, 0, 0, time.UTC)
	inv := Invitation{To: "claire@client.fr", Domain: "<b>évil</b>.fr", Role: "admin", Inviter: "marc@agence.fr",
		Link: "https://stats.example.fr/invite/tok", Expires: exp}
	for _, tc := range []struct{ lang, subject, body, footer string }{
		{"fr", "Invitation aux statistiques de <b>évil</b>.fr", "marc@agence.fr vous invite aux statistiques de <b>évil</b>.fr sur Sillage, en tant que administrateur.", "jusqu'au 14/12/2026 09:30 (UTC)"},
		{"en", "You are invited to the statistics of <b>évil</b>.fr", "marc@agence.fr invites you to the statistics of <b>évil</b>.fr on Sillage, as admin.", "until 14 December 2026 09:30 (UTC)"},
		{"de", "You are invited to the statistics of <b>évil</b>.fr", "as admin", "until"},
	} {
		m := InvitationMessage(tc.lang, inv)
		if m.Subject != tc.subject || len(m.To) != 1 || m.To[0] != inv.To {
			t.Errorf("%s: subject %q to %v", tc.lang, m.Subject, m.To)
		}
		if !strings.Contains(m.Text, tc.body) || !strings.Contains(m.Text, inv.Link) || !strings.Contains(m.Text, tc.footer) {
			t.Errorf("%s: text %q", tc.lang, m.Text)
		}
		// The domain is escaped in HTML: a site name cannot inject markup.
		if strings.Contains(m.HTML, "<b>évil") || !strings.Contains(m.HTML, "&lt;b&gt;évil") || !strings.Contains(m.HTML, `href="`+inv.Link+`"`) {
			t.Errorf("%s: html %q", tc.lang, m.HTML)
		}
	}
	if m := InvitationMessage("en", Invitation{To: "a@b.c", Domain: "d.fr", Role: "viewer", Link: "l"}); !strings.HasPrefix(m.Text, "Someone invites you") {
		t.Errorf("without inviter: %q", m.Text)
	}
}

func TestPasswordResetMessage(t *testing.T) {
	m := PasswordResetMessage("fr", PasswordReset{To: "a@b.fr", Link: "https://s/reset/x", Expires: time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)})
	if m.Subject != "Réinitialiser votre mot de passe Sillage" || !strings.Contains(m.Text, "https://s/reset/x") ||
		!strings.Contains(m.Text, "compte Sillage a@b.fr") || !strings.Contains(m.HTML, "Choisir un nouveau mot de passe") {
		t.Errorf("reset: %+v", m)
	}
	if m := TestMessage("en", "op@x.fr"); m.Subject != "Sillage test email" || m.To[0] != "op@x.fr" || strings.Contains(m.HTML, "href") {
		t.Errorf("test message: %+v", m)
	}
}
