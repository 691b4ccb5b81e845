package enrich

import (
	"net/url"
	"testing"
)

func TestAcquire(t *testing.T) {
	tests := []struct {
		name, pageURL, referrer string
		want                    Acquisition
	}{
		{"direct", "https://example.fr/", "", Acquisition{Channel: ChannelDirect}},
		{"organic search", "https://example.fr/", "https://www.google.fr/",
			Acquisition{Referrer: "google.fr", ReferrerSource: "Google", Channel: ChannelOrganicSearch}},
		// Plausible infers the medium of an untagged ad click: "(gclid)"
		// from Google, "(msclkid)" from Bing; a tagged medium stays, and
		// other click ids (fbclid…) name their parameter only.
		{"google ads", "https://example.fr/?gclid=Cj0K", "https://www.google.com/",
			Acquisition{Referrer: "google.com", ReferrerSource: "Google", Channel: ChannelPaidSearch, UTMMedium: "(gclid)", ClickIDParam: "gclid"}},
		{"microsoft ads", "https://example.fr/?msclkid=abc", "https://www.bing.com/",
			Acquisition{Referrer: "bing.com", ReferrerSource: "Bing", Channel: ChannelPaidSearch, UTMMedium: "(msclkid)", ClickIDParam: "msclkid"}},
		{"google ads, tagged medium", "https://example.fr/?gclid=Cj0K&utm_medium=cpc", "https://www.google.com/",
			Acquisition{Referrer: "google.com", ReferrerSource: "Google", Channel: ChannelPaidSearch, UTMMedium: "cpc", ClickIDParam: "gclid"}},
		{"gclid without a Google referrer", "https://example.fr/?gclid=Cj0K", "",
			Acquisition{Channel: ChannelDirect, ClickIDParam: "gclid"}},
		{"msclkid from Google", "https://example.fr/?msclkid=abc", "https://www.google.com/",
			Acquisition{Referrer: "google.com", ReferrerSource: "Google", Channel: ChannelOrganicSearch, ClickIDParam: "msclkid"}},
		{"facebook ad click", "https://example.fr/?fbclid=IwAR", "https://l.facebook.com/",
			Acquisition{Referrer: "l.facebook.com", ReferrerSource: "Facebook", Channel: ChannelOrganicSocial, ClickIDParam: "fbclid"}},
		{"tag wins over referrer", "https://example.fr/?utm_source=fb&utm_medium=paid_social&utm_campaign=spring", "https://l.facebook.com/",
			Acquisition{Referrer: "l.facebook.com", ReferrerSource: "Facebook", Channel: ChannelPaidSocial,
				UTMSource: "fb", UTMMedium: "paid_social", UTMCampaign: "spring"}},
		{"newsletter without referrer", "https://example.fr/?utm_source=newsletter&utm_medium=email", "",
			Acquisition{ReferrerSource: "newsletter", Channel: ChannelEmail, UTMSource: "newsletter", UTMMedium: "email"}},
		{"ref tag on a self-referral", "https://example.fr/?ref=producthunt", "https://example.fr/launch",
			Acquisition{ReferrerSource: "Product Hunt", Channel: ChannelOrganicSocial, UTMSource: "producthunt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(tt.pageURL)
			got := Acquire(u.Query(), tt.referrer, "example.fr")
			if got != tt.want {
				t.Errorf("Acquire =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
