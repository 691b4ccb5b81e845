package main

import (
	"errors"
	"log/slog"

	"github.com/sillage-analytics/sillage/internal/mail"
	"github.com/sillage-analytics/sillage/store"
)

// mailFlags configure the email of the query service.
type mailFlags struct {
	smtpURL, smtpFrom, publicURL string
}

func (m *mailFlags) register(f *flags) {
	f.stringVar(&m.smtpURL, "smtp-url", "SILLAGE_SMTP_URL", "",
		"SMTP server for invitations, password resets, reports and alerts: smtp://user:password@host:587 (STARTTLS), smtps://user:password@host:465 (TLS) or smtp+plain://host:25 (no encryption: a local relay); empty: no email")
	f.stringVar(&m.smtpFrom, "smtp-from", "SILLAGE_SMTP_FROM", "", `the address email comes from, e.g. "Sillage <stats@example.fr>"`)
	f.stringVar(&m.publicURL, "public-url", "SILLAGE_PUBLIC_URL", "",
		"the address users open the dashboard at, for links in emails, e.g. https://stats.example.fr (a password reset by email needs it)")
}

// check refuses a malformed configuration before anything starts.
func (m *mailFlags) check() error {
	if m.publicURL != "" {
		if _, err := parsePublicURL(m.publicURL); err != nil {
			return err
		}
	}
	if m.smtpURL != "" {
		if _, err := mail.ParseConfig(m.smtpURL, m.smtpFrom); err != nil {
			return err
		}
	} else if m.smtpFrom != "" {
		return errors.New("--smtp-from without --smtp-url: no email would be sent")
	}
	return nil
}

// outbox builds the mail outbox; without --smtp-url it records and sends
// nothing, and the dashboard says links are passed on by hand.
func (m *mailFlags) outbox(eng store.Engine, secret []byte, log *slog.Logger) (*mail.Outbox, string, error) {
	var publicURL string
	if m.publicURL != "" {
		u, err := parsePublicURL(m.publicURL)
		if err != nil {
			return nil, "", err
		}
		publicURL = u
	}
	o := mail.OutboxOptions{Engine: eng, Secret: secret, Logger: log}
	if m.smtpURL != "" {
		cfg, err := mail.ParseConfig(m.smtpURL, m.smtpFrom)
		if err != nil {
			return nil, "", err
		}
		o.Transport, o.From, o.Server = mail.NewSMTP(cfg), cfg.From, cfg.String()
		log.Info("email on", "smtp", cfg.String(), "security", cfg.Security.String(), "from", cfg.From, "public_url", publicURL)
		if publicURL == "" {
			log.Warn("no --public-url: invitation emails link to the address the inviter uses, and password reset by email is off")
		}
	} else {
		log.Info("email off: no --smtp-url; invitation and reset links are passed on by hand")
	}
	box, err := mail.NewOutbox(o)
	return box, publicURL, err
}
