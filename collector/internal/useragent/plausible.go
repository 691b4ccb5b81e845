package useragent

import (
	"strconv"
	"strings"
)

// Plausible names browsers and operating systems as Matomo's device
// detector does, then folds a browser's mobile variants into it and every
// in-app browser into "Mobile App". uap-go's families differ in places
// ("Mac OS X", "Chrome Mobile", "Samsung Internet"); these tables map them
// onto Plausible's, so that a filter written for Plausible (visit:os is
// Mac) matches here. Migration 0012 applies the same maps to stored rows:
// a name changed here is changed there too.

// browserNames maps uap-go browser families to Plausible's names.
var browserNames = map[string]string{
	"Mobile Safari":              "Safari",
	"Mobile Safari UI/WKWebView": "Safari",
	"Chrome Mobile":              "Chrome",
	"Chrome Mobile iOS":          "Chrome",
	"Firefox Mobile":             "Firefox",
	"Firefox iOS":                "Firefox",
	"Opera Mobile":               "Opera",
	"Opera Mini":                 "Opera",
	"Edge":                       "Microsoft Edge",
	"Edge Mobile":                "Microsoft Edge",
	"Samsung Internet":           "Samsung Browser",
	"IE":                         "Internet Explorer",
	"DuckDuckGo Mobile":          "DuckDuckGo Privacy Browser",
	"MiuiBrowser":                "MIUI Browser",
	"HuaweiBrowser":              "Huawei Browser",
	"Amazon Silk":                "Mobile Silk",
	"Yandex Browser Lite":        "Yandex Browser",
}

// mobileApps are uap-go families of web views and apps' own browsers:
// Plausible calls them all "Mobile App", without a version.
var mobileApps = map[string]bool{
	"Chrome Mobile WebView": true, "Facebook": true, "Facebook Messenger": true,
	"Instagram": true, "Google": true, "Snapchat": true, "Pinterest": true,
	"LinkedIn": true, "Twitter": true, "TikTok": true, "WeChat": true, "LINE": true,
}

// MobileApp is Plausible's browser name for in-app browsers.
const MobileApp = "Mobile App"

// plausibleBrowser returns Plausible's name and version for a uap-go
// browser family and its version.
func plausibleBrowser(family, version string) (string, string) {
	if mobileApps[family] {
		return MobileApp, ""
	}
	if n, ok := browserNames[family]; ok {
		return n, version
	}
	return family, version
}

// plausibleOS returns Plausible's name for a uap-go OS family; device and
// version tell an iPad's system (iPadOS since version 13) from an
// iPhone's.
func plausibleOS(family, version, device string) string {
	switch family {
	case "Mac OS X", "Mac OS":
		return "Mac"
	case "Linux":
		return "GNU/Linux"
	case "iOS":
		if device == "Tablet" && majorAtLeast(version, 13) {
			return "iPadOS"
		}
	}
	return family
}

func majorAtLeast(version string, n int) bool {
	major, _, _ := strings.Cut(version, ".")
	v, err := strconv.Atoi(major)
	return err == nil && v >= n
}
