// Stats API v2 queries (POST /api/v2/query) built from the dashboard's
// state, and the filters a click adds or a chip removes.

import { resolvePeriod } from './dates.js'
import { GOAL_METRICS, TOP_METRICS } from './dims.js'
import { copyFilter, serializeState } from './state.js'

// A top-level goal filter (conversions); a goal inside has_done picks the
// visitors, it does not count conversions.
export function hasGoalFilter(filters) {
  return filters.some(f => f[1] === 'event:goal')
}

// The dashboard's filters as the Stats API v2 takes them: copied, a
// segment's id as a number.
export function apiFilters(filters) {
  return filters.map(f => {
    f = copyFilter(f)
    if (f[1] === 'segment') f[2] = f[2].map(v => (/^\d{1,15}$/.test(v) ? Number(v) : v))
    return f
  })
}

// Whether the filters pick events (a page, a name, a property, a host),
// in or-groups too, so that pageviews are the matching events only;
// has_done and has_not_done pick visitors and do not count (as the Stats
// API reads it).
export function filtersOnEvents(filters) {
  return filters.some(f => (f[0] === 'or' ? filtersOnEvents(f[1]) : typeof f[1] === 'string' && f[1].startsWith('event:')))
}

// The top stats: six visit metrics, or conversions when a goal is chosen.
// Views per visit counts the whole visits' pageviews: beside pageviews of
// the matching events only it would contradict them (0 pageviews, 2 views
// per visit), so event filters leave it out (the Stats API refuses it
// under a page filter).
export function topMetrics(filters) {
  if (hasGoalFilter(filters)) return GOAL_METRICS
  return filtersOnEvents(filters) ? TOP_METRICS.filter(m => m !== 'views_per_visit') : TOP_METRICS
}

// The metric the graph draws: the one chosen if it is among the top stats.
export function graphMetric(state) {
  var m = topMetrics(state.filters)
  return m.includes(state.metric) ? state.metric : m[0]
}

function base(site, state, today) {
  var r = resolvePeriod(state, today)
  var q = { site_id: site, metrics: [], date_range: r.dateRange }
  if (state.filters.length) q.filters = apiFilters(state.filters)
  // Imported history joins the numbers wherever the query allows.
  if (state.imports !== 'off') q.include = { imports: true }
  return q
}

function withComparison(q, state) {
  if (state.compare && state.period !== 'realtime') {
    var c = { mode: state.compare }
    if (state.compare === 'custom') c.date_range = [state.compare_from, state.compare_to]
    q.include = { ...q.include, comparisons: c }
  }
  return q
}

export function topStatsQuery(site, state, today) {
  var q = base(site, state, today)
  q.metrics = topMetrics(state.filters).slice()
  return withComparison(q, state)
}

export function timeseriesQuery(site, state, today) {
  var q = base(site, state, today)
  var r = resolvePeriod(state, today)
  q.metrics = [graphMetric(state)]
  q.dimensions = ['time:' + r.interval]
  q.include = { ...q.include, time_labels: true }
  return withComparison(q, state)
}

// A breakdown by one dimension: the panels' short lists (limit 9) and the
// details lists (sorted, searched, paged).
export function breakdownQuery(site, state, today, { dimension, metrics, limit = 9, offset = 0, orderBy, search, filters = [] }) {
  var q = base(site, state, today)
  q.metrics = metrics.slice()
  q.dimensions = [dimension]
  var extra = filters.slice()
  if (search) extra.push(['contains', dimension, [search]])
  if (extra.length) q.filters = (q.filters || []).concat(extra)
  q.order_by = [orderBy || [metrics[0], 'desc']]
  q.pagination = { limit, offset }
  if (offset || search || orderBy) q.include = { ...q.include, total_rows: true }
  return q
}

// The filters of a funnel report: a funnel counts visits, so a filter on
// events (a goal, a page, a property) keeps the visits that did it, as
// has_done; visit filters, has_done filters and segments stay as they are.
export function funnelFilters(filters) {
  var one = f => (typeof f[1] === 'string' && f[1].startsWith('event:') ? ['has_done', f] : f)
  return apiFilters(filters).map(f => (f[0] === 'or' ? ['or', f[1].map(one)] : one(f)))
}

// The filters once a row's value is clicked: it replaces any condition on
// the same dimension (or-groups and has_done filters stay).
export function withFilter(filters, dim, value, op = 'is') {
  return filters.filter(f => f[1] !== dim).concat([[op, dim, [String(value)]]])
}

export function withoutFilter(filters, index) {
  return filters.filter((_, i) => i !== index)
}

// The value of an 'is' filter with a single value on dim, else null: a
// chosen browser shows its versions.
export function chosen(filters, dim) {
  var f = filters.find(f => f[1] === dim && f[0] === 'is' && f[2].length === 1)
  return f ? f[2][0] : null
}

// The CSV export: the site's export endpoint with the view's query string
// and, as `query`, the same view as a Stats API query ({date_range,
// filters}), which is what the server reads.
export function exportPath(site, state, today) {
  var qs = serializeState(state, { omit: ['lang', 'metric'] })
  var q = { date_range: resolvePeriod(state, today).dateRange }
  if (state.filters.length) q.filters = apiFilters(state.filters)
  qs += (qs ? '&' : '') + 'query=' + encodeURIComponent(JSON.stringify(q))
  return '/api/sites/' + encodeURIComponent(site) + '/export?' + qs
}

// Rows of a time-series answer laid on the time labels: one value per
// label (0 where the server sent no row) and, with a comparison, the
// comparison's value at the same place (null where unknown).
export function seriesFromResults(res, labels) {
  var byLabel = new Map()
  for (var row of res.results || []) byLabel.set(String(row.dimensions[0]), row)
  labels = labels && labels.length ? labels : (res.results || []).map(r => String(r.dimensions[0]))
  var values = []
  var compared = []
  var comparedLabels = []
  var hasComparison = false
  for (var label of labels) {
    var r = byLabel.get(label)
    values.push(r ? num(r.metrics[0]) : 0)
    if (r && r.comparison) {
      hasComparison = true
      compared.push(num(r.comparison.metrics[0]))
      comparedLabels.push(r.comparison.dimensions ? String(r.comparison.dimensions[0]) : null)
    } else {
      compared.push(null)
      comparedLabels.push(null)
    }
  }
  return { labels, values, compared: hasComparison ? compared : null, comparedLabels }
}

// A metric's number, whatever the shape: revenue may come as an object.
export function num(v) {
  if (v && typeof v === 'object') v = v.value
  v = Number(v)
  return Number.isFinite(v) ? v : 0
}

// The change from prev to cur: in points for rates, in per cent otherwise
// (null when there was nothing before).
export function change(metric, cur, prev, rate) {
  cur = num(cur)
  prev = num(prev)
  if (rate) return Math.round((cur - prev) * 10) / 10
  if (prev === 0) return cur === 0 ? 0 : null
  return Math.round(((cur - prev) / prev) * 1000) / 10
}
