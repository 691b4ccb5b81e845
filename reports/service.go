// Package reports sends each site's weekly and monthly email reports and
// its traffic alerts (a spike of current visitors, a day far below its
// usual), and keeps who receives them.
//
// The numbers come from the dashboard's own query engine (query/stats),
// over the site's time zone. What is sent is keyed (site, recipient, kind,
// period) and goes through a mail.Sender, which sends each key once across
// restarts and processes; a record of deliveries lets a restarted process
// skip what is done without building the report again.
package reports

import (
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/internal/mail"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/store"
)

// Service keeps subscriptions and alert settings, builds reports and sends
// them.
type Service struct {
	Engine   store.Engine
	Accounts *accounts.Service
	// Stats answers the reports' queries; nil builds one on Engine with Now.
	Stats *stats.Engine
	// Sender delivers mail; nil when no SMTP server is configured: then
	// settings can be kept, and nothing is sent.
	Sender mail.Sender
	// PublicURL is the dashboard's address, for the links in the mail
	// (e.g. https://stats.example.fr). Without it nothing is sent either.
	PublicURL string
	Now       func() time.Time
	Logger    *slog.Logger

	mu        sync.Mutex
	lastStamp time.Time
	statsOnce sync.Once
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) stats() *stats.Engine {
	s.statsOnce.Do(func() {
		if s.Stats == nil {
			s.Stats = &stats.Engine{Store: s.Engine, Now: s.now}
		}
	})
	return s.Stats
}

// CanSend reports whether mail can go out: an SMTP server and the
// dashboard's public address are configured.
func (s *Service) CanSend() bool { return s != nil && s.Sender != nil && s.PublicURL != "" }

// link is an address on the dashboard.
func (s *Service) link(path string) string {
	return strings.TrimRight(s.PublicURL, "/") + path
}

func sitePath(domain string) string { return "/" + url.PathEscape(domain) }
