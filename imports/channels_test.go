package imports

import (
	"context"
	"testing"

	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// FillChannels gives rows without a channel the collector's channel of
// their source and tags, keeps the channel a file gave, and for every
// site at once (rows imported before the column existed).
func TestFillChannels(t *testing.T) {
	ctx := context.Background()
	e := storetest.Migrated(t)
	if err := e.Exec(ctx, `INSERT INTO imported_sources (site_id, import_id, date, source, channel, utm_source, utm_medium, utm_campaign) VALUES
		(1, 1, '2023-01-01', 'Google', '', '', '', ''),
		(1, 1, '2023-01-01', 'Facebook', '', 'facebook', 'cpc', 'soldes'),
		(1, 1, '2023-01-01', 'Newsletter', 'Email', '', '', ''),
		(2, 2, '2023-01-01', '', '', '', '', '')`, nil); err != nil {
		t.Fatal(err)
	}
	if err := FillChannels(ctx, e, 0); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := store.QueryRow(ctx, e, "SELECT arrayStringConcat(groupArray(concat(toString(site_id), ':', source, '=', channel)), ',') FROM (SELECT * FROM imported_sources ORDER BY site_id, source)",
		nil, &got); err != nil {
		t.Fatal(err)
	}
	if want := "1:Facebook=Paid Social,1:Google=Organic Search,1:Newsletter=Email,2:=Direct"; got != want {
		t.Fatalf("channels %q, want %q", got, want)
	}
}

// Sources imported by the release before migration 18 read back with a
// channel once the next one has started.
func TestChannelsOfAnEarlierRelease(t *testing.T) {
	ctx := context.Background()
	e := storetest.Embedded(t)
	m, err := migrations.New(ctx, e, migrations.Target{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	if err := m.Down(1); err != nil {
		t.Fatal(err)
	}
	if err := e.Exec(ctx, `INSERT INTO imported_sources (site_id, import_id, date, source, utm_source, utm_medium, utm_campaign, visitors)
		VALUES (3, 9, '2023-01-01', 'Qwant', '', '', '', 4)`, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	if err := FillChannels(ctx, e, 0); err != nil {
		t.Fatal(err)
	}
	var channel string
	var visitors uint64
	if err := store.QueryRow(ctx, e, "SELECT channel, visitors FROM imported_sources WHERE site_id = 3", nil, &channel, &visitors); err != nil ||
		channel != "Organic Search" || visitors != 4 {
		t.Fatalf("the earlier release's row: channel %q, %d visitors, err %v", channel, visitors, err)
	}
}
