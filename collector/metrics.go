package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sillage-analytics/sillage/collector/session"
)

type metrics struct {
	requests       *prometheus.CounterVec
	accepted       prometheus.Counter
	stored         prometheus.Counter
	dropped        *prometheus.CounterVec
	invalid        *prometheus.CounterVec
	rejected       *prometheus.CounterVec
	revenueDropped *prometheus.CounterVec
	insertErrors   prometheus.Counter
	insertSeconds  prometheus.Histogram
	latency        prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, c *Collector) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sillage_event_requests_total", Help: "POST /api/event requests by status code.",
		}, []string{"code"}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sillage_events_accepted_total", Help: "Events made durable in the write-ahead log (one per site).",
		}),
		stored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sillage_events_stored_total", Help: "Events inserted into the store.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sillage_events_dropped_total", Help: "Events answered 202 but not kept, by reason.",
		}, []string{"reason"}),
		invalid: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sillage_events_invalid_total", Help: "Events refused with a 4xx, by the field at fault.",
		}, []string{"field"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sillage_events_rejected_total", Help: "Events refused with a 503, by reason.",
		}, []string{"reason"}),
		revenueDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sillage_revenue_dropped_total", Help: "Events kept without their invalid revenue, by the field at fault.",
		}, []string{"field"}),
		insertErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sillage_store_insert_errors_total", Help: "Failed batch inserts (retried).",
		}),
		insertSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sillage_store_insert_seconds", Help: "Duration of successful batch inserts.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sillage_event_request_seconds", Help: "Duration of POST /api/event, write-ahead log included.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
	}
	reg.MustRegister(m.requests, m.accepted, m.stored, m.dropped, m.invalid, m.rejected, m.revenueDropped,
		m.insertErrors, m.insertSeconds, m.latency,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sillage_live_sessions", Help: "Sessions in memory (those idle for 30 minutes leave within a minute).",
		}, func() float64 { return float64(c.tracker.Stats().Sessions) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sillage_live_session_bytes", Help: "Memory charged for the live sessions against --session-max-bytes.",
		}, func() float64 { return float64(c.tracker.Stats().Bytes) }),
		sessionsEvicted(c, "budget", session.EvictedBudget),
		sessionsEvicted(c, "network_cap", session.EvictedNetwork),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sillage_wal_pending_bytes", Help: "Bytes of accepted events not yet in the store.",
		}, func() float64 { return float64(c.wal.Size()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sillage_wal_pending_events", Help: "Accepted events not yet in the store.",
		}, func() float64 { return float64(c.pending()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "sillage_useragent_cache_hits_total", Help: "User-agent lookups answered from the cache.",
		}, func() float64 { h, _ := c.ua.Stats(); return float64(h) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "sillage_useragent_cache_misses_total", Help: "User-agent lookups that ran the parser.",
		}, func() float64 { _, m := c.ua.Stats(); return float64(m) }),
	)
	return m
}

// sessionsEvicted counts the sessions ended before their 30 minutes for one
// reason: the byte budget (--session-max-bytes) or the cap per client
// network (--session-network-cap).
func sessionsEvicted(c *Collector, reason string, i int) prometheus.CounterFunc {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "sillage_sessions_evicted_total",
		Help:        "Live sessions ended before their time to bound memory, by reason (budget, network_cap).",
		ConstLabels: prometheus.Labels{"reason": reason},
	}, func() float64 { return float64(c.tracker.Stats().Evicted[i]) })
}
