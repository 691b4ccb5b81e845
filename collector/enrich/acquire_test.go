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
		{"google ads", "https://example.fr/?gclid=Cj0K", "https://www.google.com/",
			Acquisition{Referrer: "google.com", ReferrerSource: "Google", Channel: ChannelPaidSearch, ClickIDParam: "gclid"}},
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
