// Package event parses and validates the body of POST /api/event, in the
// shapes Plausible's Events API and its browser trackers send.
package event

import (
	"errors"
	"strconv"

	sillage "github.com/sillage-analytics/sillage"
)

// Limits bounds what Parse accepts. A zero field takes its default.
type Limits struct {
	MaxBodyBytes      int // default 8 KiB
	MaxNameBytes      int // default 120
	MaxURLBytes       int // default 2000; longer referrers are truncated, not refused
	MaxProps          int // default 30
	MaxPropKeyBytes   int // default 300
	MaxPropValueBytes int // default 2000
}

// Defaults follow Plausible's, so that a payload it accepts is accepted here.
const (
	DefaultMaxBodyBytes      = 8 << 10
	DefaultMaxNameBytes      = 120
	DefaultMaxURLBytes       = 2000
	DefaultMaxProps          = 30
	DefaultMaxPropKeyBytes   = 300
	DefaultMaxPropValueBytes = 2000
)

// withDefaults returns the limits l stands for: a zero field takes its default.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxBodyBytes, DefaultMaxBodyBytes)
	def(&l.MaxNameBytes, DefaultMaxNameBytes)
	def(&l.MaxURLBytes, DefaultMaxURLBytes)
	def(&l.MaxProps, DefaultMaxProps)
	def(&l.MaxPropKeyBytes, DefaultMaxPropKeyBytes)
	def(&l.MaxPropValueBytes, DefaultMaxPropValueBytes)
	return l
}

// Payload is a validated event body. Enrichment (hostname, pathname, source,
// channel…) happens later, from URL and Referrer.
type Payload struct {
	Name, URL, Referrer string
	Domains             []string // normalised like sillage.NormalizeDomain, deduplicated, order kept
	Props               map[string]string
	RevenueMilli        int64  // thousandths of RevenueCurrency's unit
	RevenueCurrency     string // ISO 4217, uppercase; empty without revenue
	// RevenueInvalid names the revenue field at fault ("revenue.amount")
	// when a revenue was sent but is invalid: as Plausible does, the
	// event is kept without it.
	RevenueInvalid string
	HashMode       bool
	Interactive    bool
	ScrollDepth    int // percent; -1 if absent
	EngagementMS   int64
	TrackerVersion int // "v"; 0 if absent or not an integer
}

// IsEngagement reports whether the payload is an engagement event, which
// carries ScrollDepth and EngagementMS and never cancels a bounce.
func (p *Payload) IsEngagement() bool { return p.Name == sillage.EventEngagement }

// FieldError says which field of the body is wrong and why. Field uses the
// long key names ("name", "url", "revenue.currency"…), or "body" for the
// body as a whole.
type FieldError struct {
	Field, Reason string
	cause         error // ErrBodyTooLarge, or nil
}

// ErrBodyTooLarge is the cause (errors.Is) of the FieldError Parse returns
// for a body over MaxBodyBytes: a request too large rather than a wrong one.
var ErrBodyTooLarge = errors.New("event body too large")

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func (e *FieldError) Unwrap() error { return e.cause }

func fieldErr(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

func tooLong(field string, max int) error {
	return &FieldError{Field: field, Reason: "longer than " + strconv.Itoa(max) + " bytes"}
}
