package enrich

import "strings"

// Channels, as Plausible names them. Plausible follows Google Analytics 4's
// default channel groups; Sillage keeps its rules and order so that numbers
// match after a migration, with two additions noted in Channel.
const (
	ChannelCrossNetwork    = "Cross-network"
	ChannelPaidShopping    = "Paid Shopping"
	ChannelPaidSearch      = "Paid Search"
	ChannelPaidSocial      = "Paid Social"
	ChannelPaidVideo       = "Paid Video"
	ChannelDisplay         = "Display"
	ChannelPaidOther       = "Paid Other"
	ChannelOrganicShopping = "Organic Shopping"
	ChannelOrganicSocial   = "Organic Social"
	ChannelOrganicVideo    = "Organic Video"
	ChannelOrganicSearch   = "Organic Search"
	ChannelEmail           = "Email"
	ChannelAffiliates      = "Affiliates"
	ChannelAudio           = "Audio"
	ChannelSMS             = "SMS"
	ChannelPush            = "Mobile Push Notifications"
	ChannelReferral        = "Referral"
	ChannelDirect          = "Direct"
)

// ChannelInput is what a session's channel is decided from.
type ChannelInput struct {
	// Source is the session's source: CanonicalSource(utm_source, or source,
	// or ref) when the landing URL is tagged, else what Source returned.
	Source string
	// Category is Source's; CategoryNone has Channel look it up.
	Category     Category
	UTMSource    string
	UTMMedium    string
	UTMCampaign  string
	ClickIDParam string
}

// Channel groups a session into a marketing channel. The first rule that
// holds wins, in this order (source categories come from the referrer lists;
// "paid medium" is one containing "cp", or "ppc", "retargeting", "paid…";
// "paid source" a utm_source shorthand such as "fb-ads" or "adwords"):
//
//	Cross-network      campaign contains "cross-network"
//	Paid Shopping      shopping source or campaign, and paid medium
//	Paid Search        search source with paid medium or paid source; or
//	                   Google with a Google Ads click id, Bing with msclkid
//	Paid Social        social source with paid medium or paid source
//	Paid Video         video source with paid medium or paid source
//	Display            medium display, banner, expandable, interstitial or
//	                   cpm; or a referrer that is an ad network
//	Paid Other         paid medium
//	Organic Shopping   shopping source or campaign
//	Organic Social     social source, or medium social, sm, social-media…
//	Organic Video      video source, or medium containing "video"
//	Organic Search     search source (AI assistants included)
//	Email              email source, or source or medium mentioning e-mail
//	                   or newsletter
//	Affiliates         medium affiliate
//	Audio              medium audio
//	SMS                source or medium sms
//	Mobile Push Notifications  medium ending in "push" or containing
//	                   "mobile" or "notification", or source firebase
//	Referral           medium referral, app or link; or any source
//	Direct             everything else
//
// Sillage's additions to Plausible's rules: gbraid and wbraid count like
// gclid (Google's click ids for iOS traffic), and a referrer from an ad
// network's domain counts as Display, where Plausible says Referral.
func Channel(in ChannelInput) string {
	source := strings.ToLower(in.Source)
	medium := strings.ToLower(in.UTMMedium)
	utmSource := strings.ToLower(in.UTMSource)
	campaign := strings.ToLower(in.UTMCampaign)
	cat := in.Category
	if cat == CategoryNone && in.Source != "" {
		cat = SourceCategory(in.Source)
	}
	paidMed := paidMedium(medium)
	paid := paidMed || paidSource(utmSource)
	shopping := cat == CategoryShopping || shoppingCampaign(campaign)

	switch {
	case strings.Contains(campaign, "cross-network"):
		return ChannelCrossNetwork
	case shopping && paidMed:
		return ChannelPaidShopping
	case cat == CategorySearch && paid,
		source == "google" && googleClickID(in.ClickIDParam),
		source == "bing" && in.ClickIDParam == "msclkid":
		return ChannelPaidSearch
	case cat == CategorySocial && paid:
		return ChannelPaidSocial
	case cat == CategoryVideo && paid:
		return ChannelPaidVideo
	case displayMedium(medium), cat == CategoryAds:
		return ChannelDisplay
	case paidMed:
		return ChannelPaidOther
	case shopping:
		return ChannelOrganicShopping
	case cat == CategorySocial || socialMedium(medium):
		return ChannelOrganicSocial
	case cat == CategoryVideo || strings.Contains(medium, "video"):
		return ChannelOrganicVideo
	case cat == CategorySearch:
		return ChannelOrganicSearch
	case cat == CategoryEmail || mentionsEmail(utmSource) || mentionsEmail(medium):
		return ChannelEmail
	case medium == "affiliate":
		return ChannelAffiliates
	case medium == "audio":
		return ChannelAudio
	case utmSource == "sms" || medium == "sms":
		return ChannelSMS
	case strings.HasSuffix(medium, "push") || strings.Contains(medium, "mobile") ||
		strings.Contains(medium, "notification") || source == "firebase":
		return ChannelPush
	case medium == "referral" || medium == "app" || medium == "link" || source != "":
		return ChannelReferral
	}
	return ChannelDirect
}

func googleClickID(param string) bool {
	return param == "gclid" || param == "gbraid" || param == "wbraid"
}

func paidMedium(m string) bool {
	return strings.Contains(m, "cp") || m == "ppc" || m == "retargeting" || strings.HasPrefix(m, "paid")
}

func displayMedium(m string) bool {
	switch m {
	case "display", "banner", "expandable", "interstitial", "cpm":
		return true
	}
	return false
}

func socialMedium(m string) bool {
	switch m {
	case "social", "social-network", "social-media", "sm", "social network", "social media":
		return true
	}
	return false
}

func mentionsEmail(s string) bool {
	for _, t := range [...]string{"email", "e-mail", "e_mail", "e mail", "newsletter"} {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}

// shoppingCampaign matches "shopping", or "shop" not preceded by a letter
// other than "e" (so "eshop" and "shop_fr" count, "workshop" does not).
func shoppingCampaign(c string) bool {
	if strings.Contains(c, "shopping") {
		return true
	}
	for i := 0; ; {
		j := strings.Index(c[i:], "shop")
		if j < 0 {
			return false
		}
		at := i + j
		if at == 0 {
			return true
		}
		if p := c[at-1]; p == 'e' || p < 'a' || p > 'z' {
			return true
		}
		i = at + 1
	}
}
