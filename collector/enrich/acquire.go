package enrich

import (
	"net/url"
)

// Acquisition holds the acquisition fields of sillage.Event.
type Acquisition struct {
	Referrer       string
	ReferrerSource string
	Channel        string
	UTMSource      string
	UTMMedium      string
	UTMCampaign    string
	UTMTerm        string
	UTMContent     string
	ClickIDParam   string
}

// Acquire derives them from a page's query (as ParseURL returns it), its
// referrer and the site's host. As in Plausible, a tagged URL's source wins
// over the referrer's, even a self-referral's: the tag is deliberate.
func Acquire(query url.Values, referrerURL, siteHost string) Acquisition {
	c := CampaignFromQuery(query)
	ref, src := Source(referrerURL, siteHost)
	if c.Source != "" {
		src = CanonicalSource(c.Source)
	}
	return Acquisition{
		Referrer:       ref,
		ReferrerSource: src,
		Channel: Channel(ChannelInput{Source: src, UTMSource: c.Source, UTMMedium: c.Medium,
			UTMCampaign: c.Name, ClickIDParam: c.ClickIDParam}),
		UTMSource:    c.Source,
		UTMMedium:    inferMedium(c.Medium, src, c.ClickIDParam),
		UTMCampaign:  c.Name,
		UTMTerm:      c.Term,
		UTMContent:   c.Content,
		ClickIDParam: c.ClickIDParam,
	}
}

// inferMedium gives an untagged ad click the medium Plausible gives it, so
// a filter such as utm_medium is (gclid) means the same on both: "(gclid)"
// for a visit from Google with a gclid, "(msclkid)" from Bing with an
// msclkid. Plausible infers no medium for other click ids (fbclid…): they
// are kept as the click-id parameter's name alone (and its channel).
func inferMedium(medium, source, clickIDParam string) string {
	if medium != "" {
		return medium
	}
	switch {
	case source == "Google" && clickIDParam == "gclid":
		return "(gclid)"
	case source == "Bing" && clickIDParam == "msclkid":
		return "(msclkid)"
	}
	return ""
}
