package sillage

import "time"

// Event names with a meaning of their own; every other name is a custom event.
const (
	EventPageview   = "pageview"
	EventEngagement = "engagement"
)

// Event is one accepted, enriched hit, as it is stored. It holds no raw IP
// address, no raw user agent and no cookie: only what is derived from them.
type Event struct {
	SiteID       uint32
	Timestamp    time.Time // UTC
	Name         string
	VisitorID    uint64 // keyed hash of (daily salt, site, IP, user agent)
	SessionID    uint64
	SessionStart time.Time // UTC; the first event of the session

	Hostname string
	Pathname string

	Visit

	Props map[string]string

	// RevenueMilli is the amount in thousandths of RevenueCurrency's unit;
	// integers keep sums exact.
	RevenueMilli    int64
	RevenueCurrency string // ISO 4217, empty when the event carries no revenue

	Interactive  bool  // false for events that must not cancel a bounce
	ScrollDepth  uint8 // percent, engagement events only
	EngagementMS uint32

	// RetentionDays is the site's retention when the event was accepted;
	// the store drops the event that many days after it happened (0: never).
	RetentionDays uint16

	// ImportID is the import an event came from (imports of Umami or
	// GoatCounter exports), 0 for every collected event.
	ImportID uint64
}

// Visit holds what an event says about the visit it belongs to: how the
// visitor came, from where, on what device. The collector takes it from a
// session's first event and copies it onto every later one, so filters on
// it need no join.
type Visit struct {
	Referrer       string // host and path only, no query string
	ReferrerSource string // e.g. "Google", "Facebook"
	Channel        string // e.g. "Organic Search", "Direct"

	UTMSource    string
	UTMMedium    string
	UTMCampaign  string
	UTMTerm      string
	UTMContent   string
	ClickIDParam string // the click id parameter seen ("gclid", "fbclid"…), never its value

	CountryCode   string // ISO 3166-1 alpha-2
	Region        string // ISO 3166-2, e.g. "FR-IDF"
	City          string
	CityGeonameID uint32

	Browser        string
	BrowserVersion string
	OS             string
	OSVersion      string
	Device         string // Desktop, Mobile, Tablet
}
