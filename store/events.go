package store

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sillage-analytics/sillage"
)

// EventColumns are the columns InsertEvents writes, in order.
const EventColumns = "site_id, ts, name, visitor_id, session_id, session_start, hostname, pathname, referrer, " +
	"referrer_source, channel, utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id_param, " +
	"country_code, region, city, city_geoname_id, browser, browser_version, os, os_version, device, props, " +
	"revenue_amount, revenue_currency, interactive, scroll_depth, engagement_ms, retention_days"

// AppendEventJSON appends e as one JSONEachRow line with EventColumns' keys.
// Hand-written because it is the embedded engine's insert hot path.
func AppendEventJSON(b []byte, e *sillage.Event) []byte {
	b = append(b, `{"site_id":`...)
	b = strconv.AppendUint(b, uint64(e.SiteID), 10)
	b = appendTime(append(b, `,"ts":`...), e.Timestamp)
	b = appendString(append(b, `,"name":`...), e.Name)
	b = strconv.AppendUint(append(b, `,"visitor_id":`...), e.VisitorID, 10)
	b = strconv.AppendUint(append(b, `,"session_id":`...), e.SessionID, 10)
	b = appendTime(append(b, `,"session_start":`...), e.SessionStart)
	for _, f := range [...]struct{ k, v string }{
		{`,"hostname":`, e.Hostname}, {`,"pathname":`, e.Pathname}, {`,"referrer":`, e.Referrer},
		{`,"referrer_source":`, e.ReferrerSource}, {`,"channel":`, e.Channel},
		{`,"utm_source":`, e.UTMSource}, {`,"utm_medium":`, e.UTMMedium}, {`,"utm_campaign":`, e.UTMCampaign},
		{`,"utm_term":`, e.UTMTerm}, {`,"utm_content":`, e.UTMContent}, {`,"click_id_param":`, e.ClickIDParam},
		{`,"country_code":`, e.CountryCode}, {`,"region":`, e.Region}, {`,"city":`, e.City},
	} {
		b = appendString(append(b, f.k...), f.v)
	}
	b = strconv.AppendUint(append(b, `,"city_geoname_id":`...), uint64(e.CityGeonameID), 10)
	for _, f := range [...]struct{ k, v string }{
		{`,"browser":`, e.Browser}, {`,"browser_version":`, e.BrowserVersion},
		{`,"os":`, e.OS}, {`,"os_version":`, e.OSVersion}, {`,"device":`, e.Device},
	} {
		b = appendString(append(b, f.k...), f.v)
	}
	b = append(b, `,"props":{`...)
	first := true
	for k, v := range e.Props {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(appendString(b, k), ':')
		b = appendString(b, v)
	}
	b = append(b, '}')
	b = append(b, `,"revenue_amount":`...)
	b = appendMilli(b, e.RevenueMilli)
	b = appendString(append(b, `,"revenue_currency":`...), e.RevenueCurrency)
	b = strconv.AppendBool(append(b, `,"interactive":`...), e.Interactive)
	b = strconv.AppendUint(append(b, `,"scroll_depth":`...), uint64(e.ScrollDepth), 10)
	b = strconv.AppendUint(append(b, `,"engagement_ms":`...), uint64(e.EngagementMS), 10)
	b = strconv.AppendUint(append(b, `,"retention_days":`...), uint64(e.RetentionDays), 10)
	return append(b, "}\n"...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, "2006-01-02 15:04:05.000")
	return append(b, '"')
}

// appendMilli writes thousandths as a decimal string with three places.
func appendMilli(b []byte, milli int64) []byte {
	b = append(b, '"')
	if milli < 0 {
		b = append(b, '-')
		milli = -milli
	}
	b = strconv.AppendInt(b, milli/1000, 10)
	frac := milli % 1000
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	return append(b, '"')
}

const hex = "0123456789abcdef"

// appendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
