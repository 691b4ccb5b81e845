package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/internal/mail"
)

// Email: invitations and password resets are mailed when an SMTP server
// is configured (Options.Mail); the links are still shown to the inviter,
// so nothing depends on the mail arriving.

// forgotPerEmail is how many reset emails one address may be sent per
// throttleWindow, whoever asks: a stranger cannot fill someone's inbox.
const forgotPerEmail = 3

// mailOn tells whether mail can be sent.
func (a *API) mailOn() bool { return a.mail != nil && a.mail.Configured() }

// mailLink is the absolute link put in an email: on --public-url when set,
// else on the host the (logged-in) request came to.
func (a *API) mailLink(r *http.Request, path string) string {
	if a.publicURL != "" {
		return a.publicURL + path
	}
	return a.link(r, path)
}

// mailStatus answers how a message went: "sent", "queued" (a retry is
// due), "failed", or "" when mail is off.
func (a *API) mailStatus(ctx context.Context, key string, sendErr error) string {
	if errors.Is(sendErr, mail.ErrNotConfigured) {
		return ""
	}
	if sendErr != nil {
		return "failed"
	}
	rec, found, err := a.mail.Lookup(ctx, key)
	switch {
	case err != nil || !found:
		return "queued"
	case rec.Status == mail.StatusSent:
		return "sent"
	case rec.Status == mail.StatusFailed:
		return "failed"
	}
	return "queued"
}

// mailInvitation mails a new invitation's link, in the inviter's language
// (the dashboard's, sent as Accept-Language). It returns the answer's
// email status; a failure is logged and the link is still shown.
func (a *API) mailInvitation(r *http.Request, inv accounts.Invitation, token, inviterID string) string {
	if !a.mailOn() {
		return ""
	}
	ctx := r.Context()
	var inviter string
	if inviterID != "" {
		if u, err := a.acc.UserByID(ctx, inviterID); err == nil {
			inviter = u.Email
		}
	}
	msg := mail.InvitationMessage(mail.Lang(r.Header.Get("Accept-Language")), mail.Invitation{
		To: inv.Email, Domain: inv.Domain, Role: string(inv.Role), Inviter: inviter,
		Link: a.mailLink(r, "/invite/"+token), Expires: inv.ExpiresAt})
	key := "invitation:" + inv.ID
	err := a.mail.Send(ctx, key, msg)
	if err != nil {
		a.log.Error("mail an invitation", "invitation", inv.ID, "error", err)
	}
	return a.mailStatus(ctx, key, err)
}

type forgotRequest struct {
	Email string `json:"email"`
}

// forgotPassword mails a reset link to an account's email. It answers the
// same whether or not the account exists, at once (the look-up and the
// mail happen after the answer, so its timing tells nothing either), and
// every request counts against the client's network like an unknown
// credential, never taken back: taking back the requests for existing
// accounts would tell them apart. An address gets at most forgotPerEmail
// reset emails per window, whoever asks.
func (a *API) forgotPassword(w http.ResponseWriter, r *http.Request) error {
	var req forgotRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if !a.mailOn() || a.publicURL == "" {
		// Links in a mail sent on an unauthenticated request must not
		// take the request's Host: whoever sends one could point them
		// at their own server.
		return &httpError{http.StatusServiceUnavailable,
			"password reset by email is not set up on this instance: ask an operator for a reset link", nil}
	}
	email, err := accounts.NormalizeEmail(req.Email)
	if err != nil {
		return err
	}
	if d := a.unknown.take(networkKey(a.clientIP(r))); d > 0 {
		a.log.Info("password reset requests throttled", "retry_after", d.Round(time.Second).String())
		return throttled(w, d)
	}
	if d := a.forgot.take("forgot:" + email); d == 0 {
		lang := mail.Lang(r.Header.Get("Accept-Language"))
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 3*time.Minute)
		go func() {
			defer cancel()
			a.mailReset(ctx, email, lang)
		}()
	}
	writeJSON(w, http.StatusAccepted, map[string]string{
		"status": "if an account has this email, a link to choose a new password is on its way"})
	return nil
}

// mailReset makes a reset link for the account of email, if there is
// one, and mails it.
func (a *API) mailReset(ctx context.Context, email, lang string) {
	u, err := a.acc.UserByEmail(ctx, email)
	if errors.Is(err, accounts.ErrNotFound) {
		return
	}
	if err != nil {
		a.log.Error("password reset by email: find the account", "error", err)
		return
	}
	token, expires, err := a.acc.CreatePasswordReset(ctx, u.ID)
	if err != nil {
		a.log.Error("password reset by email: make the link", "user", u.ID, "error", err)
		return
	}
	sum := sha256.Sum256([]byte(token))
	key := "reset:" + hex.EncodeToString(sum[:12])
	msg := mail.PasswordResetMessage(lang, mail.PasswordReset{To: u.Email, Link: a.publicURL + "/reset/" + token, Expires: expires})
	if err := a.mail.Send(ctx, key, msg); err != nil {
		a.log.Error("password reset by email: send", "user", u.ID, "error", err)
		return
	}
	a.log.Info("password reset link mailed", "user", u.ID)
}

type mailSettingsJSON struct {
	Configured  bool       `json:"configured"`
	Server      string     `json:"server,omitempty"`
	From        string     `json:"from,omitempty"`
	PublicURL   string     `json:"public_url,omitempty"`
	LastSentAt  *time.Time `json:"last_sent_at"`
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at"`
	Pending     int        `json:"pending"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// getMailSettings shows operators the SMTP server (never its password),
// the from address, and how delivery went lately.
func (a *API) getMailSettings(w http.ResponseWriter, r *http.Request) error {
	if a.mail == nil {
		writeJSON(w, http.StatusOK, mailSettingsJSON{PublicURL: a.publicURL})
		return nil
	}
	st, err := a.mail.Status(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mailSettingsJSON{Configured: st.Configured, Server: st.Server, From: st.From,
		PublicURL: a.publicURL, LastSentAt: timePtr(st.LastSentAt), LastError: st.LastError,
		LastErrorAt: timePtr(st.LastErrorAt), Pending: st.Pending})
	return nil
}

type mailTestJSON struct {
	To     string `json:"to"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// sendTestMail sends a test email to the operator's own address and tells
// how it went, with the SMTP server's error if it failed.
func (a *API) sendTestMail(w http.ResponseWriter, r *http.Request) error {
	if !a.mailOn() {
		return &httpError{http.StatusConflict, "no SMTP server is configured: start the server with --smtp-url and --smtp-from", nil}
	}
	ctx := r.Context()
	u := granted(r).sess.user
	key := "test:" + uuid.NewString()
	err := a.mail.Send(ctx, key, mail.TestMessage(mail.Lang(r.Header.Get("Accept-Language")), u.Email))
	if err != nil {
		return err
	}
	out := mailTestJSON{To: u.Email, Status: a.mailStatus(ctx, key, nil)}
	if rec, found, err := a.mail.Lookup(ctx, key); err == nil && found && out.Status != "sent" {
		out.Error = rec.LastError
	}
	a.log.Info("test email", "user", u.ID, "status", out.Status)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// normalizePublicURL checks --public-url: an absolute http(s) URL, kept
// without its trailing slash.
func normalizePublicURL(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), "/")
}
