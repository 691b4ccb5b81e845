package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/sillage-analytics/sillage/internal/admin"
	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
	"github.com/sillage-analytics/sillage/store/server"
)

// engineFlags are shared by every subcommand that touches data.
type engineFlags struct {
	data           string
	clickhouseURL  string
	clickhouseWait time.Duration
	chdbLib        string
	cluster        string
	statsConns     int // the embedded engine's stats lane; 0 for its default
}

func (e *engineFlags) register(f *flags) {
	f.stringVar(&e.data, "data", "SILLAGE_DATA", "./data", "data folder of the embedded engine (and of the write-ahead log)")
	f.stringVar(&e.clickhouseURL, "clickhouse-url", "SILLAGE_CLICKHOUSE_URL", "",
		"use a ClickHouse server instead of the embedded engine, e.g. clickhouse://user:pass@host:9000/sillage")
	f.durationVar(&e.clickhouseWait, "clickhouse-wait", "SILLAGE_CLICKHOUSE_WAIT", 20*time.Second,
		"how long to retry an unreachable ClickHouse server at start")
	f.stringVar(&e.chdbLib, "chdb-lib", "SILLAGE_CHDB_LIB", "", "path of libchdb.so for the embedded engine (default: searched beside the binary and in tools/chdb)")
	f.stringVar(&e.cluster, "cluster", "SILLAGE_CLUSTER", "", "ClickHouse cluster name: migrations create replicated tables ON CLUSTER")
}

func (e *engineFlags) embedded() bool { return e.clickhouseURL == "" }

func (e *engineFlags) open(ctx context.Context, log *slog.Logger) (store.Engine, error) {
	if !e.embedded() {
		return server.Open(ctx, server.Config{URL: e.clickhouseURL, WaitFor: e.clickhouseWait, Logger: log})
	}
	if st, err := os.Stat(e.data); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("data folder %s is not a folder", e.data)
	}
	return embedded.Open(ctx, embedded.Config{Dir: e.data, LibPath: e.chdbLib, StatsConns: e.statsConns})
}

func (e *engineFlags) migrator(ctx context.Context, eng store.Engine, log *slog.Logger) (*migrations.Migrator, error) {
	return migrations.New(ctx, eng, migrations.Target{Cluster: e.cluster}, log)
}

// ops returns the admin operations: the running server's, over its socket,
// when one holds the embedded data folder; otherwise the store's directly.
// The returned function releases what was opened.
func (e *engineFlags) ops(ctx context.Context, log *slog.Logger) (admin.Ops, string, func(), error) {
	if e.embedded() {
		sock := admin.SocketPath(e.data)
		if c, err := admin.Dial(sock); err == nil {
			return c, "the running server (" + sock + ")", func() {}, nil
		}
	}
	eng, err := e.open(ctx, log)
	if errors.Is(err, embedded.ErrLocked) {
		return nil, "", nil, fmt.Errorf("%w, and its admin socket %s does not answer", err, admin.SocketPath(e.data))
	}
	if err != nil {
		return nil, "", nil, err
	}
	m, err := e.migrator(ctx, eng, log)
	if err == nil {
		err = m.Up()
	}
	if err != nil {
		eng.Close()
		return nil, "", nil, err
	}
	where := "the data folder " + e.data
	if !e.embedded() {
		where = "the ClickHouse server"
	}
	return newOps(eng, e.cluster), where, func() { eng.Close() }, nil
}
