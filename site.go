package sillage

import (
	"fmt"
	"strings"
	"time"
)

// Site is a website whose events Sillage counts.
type Site struct {
	ID            uint32
	Domain        string
	Timezone      string // IANA name; day, week and month boundaries use it
	RetentionDays uint16 // 0 keeps events forever
	CreatedAt     time.Time
}

// NormalizeDomain lowercases a domain and strips a scheme, a "www." prefix,
// a path and surrounding space, the way site owners tend to type it.
func NormalizeDomain(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimPrefix(d, "https://")
	d = strings.TrimPrefix(d, "http://")
	d = strings.TrimPrefix(d, "www.")
	if i := strings.IndexAny(d, "/?#"); i >= 0 {
		d = d[:i]
	}
	return d
}

// ValidateSite reports what is wrong with a site's settings.
func ValidateSite(domain, timezone string) error {
	if domain == "" || len(domain) > 253 || strings.ContainsAny(domain, " \t@:,'\"\\") || !strings.Contains(domain, ".") && domain != "localhost" {
		return fmt.Errorf("invalid domain %q: expected a host name such as example.fr", domain)
	}
	if _, err := time.LoadLocation(timezone); err != nil || timezone == "" || timezone == "Local" {
		return fmt.Errorf("invalid time zone %q: expected an IANA name such as Europe/Paris", timezone)
	}
	return nil
}

// Role is what a user may do on a site.
type Role string

const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleViewer Role = "viewer"
)

// User is an account that can log in to the dashboard.
type User struct {
	ID        string // UUID
	Email     string
	CreatedAt time.Time
}
