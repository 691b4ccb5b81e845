package imports

import (
	"context"
	"fmt"

	"github.com/sillage-analytics/sillage/collector/enrich"
	"github.com/sillage-analytics/sillage/store"
)

// maxChannelKeys bounds the source and UTM combinations one FillChannels
// reads; a site with more gets the rest at its next call.
const maxChannelKeys = 100_000

// FillChannels gives the imported sources without a channel (Plausible's
// format and GA4's reports carry none; rows imported before migration 18)
// the channel the collector gives their source and UTM tags, so that the
// channels report takes them. siteID 0 fills every site's. It waits until
// the rows are rewritten, on every replica.
func FillChannels(ctx context.Context, e store.Engine, siteID uint32) error {
	where := "channel = ''"
	params := store.Params{}
	if siteID != 0 {
		where += " AND site_id = {site:UInt32}"
		params["site"] = siteID
	}
	rows, err := e.Query(ctx, "SELECT DISTINCT source, utm_source, utm_medium, utm_campaign FROM imported_sources WHERE "+where+
		" LIMIT "+fmt.Sprint(maxChannelKeys), params)
	if err != nil {
		return fmt.Errorf("imports: sources without a channel: %w", err)
	}
	var keys, channels []string
	for rows.Next() {
		var source, utmSource, utmMedium, utmCampaign string
		if err := rows.Scan(&source, &utmSource, &utmMedium, &utmCampaign); err != nil {
			rows.Close()
			return fmt.Errorf("imports: sources without a channel: %w", err)
		}
		keys = append(keys, channelKey(source, utmSource, utmMedium, utmCampaign))
		channels = append(channels, enrich.Channel(enrich.ChannelInput{Source: source, UTMSource: utmSource, UTMMedium: utmMedium, UTMCampaign: utmCampaign}))
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("imports: sources without a channel: %w", err)
	}
	if len(keys) == 0 {
		return nil
	}
	params["keys"], params["channels"] = keys, channels
	err = e.Exec(ctx, "ALTER TABLE imported_sources UPDATE channel = transform(concat(source, '\\x1f', utm_source, '\\x1f', utm_medium, '\\x1f', utm_campaign), "+
		"{keys:Array(String)}, {channels:Array(String)}, '') WHERE "+where+" SETTINGS mutations_sync = 2", params)
	if err != nil {
		return fmt.Errorf("imports: fill the channels of imported sources: %w", err)
	}
	return nil
}

func channelKey(source, utmSource, utmMedium, utmCampaign string) string {
	return source + "\x1f" + utmSource + "\x1f" + utmMedium + "\x1f" + utmCampaign
}
