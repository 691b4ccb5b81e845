package main

import (
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/sillage-analytics/sillage/collector"
	"github.com/sillage-analytics/sillage/collector/enrich"
	"github.com/sillage-analytics/sillage/collector/event"
	"github.com/sillage-analytics/sillage/collector/geo"
)

type collectorFlags struct {
	walDir        string
	walMaxBytes   int64
	walAck        string
	batchSize     int
	flushInterval time.Duration
	maxBodyBytes  int
	geoIPDB       string
	keepQuery     bool
	keepSlash     bool
}

func (c *collectorFlags) register(f *flags) {
	f.stringVar(&c.walDir, "wal-dir", "SILLAGE_WAL_DIR", "", "folder of the write-ahead log of accepted events (default DATA/collector)")
	f.int64Var(&c.walMaxBytes, "wal-max-bytes", "SILLAGE_WAL_MAX_BYTES", 1<<30,
		"disk budget for events not yet in the store; past it, events get 503 with Retry-After")
	f.stringVar(&c.walAck, "wal-ack", "SILLAGE_WAL_ACK", "fsync",
		"when to answer 202: 'fsync' (the event is on disk) or 'write' (handed to the operating system, fsync'ed a few ms later: survives a crash of sillage, not a power cut)")
	f.intVar(&c.batchSize, "batch-size", "SILLAGE_BATCH_SIZE", 10_000, "events per insert into the store")
	f.durationVar(&c.flushInterval, "flush-interval", "SILLAGE_FLUSH_INTERVAL", time.Second, "longest wait before accepted events are inserted")
	f.intVar(&c.maxBodyBytes, "max-event-bytes", "SILLAGE_MAX_EVENT_BYTES", event.DefaultMaxBodyBytes, "largest accepted event body")
	f.stringVar(&c.geoIPDB, "geoip-db", "SILLAGE_GEOIP_DB", "", "MMDB city database for countries, regions and cities (e.g. GeoLite2-City.mmdb)")
	f.boolVar(&c.keepQuery, "keep-query", "SILLAGE_KEEP_QUERY", false, "keep page URLs' query strings (UTM and click ids are read either way)")
	f.boolVar(&c.keepSlash, "keep-trailing-slash", "SILLAGE_KEEP_TRAILING_SLASH", false, "count /page/ and /page as different pages")
}

func (c *collectorFlags) config(log *slog.Logger, data string, proxies []netip.Prefix) (collector.Config, error) {
	if c.walAck != "fsync" && c.walAck != "write" {
		return collector.Config{}, fmt.Errorf("--wal-ack must be fsync or write, not %q", c.walAck)
	}
	cfg := collector.Config{
		Dir:            c.walDir,
		WALMaxBytes:    c.walMaxBytes,
		WALAckOnWrite:  c.walAck == "write",
		BatchSize:      c.batchSize,
		FlushInterval:  c.flushInterval,
		Limits:         event.Limits{MaxBodyBytes: c.maxBodyBytes},
		TrustedProxies: proxies,
		URL:            enrich.URLOptions{KeepQuery: c.keepQuery, KeepTrailingSlash: c.keepSlash},
		Logger:         log,
	}
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(data, "collector")
	}
	if c.geoIPDB != "" {
		db, err := geo.Open(c.geoIPDB)
		if err != nil {
			return collector.Config{}, err
		}
		cfg.GeoIP = db
	} else {
		log.Info("no --geoip-db: countries, regions and cities stay empty")
	}
	return cfg, nil
}
