package sillage

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Site is a website whose events Sillage counts.
type Site struct {
	ID            uint32
	Domain        string
	Timezone      string // IANA name; day, week and month boundaries use it
	RetentionDays uint16 // 0 keeps events forever
	CreatedAt     time.Time
}

// NormalizeDomain lowercases a domain and strips a scheme, "www."
// prefixes, a path, a trailing dot and surrounding space, the way site
// owners tend to type it. An internationalised name takes the one Unicode
// form IDNA maps its spellings to (an accent typed as a mark of its own,
// full-width letters), since they all reach the same host. Normalising
// twice changes nothing more: a site is looked up by the normalised form
// of whatever is asked.
func NormalizeDomain(d string) string {
	for {
		n := strings.ToLower(strings.TrimSpace(d))
		if strings.ContainsFunc(n, func(r rune) bool { return r >= utf8.RuneSelf }) {
			if u, err := idna.Lookup.ToUnicode(n); err == nil {
				n = u
			} else {
				n = norm.NFC.String(n)
			}
		}
		n = strings.TrimPrefix(n, "https://")
		n = strings.TrimPrefix(n, "http://")
		if i := strings.IndexAny(n, "/?#"); i >= 0 {
			n = n[:i]
		}
		n = strings.TrimPrefix(strings.TrimSuffix(n, "."), "www.")
		if n == d {
			return n
		}
		d = n // each pass only removes, so this ends
	}
}

// ValidateSite reports what is wrong with a site's settings.
func ValidateSite(domain, timezone string) error {
	if domain == "" || len(domain) > 253 || strings.IndexFunc(domain, notInHostName) >= 0 || !strings.Contains(domain, ".") && domain != "localhost" {
		return fmt.Errorf("invalid domain %q: expected a host name such as example.fr", domain)
	}
	if _, err := time.LoadLocation(timezone); err != nil || timezone == "" || timezone == "Local" {
		return fmt.Errorf("invalid time zone %q: expected an IANA name such as Europe/Paris", timezone)
	}
	return nil
}

// notInHostName tells the runes no host name has: spaces and controls of
// any script, and what separates the parts of a URL, an address or a header.
func notInHostName(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Cf) ||
		strings.ContainsRune("@:,'\"\\/?#[]<>%;=+&|`^{}~!$*()", r)
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
