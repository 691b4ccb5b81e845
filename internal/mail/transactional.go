package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

// Lang picks the language of a message from an Accept-Language header (or
// a bare "fr"/"en"): French if it comes first among the two, else English.
func Lang(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch strings.SplitN(tag, "-", 2)[0] {
		case "fr":
			return "fr"
		case "en":
			return "en"
		}
	}
	return "en"
}

// Invitation is what an invitation email says.
type Invitation struct {
	To      string
	Domain  string
	Role    string // owner, admin or viewer
	Inviter string // the inviter's email, empty from the command line
	Link    string
	Expires time.Time
}

// PasswordReset is what a password reset email says.
type PasswordReset struct {
	To      string
	Link    string
	Expires time.Time
}

type texts struct {
	inviteSubject, inviteBody, resetSubject, resetBody, testSubject, testBody, by, footer string
	roles                                                                                 map[string]string
	date                                                                                  string
}

var langs = map[string]texts{
	"en": {
		inviteSubject: "You are invited to the statistics of {{.Domain}}",
		inviteBody:    "{{.Who}} invites you to the statistics of {{.Domain}} on Sillage, as {{.Role}}.",
		by:            "Someone",
		resetSubject:  "Reset your Sillage password",
		resetBody:     "Someone (we hope you) asked to reset the password of the Sillage account {{.To}}. If it was not you, ignore this email: your password stays as it is.",
		testSubject:   "Sillage test email",
		testBody:      "This test email from Sillage arrived: the SMTP settings work.",
		footer:        "The link works once, until {{.Expires}} (UTC).",
		roles:         map[string]string{"owner": "owner", "admin": "admin", "viewer": "viewer"},
		date:          "2 January 2006 15:04",
	},
	"fr": {
		inviteSubject: "Invitation aux statistiques de {{.Domain}}",
		inviteBody:    "{{.Who}} vous invite aux statistiques de {{.Domain}} sur Sillage, en tant que {{.Role}}.",
		by:            "Quelqu'un",
		resetSubject:  "Réinitialiser votre mot de passe Sillage",
		resetBody:     "Quelqu'un (vous, espérons-le) a demandé à réinitialiser le mot de passe du compte Sillage {{.To}}. Si ce n'est pas vous, ignorez ce message : votre mot de passe reste inchangé.",
		testSubject:   "E-mail de test de Sillage",
		testBody:      "Cet e-mail de test de Sillage est bien arrivé : les réglages SMTP fonctionnent.",
		footer:        "Le lien sert une seule fois, jusqu'au {{.Expires}} (UTC).",
		roles:         map[string]string{"owner": "propriétaire", "admin": "administrateur", "viewer": "lecteur"},
		date:          "02/01/2006 15:04",
	},
}

var buttons = map[string][2]string{
	"en": {"Accept the invitation", "Choose a new password"},
	"fr": {"Accepter l'invitation", "Choisir un nouveau mot de passe"},
}

func textsOf(lang string) (texts, string) {
	if t, ok := langs[lang]; ok {
		return t, lang
	}
	return langs["en"], "en"
}

// fill renders a one-line text template; the values are plain text here
// and escaped where they go into HTML.
func fill(tmpl string, data any) string {
	t := texttemplate.Must(texttemplate.New("").Parse(tmpl))
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("mail text %q: %v", tmpl, err)) // the templates are constants
	}
	return b.String()
}

var htmlPage = htmltemplate.Must(htmltemplate.New("mail").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:system-ui,sans-serif;color:#1f2933;max-width:560px;margin:0 auto;padding:24px">
<p>{{.Body}}</p>
{{if .Link}}<p><a href="{{.Link}}" style="display:inline-block;background:#2563eb;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">{{.Button}}</a></p>
<p style="font-size:13px;color:#52606d">{{.Footer}}<br><a href="{{.Link}}">{{.Link}}</a></p>{{end}}
</body></html>
`))

func compose(lang, to, subject, body, link, button, footer string) Message {
	text := body + "\n"
	if link != "" {
		text += "\n" + link + "\n\n" + footer + "\n"
	}
	var h bytes.Buffer
	if err := htmlPage.Execute(&h, map[string]string{"Lang": lang, "Subject": subject, "Body": body, "Link": link,
		"Button": button, "Footer": footer}); err != nil {
		panic(fmt.Sprintf("mail html: %v", err)) // the template is a constant
	}
	return Message{To: []string{to}, Subject: subject, Text: text, HTML: h.String()}
}

// InvitationMessage writes an invitation email in lang ("fr" or "en").
func InvitationMessage(lang string, inv Invitation) Message {
	t, lang := textsOf(lang)
	who := inv.Inviter
	if who == "" {
		who = t.by
	}
	role := t.roles[inv.Role]
	if role == "" {
		role = inv.Role
	}
	data := map[string]string{"Domain": inv.Domain, "Who": who, "Role": role, "Expires": inv.Expires.UTC().Format(t.date)}
	return compose(lang, inv.To, fill(t.inviteSubject, data), fill(t.inviteBody, data), inv.Link, buttons[lang][0], fill(t.footer, data))
}

// PasswordResetMessage writes a password reset email in lang.
func PasswordResetMessage(lang string, r PasswordReset) Message {
	t, lang := textsOf(lang)
	data := map[string]string{"To": r.To, "Expires": r.Expires.UTC().Format(t.date)}
	return compose(lang, r.To, t.resetSubject, fill(t.resetBody, data), r.Link, buttons[lang][1], fill(t.footer, data))
}

// TestMessage is the settings page's test email.
func TestMessage(lang, to string) Message {
	t, lang := textsOf(lang)
	return compose(lang, to, t.testSubject, t.testBody, "", "", "")
}
