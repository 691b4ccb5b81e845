package collector

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/collector/enrich"
	"github.com/sillage-analytics/sillage/collector/event"
	"github.com/sillage-analytics/sillage/collector/internal/visitor"
	"github.com/sillage-analytics/sillage/collector/internal/wal"
	"github.com/sillage-analytics/sillage/collector/session"
	"github.com/sillage-analytics/sillage/internal/clientip"
	"github.com/sillage-analytics/sillage/internal/httperr"
)

// DroppedHeader tells a client why an event was answered 202 but not kept
// (as Plausible's x-plausible-dropped does), so a site owner can debug
// without a retry storm from bots.
const DroppedHeader = "X-Sillage-Dropped"

// Handle serves the collector's routes and reports whether path was one.
func (c *Collector) Handle(ctx *fasthttp.RequestCtx) bool {
	path := ctx.Path()
	switch {
	case string(path) == "/api/event":
		c.serveEvent(ctx)
	case isScript(path):
		c.script.serve(ctx)
	default:
		return false
	}
	return true
}

// isScript: every path under /js/ is the collector's, so that a name it
// does not serve answers 404, never the dashboard's page.
func isScript(path []byte) bool { return bytes.HasPrefix(path, []byte("/js/")) }

// IsRoute reports whether path is one of the collector's routes.
func IsRoute(path []byte) bool { return string(path) == "/api/event" || isScript(path) }

// ServeStarting answers a request to the collector's routes that came
// before the collector exists (the listener opens first, so health checks
// answer while migrations run and sessions are restored): 503 with
// Retry-After, which a client retries, where a 404 would lose the event.
func ServeStarting(ctx *fasthttp.RequestCtx) {
	// Readable by the tracker's cross-origin request, Retry-After included
	// (the tracker waits that long before it sends the event again).
	ctx.Response.Header.Set("Access-Control-Allow-Origin", "*")
	ctx.Response.Header.Set("Access-Control-Expose-Headers", "Retry-After")
	ctx.Response.Header.Set("Retry-After", "5")
	jsonError(ctx, fasthttp.StatusServiceUnavailable, "server", "starting, retry later")
}

func (c *Collector) serveEvent(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	h.Set("Access-Control-Allow-Origin", "*")
	// Without it, a cross-origin script cannot read the Retry-After of a
	// 503 and falls back to its own backoff.
	h.Set("Access-Control-Expose-Headers", "Retry-After")
	switch {
	case ctx.IsOptions():
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type")
		h.Set("Access-Control-Max-Age", "86400")
		ctx.SetStatusCode(fasthttp.StatusNoContent)
		return
	case !ctx.IsPost():
		h.Set("Allow", "POST, OPTIONS")
		jsonError(ctx, fasthttp.StatusMethodNotAllowed, "method", "use POST")
		return
	}
	start := time.Now()
	status := c.ingest(ctx)
	c.metrics.requests.WithLabelValues(strconv.Itoa(status)).Inc()
	c.metrics.latency.Observe(time.Since(start).Seconds())
}

// ServeTooLarge answers an event whose body the HTTP server refused before
// any handler read it, over bound bytes, as the parser's own check answers
// one over its limit. c may be nil: the collector is not built yet.
func (c *Collector) ServeTooLarge(ctx *fasthttp.RequestCtx, bound int) {
	if c != nil {
		c.metrics.invalid.WithLabelValues("body").Inc()
	}
	ctx.Response.Header.Set("Access-Control-Allow-Origin", "*")
	ctx.Response.Header.Set("Access-Control-Expose-Headers", "Retry-After")
	fieldError(ctx, fasthttp.StatusRequestEntityTooLarge, event.TooLarge(bound))
}

// jsonError answers the error of one field of the event ("server" when the
// fault is the collector's) and returns the status sent.
func jsonError(ctx *fasthttp.RequestCtx, status int, field, reason string) int {
	httperr.WriteFast(ctx, status, httperr.Body{Error: field + ": " + reason, Field: field})
	return status
}

// fieldError answers a refused event as Plausible does:
// {"errors": {field: [message]}}, with Plausible's field names (event_name,
// request for the body as a whole) and its messages where it has one, so
// that clients written for Plausible read it.
func fieldError(ctx *fasthttp.RequestCtx, status int, fe *event.FieldError) int {
	field, reason := fe.Field, fe.Reason
	switch field {
	case "body":
		field = "request"
		if !errors.Is(fe, event.ErrBodyTooLarge) {
			reason = "Unable to parse request body as json"
		}
	case "name":
		field = "event_name"
	}
	switch {
	case reason == "required" && field == "url":
		reason = "is required"
	case reason == "required":
		reason = "can't be blank"
	case strings.HasPrefix(reason, "longer than ") && strings.HasSuffix(reason, " bytes") && field != "props":
		reason = "should be at most " + strings.TrimSuffix(strings.TrimPrefix(reason, "longer than "), " bytes") + " byte(s)"
	}
	httperr.WriteFastFields(ctx, status, httperr.Fields{field: {reason}})
	return status
}

func accepted(ctx *fasthttp.RequestCtx, dropped string) int {
	if dropped != "" {
		ctx.Response.Header.Set(DroppedHeader, dropped)
		// What Plausible's clients look for: the number of events dropped.
		ctx.Response.Header.Set("X-Plausible-Dropped", "1")
	}
	ctx.SetStatusCode(fasthttp.StatusAccepted)
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString("ok")
	return fasthttp.StatusAccepted
}

