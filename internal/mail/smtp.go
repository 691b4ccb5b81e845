package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Transport makes one delivery attempt. The Outbox decides whether and
// when; a Transport only talks to the server.
type Transport interface {
	Deliver(ctx context.Context, key string, msg Message) error
}

// SMTP delivers through an SMTP server, one connection per message: mail
// is rare (invitations, resets, a report a week), so nothing is kept open.
type SMTP struct {
	cfg     Config
	timeout time.Duration
}

// NewSMTP returns a transport for the server of c.
func NewSMTP(c Config) *SMTP { return &SMTP{cfg: c, timeout: 30 * time.Second} }

// Config returns the server's configuration (its String hides the password).
func (s *SMTP) Config() Config { return s.cfg }

// Deliver sends msg once. Its Message-ID derives from key, so a message
// sent again after a crash (see the package's limits) carries the same id
// and a receiving server or client may fold the two.
func (s *SMTP) Deliver(ctx context.Context, key string, msg Message) error {
	m, err := s.build(key, msg)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.timeout)}
	switch s.cfg.Security {
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case Plain:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return s.scrub(fmt.Errorf("smtp client for %s: %w", s.cfg, err))
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return s.scrub(fmt.Errorf("send through %s: %w", s.cfg, err))
	}
	return nil
}

func (s *SMTP) build(key string, msg Message) (*gomail.Msg, error) {
	if len(msg.To) == 0 {
		return nil, errors.New("mail without recipient")
	}
	if msg.Text == "" {
		return nil, errors.New("mail without a text body")
	}
	m := gomail.NewMsg()
	if err := m.From(s.cfg.From); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := m.To(msg.To...); err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	m.Subject(msg.Subject)
	m.SetMessageIDWithValue(messageID(key, s.cfg.From))
	m.SetDate()
	if msg.Unsubscribe != "" {
		m.SetGenHeader(gomail.HeaderListUnsubscribe, "<"+msg.Unsubscribe+">")
		m.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return m, nil
}

// messageID is a stable id for key, on the sender's domain.
func messageID(key, from string) string {
	sum := sha256.Sum256([]byte("sillage mail " + key))
	domain := "sillage.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = strings.TrimRight(from[i+1:], ">")
	}
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

// scrub removes the password from an error, should a library ever quote it.
func (s *SMTP) scrub(err error) error {
	if err == nil || s.cfg.Password == "" || !strings.Contains(err.Error(), s.cfg.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), s.cfg.Password, "xxxxx"))
}
