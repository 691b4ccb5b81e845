package enrich

import (
	"net/url"
	"strings"
)

// Campaign is what a landing page's query string says about how the
// visitor came.
type Campaign struct {
	Source  string // utm_source, else source, else ref, as Plausible reads them
	Medium  string // utm_medium
	Name    string // utm_campaign
	Term    string // utm_term
	Content string // utm_content
	// ClickIDParam names the ad platform's click id parameter present
	// ("gclid"); its value identifies a click, so it is never kept.
	ClickIDParam string
}

// maxTagBytes caps each UTM value; longer ones are junk or abuse.
const maxTagBytes = 300

// clickIDs in order of precedence when a URL carries several.
var clickIDs = []struct{ param, platform string }{
	{"gclid", "Google Ads"},
	{"gbraid", "Google Ads"},
	{"wbraid", "Google Ads"},
	{"dclid", "Google Ads/Display"},
	{"msclkid", "Microsoft Ads"},
	{"fbclid", "Facebook"},
	{"ttclid", "TikTok"},
	{"li_fat_id", "LinkedIn"},
	{"twclid", "X (Twitter)"},
	{"yclid", "Yandex"},
	{"ScCid", "Snapchat"},
	{"epik", "Pinterest"},
}

// clickIDIndex finds a click id parameter whatever its case: "ScCid" is
// also seen as "sccid".
func clickIDIndex(param string) int {
	for i, c := range clickIDs {
		if strings.EqualFold(param, c.param) {
			return i
		}
	}
	return -1
}

// ClickIDPlatform names the ad platform a click id parameter belongs to
// ("fbclid" → "Facebook"), or returns "" for an unknown parameter.
func ClickIDPlatform(param string) string {
	if i := clickIDIndex(param); i >= 0 {
		return clickIDs[i].platform
	}
	return ""
}

// CampaignFromQuery reads campaign tags and click ids from a page URL's
// query, as ParseURL returns it.
func CampaignFromQuery(q url.Values) Campaign {
	if len(q) == 0 {
		return Campaign{}
	}
	c := Campaign{
		Source:  tag(q, "utm_source"),
		Medium:  tag(q, "utm_medium"),
		Name:    tag(q, "utm_campaign"),
		Term:    tag(q, "utm_term"),
		Content: tag(q, "utm_content"),
	}
	if c.Source == "" {
		c.Source = tag(q, "source")
	}
	if c.Source == "" {
		c.Source = tag(q, "ref")
	}
	best := len(clickIDs)
	for k := range q {
		if i := clickIDIndex(k); i >= 0 && i < best {
			best = i
		}
	}
	if best < len(clickIDs) {
		c.ClickIDParam = clickIDs[best].param
	}
	return c
}

func tag(q url.Values, key string) string {
	v := strings.TrimSpace(q.Get(key))
	if v == "" {
		return ""
	}
	return strings.ToValidUTF8(truncateUTF8(v, maxTagBytes), "\uFFFD")
}

// isTrackingParam reports query parameters that Sillage stores apart
// (campaign tags) or must not store (click ids).
func isTrackingParam(key string) bool {
	if strings.HasPrefix(strings.ToLower(key), "utm_") {
		return true
	}
	return clickIDIndex(key) >= 0
}