// ingest runs the pipeline for one request and returns the status sent.
func (c *Collector) ingest(ctx *fasthttp.RequestCtx) int {
	p, err := event.Parse(ctx.PostBody(), c.cfg.Limits)
	if err != nil {
		var fe *event.FieldError
		if errors.As(err, &fe) {
			c.metrics.invalid.WithLabelValues(fe.Field).Inc()
			status := fasthttp.StatusBadRequest
			if errors.Is(err, event.ErrBodyTooLarge) {
				status = fasthttp.StatusRequestEntityTooLarge
			}
			return fieldError(ctx, status, fe)
		}
		c.metrics.invalid.WithLabelValues("body").Inc()
		return fieldError(ctx, fasthttp.StatusBadRequest, &event.FieldError{Field: "body", Reason: err.Error()})
	}
	if p.RevenueInvalid != "" {
		c.metrics.revenueDropped.WithLabelValues(p.RevenueInvalid).Inc()
	}
	host, path, query, err := enrich.ParseURL(p.URL, p.HashMode, c.cfg.URL)
	if err != nil {
		c.metrics.invalid.WithLabelValues("url").Inc()
		return fieldError(ctx, fasthttp.StatusBadRequest, &event.FieldError{Field: "url", Reason: "must be an absolute http(s) URL with a host"})
	}

	ua := string(ctx.Request.Header.UserAgent())
	if reason := enrich.BotReason(ua); reason != "" {
		c.metrics.dropped.WithLabelValues("bot_" + reason).Inc()
		return accepted(ctx, "bot")
	}
	agent := c.ua.Parse(ua)
	if agent.Spider {
		c.metrics.dropped.WithLabelValues("bot_spider").Inc()
		return accepted(ctx, "bot")
	}

	// Before the site lookup, as in Plausible: spam never costs a read of
	// the site list.
	if enrich.IsReferrerSpam(p.Referrer) {
		c.metrics.dropped.WithLabelValues("referrer_spam").Inc()
		return accepted(ctx, "referrer-spam")
	}

	var sites []sillage.Site
	var lookupErr error
	for _, d := range p.Domains {
		s, ok, err := c.sites.lookup(c.base, d)
		if ok {
			sites = append(sites, s)
		} else if err != nil {
			lookupErr = err
		}
	}
	if len(sites) == 0 {
		if !c.sites.loaded() {
			// The store has not given the site list yet: the domain may be a
			// registered one, so refuse rather than drop it.
			c.metrics.rejected.WithLabelValues("no_site_list").Inc()
			ctx.Response.Header.Set("Retry-After", "10")
			return jsonError(ctx, fasthttp.StatusServiceUnavailable, "server", "the list of sites is not loaded yet, retry later")
		}
		if lookupErr != nil {
			// The store could not say whether the domain is registered (a
			// site added a moment ago may be): refuse rather than drop. The
			// failed read is logged once, by the cache.
			c.metrics.rejected.WithLabelValues("site_lookup").Inc()
			ctx.Response.Header.Set("Retry-After", "10")
			return jsonError(ctx, fasthttp.StatusServiceUnavailable, "server", "cannot read the list of sites now, retry later")
		}
		c.metrics.dropped.WithLabelValues("unknown_domain").Inc()
		return accepted(ctx, "unknown-domain")
	}

	ip := clientip.FromFastHTTP(ctx, c.cfg.TrustedProxies)
	now := c.cfg.Now().UTC()
	today, yesterday := c.salts.Current(ctx)

	// Everything derived from the request, computed once for all sites.
	var attrs *session.Attrs
	newAttrs := func() *session.Attrs {
		if attrs != nil {
			return attrs
		}
		attrs = c.sessionAttrs(&p, host, query, agent, ip)
		return attrs
	}

	ipText := ip.String()
	network := c.tracker.Network(ip)
	var recs [][]byte
	for _, site := range sites {
		vid := visitor.ID(today, site.ID, ipText, ua)
		// Near midnight, a visit that began yesterday keeps yesterday's id.
		if yesterday != nil {
			if old := visitor.ID(yesterday, site.ID, ipText, ua); c.tracker.Active(site.ID, old, now) {
				vid = old
			}
		}
		extend := !p.IsEngagement()
		s, ok := c.tracker.Touch(site.ID, vid, network, now, extend, newAttrs)
		if !ok {
			continue // an engagement event without a live session
		}
		e := buildEvent(&p, site, now, vid, s, host, path)
		recs = append(recs, encodeEvent(make([]byte, 0, 256), &e))
	}
	if len(recs) == 0 {
		c.metrics.dropped.WithLabelValues("no_session").Inc()
		return accepted(ctx, "no-session")
	}

	// fasthttp's request context is not one of the standard library's: a
	// timeout derived from it would start a goroutine per request to watch
	// it. Only the timeout matters here.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := c.wal.Append(actx, recs...); err != nil {
		if errors.Is(err, wal.ErrFull) {
			c.metrics.rejected.WithLabelValues("wal_full").Inc()
			ctx.Response.Header.Set("Retry-After", "60")
			return jsonError(ctx, fasthttp.StatusServiceUnavailable, "server", "storage budget for pending events exhausted, retry later")
		}
		c.metrics.rejected.WithLabelValues("wal_error").Inc()
		c.log.Error("write-ahead log append failed", "error", err)
		ctx.Response.Header.Set("Retry-After", "10")
		return jsonError(ctx, fasthttp.StatusServiceUnavailable, "server", "cannot store the event now, retry later")
	}
	c.metrics.accepted.Add(float64(len(recs)))
	c.kick()
	return accepted(ctx, "")
}
