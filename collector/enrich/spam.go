package enrich

import (
	"bufio"
	_ "embed"
	"strings"
	"sync"
)

//go:embed referrer_spam.txt
var spamList string

var (
	spamOnce    sync.Once
	spamDomains map[string]struct{}
)

// loadSpam parses the embedded list once, lowercased.
func loadSpam() map[string]struct{} {
	spamOnce.Do(func() {
		m := make(map[string]struct{}, 2400)
		sc := bufio.NewScanner(strings.NewReader(spamList))
		for sc.Scan() {
			l := strings.ToLower(strings.TrimSpace(sc.Text()))
			if l != "" && !strings.HasPrefix(l, "#") {
				m[l] = struct{}{}
			}
		}
		spamDomains = m
	})
	return spamDomains
}

// IsReferrerSpam reports whether a referrer URL's host is a listed
// referrer-spam domain or a subdomain of one (Matomo's list, which
// Plausible filters too). It allocates only for a host with capitals.
func IsReferrerSpam(referrer string) bool {
	host := referrerHost(referrer)
	if host == "" {
		return false
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; 'A' <= c && c <= 'Z' {
			host = strings.ToLower(host)
			break
		}
	}
	host = strings.TrimSuffix(host, ".")
	spam := loadSpam()
	// The host, then each parent domain: a.b.semalt.com, b.semalt.com,
	// semalt.com (a bare top-level domain is never listed).
	for {
		if _, ok := spam[host]; ok {
			return true
		}
		dot := strings.IndexByte(host, '.')
		if dot < 0 {
			return false
		}
		host = host[dot+1:]
	}
}

// referrerHost is the host of an absolute URL, without user info or port,
// or "" when there is none.
func referrerHost(u string) string {
	i := strings.Index(u, "://")
	if i <= 0 {
		return ""
	}
	rest := u[i+3:]
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	if strings.HasPrefix(rest, "[") { // an IPv6 literal is no listed domain
		return ""
	}
	if colon := strings.IndexByte(rest, ':'); colon >= 0 {
		rest = rest[:colon]
	}
	return rest
}
