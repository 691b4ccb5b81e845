package collector

import (
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/collector/enrich"
	"github.com/sillage-analytics/sillage/collector/event"
	"github.com/sillage-analytics/sillage/collector/internal/useragent"
	"github.com/sillage-analytics/sillage/collector/session"
)

// sessionAttrs derives a new session's attributes from its first event.
func (c *Collector) sessionAttrs(p *event.Payload, host string, query url.Values, agent useragent.Agent, ip netip.Addr) *session.Attrs {
	a := &session.Attrs{
		Browser: agent.Browser, BrowserVersion: agent.BrowserVersion,
		OS: agent.OS, OSVersion: agent.OSVersion, Device: agent.Device,
	}
	acq := enrich.Acquire(query, p.Referrer, host)
	a.Referrer, a.ReferrerSource, a.Channel = acq.Referrer, acq.ReferrerSource, acq.Channel
	a.UTMSource, a.UTMMedium, a.UTMCampaign, a.UTMTerm, a.UTMContent = acq.UTMSource, acq.UTMMedium, acq.UTMCampaign, acq.UTMTerm, acq.UTMContent
	a.ClickIDParam = acq.ClickIDParam
	loc := c.cfg.GeoIP.Lookup(ip)
	a.CountryCode, a.Region, a.City, a.CityGeonameID = loc.CountryCode, loc.Region, loc.City, loc.CityGeonameID
	return a
}

func buildEvent(p *event.Payload, site sillage.Site, now time.Time, vid uint64, s session.Session, host, path string) sillage.Event {
	e := sillage.Event{
		SiteID: site.ID, Timestamp: now, Name: p.Name, VisitorID: vid, SessionID: s.ID, SessionStart: s.Start,
		Hostname: host, Pathname: path, Visit: *s.Attrs,
		Props: p.Props, RevenueMilli: p.RevenueMilli, RevenueCurrency: strings.ToUpper(p.RevenueCurrency),
		Interactive: p.Interactive, RetentionDays: site.RetentionDays,
	}
	if p.IsEngagement() {
		e.Interactive = false
		if p.ScrollDepth >= 0 {
			e.ScrollDepth = uint8(min(p.ScrollDepth, 100))
		}
		e.EngagementMS = uint32(min(max(p.EngagementMS, 0), 1<<31))
	}
	return e
}
