package main

import (
	"context"
	"log/slog"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/internal/mail"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/reports"
	"github.com/sillage-analytics/sillage/store"
)

// reportsPart is the query service's email reports and traffic alerts:
// built with the query handler, its scheduler run by serve and query.
type reportsPart struct {
	reports *reports.Service
}

// buildReports makes the reports service. Without an SMTP server it keeps
// settings and sends nothing (the dashboard says reports need SMTP).
func (p *reportsPart) buildReports(eng store.Engine, acc *accounts.Service, box *mail.Outbox, publicURL string, se *stats.Engine, log *slog.Logger) *reports.Service {
	p.reports = &reports.Service{Engine: eng, Accounts: acc, PublicURL: publicURL, Stats: se, Logger: log}
	if box != nil && box.Configured() {
		p.reports.Sender = box
	}
	if p.reports.Sender != nil && publicURL == "" {
		log.Warn("no --public-url: email reports and alerts are off, their links need the dashboard's address")
	}
	return p.reports
}

// runReports starts the scheduler; stop ends it and waits.
func (p *reportsPart) runReports(ctx context.Context) (stop func()) {
	if p.reports == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { reports.NewScheduler(p.reports).Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}
