package mail

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// Security is how the connection to the SMTP server is protected.
type Security int

const (
	// StartTLS connects in clear and upgrades with STARTTLS, which the
	// server must offer (smtp://, port 587 by default).
	StartTLS Security = iota
	// ImplicitTLS speaks TLS from the first byte (smtps://, port 465).
	ImplicitTLS
	// Plain never encrypts (smtp+plain://, port 25): only for a relay on
	// the same machine or a private network, and for tests.
	Plain
)

func (s Security) String() string {
	return [...]string{"starttls", "tls", "plain"}[s]
}

// Config is an SMTP server and the address mail comes from.
type Config struct {
	Host     string
	Port     int
	Security Security
	Username string
	// Password is the SMTP password. It is never printed: String and
	// every error leave it out.
	Password string
	From     string
}

// ParseConfig reads --smtp-url and --smtp-from:
//
//	smtp://user:pass@host:587        STARTTLS (required)
//	smtps://user:pass@host:465       implicit TLS
//	smtp+plain://host:25             no encryption (a local relay)
//
// The user and password are URL-encoded (an @ in a user name is %40).
// Errors never repeat the URL: it holds the password.
func ParseConfig(rawURL, from string) (Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Fragment != "" {
		// The parser's error quotes the URL or a part of it, which may be
		// the password: a password with an unencoded # / ? ends the host
		// early and its start is read as the port.
		return Config{}, errors.New("--smtp-url: not a URL; expected smtp://user:password@host:587, with the characters % # / ? @ : of the user and password URL-encoded (%25 %23 %2F %3F %40 %3A)")
	}
	var c Config
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		c.Security, c.Port = StartTLS, 587
	case "smtps":
		c.Security, c.Port = ImplicitTLS, 465
	case "smtp+plain":
		c.Security, c.Port = Plain, 25
	default:
		return Config{}, fmt.Errorf("--smtp-url: scheme %q: expected smtp:// (STARTTLS), smtps:// (TLS) or smtp+plain:// (no encryption)", u.Scheme)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, errors.New("--smtp-url: no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("--smtp-url: port %q: expected 1-65535", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return Config{}, errors.New("--smtp-url: expected no path or query after the host and port")
	}
	if from == "" {
		return Config{}, errors.New("--smtp-from is required with --smtp-url: the address mail comes from")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return Config{}, fmt.Errorf("--smtp-from %q: %w", from, err)
	}
	c.From = addr.String()
	return c, nil
}

// String shows the server without its password, for logs and settings.
func (c Config) String() string {
	scheme := map[Security]string{StartTLS: "smtp", ImplicitTLS: "smtps", Plain: "smtp+plain"}[c.Security]
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	return u.String()
}
