package enrich

import "testing"

func TestChannel(t *testing.T) {
	tests := []struct {
		name string
		in   ChannelInput
		want string
	}{
		{"nothing", ChannelInput{}, ChannelDirect},
		{"cross-network campaign", ChannelInput{Source: "Google", UTMCampaign: "PMax Cross-Network FR"}, ChannelCrossNetwork},
		{"paid shopping by source", ChannelInput{Source: "Amazon", UTMMedium: "cpc"}, ChannelPaidShopping},
		{"paid shopping by campaign", ChannelInput{Source: "Google", UTMMedium: "cpc", UTMCampaign: "eshop-fr"}, ChannelPaidShopping},
		{"paid search by medium", ChannelInput{Source: "Google", UTMMedium: "cpc"}, ChannelPaidSearch},
		{"paid search by gclid", ChannelInput{Source: "Google", ClickIDParam: "gclid"}, ChannelPaidSearch},
		{"paid search by wbraid", ChannelInput{Source: "Google", ClickIDParam: "wbraid"}, ChannelPaidSearch},
		{"paid search by msclkid", ChannelInput{Source: "Bing", ClickIDParam: "msclkid"}, ChannelPaidSearch},
		{"paid search by paid source", ChannelInput{Source: "Google", UTMSource: "adwords"}, ChannelPaidSearch},
		{"gclid without a search source", ChannelInput{Source: "someblog.fr", ClickIDParam: "gclid"}, ChannelReferral},
		{"paid social", ChannelInput{Source: "Facebook", UTMSource: "facebook", UTMMedium: "paid_social"}, ChannelPaidSocial},
		{"paid social by source alias", ChannelInput{Source: "Facebook", UTMSource: "fb-ads"}, ChannelPaidSocial},
		{"fbclid alone is organic", ChannelInput{Source: "Facebook", ClickIDParam: "fbclid"}, ChannelOrganicSocial},
		{"paid video", ChannelInput{Source: "Youtube", UTMMedium: "ppc"}, ChannelPaidVideo},
		{"display medium", ChannelInput{Source: "someblog.fr", UTMMedium: "banner"}, ChannelDisplay},
		{"ad network referrer", ChannelInput{Source: "Doubleclick"}, ChannelDisplay},
		{"paid other", ChannelInput{Source: "partner.fr", UTMMedium: "retargeting"}, ChannelPaidOther},
		{"organic shopping", ChannelInput{Source: "eBay"}, ChannelOrganicShopping},
		{"workshop is not shopping", ChannelInput{Source: "newsletter", UTMSource: "newsletter", UTMCampaign: "workshop"}, ChannelEmail},
		{"organic social", ChannelInput{Source: "LinkedIn"}, ChannelOrganicSocial},
		{"social medium", ChannelInput{Source: "forum.fr", UTMMedium: "Social Media"}, ChannelOrganicSocial},
		{"organic video", ChannelInput{Source: "Vimeo"}, ChannelOrganicVideo},
		{"video medium", ChannelInput{Source: "tv-site", UTMMedium: "video-ad-free"}, ChannelOrganicVideo},
		{"organic search", ChannelInput{Source: "DuckDuckGo"}, ChannelOrganicSearch},
		{"AI assistant", ChannelInput{Source: "ChatGPT"}, ChannelOrganicSearch},
		{"explicit category wins", ChannelInput{Source: "intranet", Category: CategorySearch}, ChannelOrganicSearch},
		{"webmail", ChannelInput{Source: "Gmail"}, ChannelEmail},
		{"email medium", ChannelInput{Source: "brevo", UTMMedium: "e-mail"}, ChannelEmail},
		{"newsletter source", ChannelInput{Source: "Weekly Newsletter", UTMSource: "Weekly Newsletter"}, ChannelEmail},
		{"affiliates", ChannelInput{Source: "partner", UTMMedium: "affiliate"}, ChannelAffiliates},
		{"audio", ChannelInput{Source: "podcast", UTMMedium: "audio"}, ChannelAudio},
		{"sms", ChannelInput{Source: "sms", UTMSource: "sms"}, ChannelSMS},
		{"push", ChannelInput{Source: "app", UTMMedium: "web-push"}, ChannelPush},
		{"firebase", ChannelInput{Source: "firebase"}, ChannelPush},
		{"referral medium without source", ChannelInput{UTMMedium: "link"}, ChannelReferral},
		{"unknown site", ChannelInput{Source: "someblog.fr"}, ChannelReferral},
		{"wikipedia", ChannelInput{Source: "Wikipedia"}, ChannelReferral},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Channel(tt.in); got != tt.want {
				t.Errorf("Channel(%+v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestShoppingCampaign(t *testing.T) {
	for c, want := range map[string]bool{
		"shop": true, "eshop": true, "shop_fr": true, "summer-shop": true, "2024shop": true,
		"shopping": true, "workshop": false, "bishop": false, "": false, "sho": false,
	} {
		if got := shoppingCampaign(c); got != want {
			t.Errorf("shoppingCampaign(%q) = %v, want %v", c, got, want)
		}
	}
}

func BenchmarkChannel(b *testing.B) {
	in := ChannelInput{Source: "Google", UTMSource: "google", UTMMedium: "cpc", UTMCampaign: "spring"}
	b.ReportAllocs()
	for b.Loop() {
		Channel(in)
	}
}
