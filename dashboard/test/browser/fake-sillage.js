#!/usr/bin/env node
// A stand-in for the sillage binary, for the dashboard's development and
// for checking the browser suite while the Go server's API is being built:
// the same command line (`serve`, `demo`), the same output, and the HTTP
// API of the contract the dashboard is built against (README.md), over
// events kept in memory. Its statistics are simple but honest (visitors,
// sessions, bounces and durations computed from the events), so tests can
// compare the dashboard with the API. It is not the server: never ship it.
//
//   node test/browser/fake-sillage.js serve --listen 127.0.0.1:8090 --data /tmp/x \
//        --bootstrap-site demo.example.fr --bootstrap-user admin@example.fr
//   node test/browser/fake-sillage.js demo --site demo.example.fr --events 20000 --days 30 --data /tmp/x
//
// SILLAGE_BIN=test/browser/fake-sillage.js npm run test:browser
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { crc32 } from 'node:zlib'

var here = fileURLToPath(new URL('.', import.meta.url))
var DIST = join(here, '../../dist')
var TRACKER = join(here, '../../../tracker-js/dist/script.js')
var CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
var DAY = 86400000

function flags(args) {
  var out = {}
  for (var i = 0; i < args.length; i++) {
    var m = /^--([\w-]+)(?:=(.*))?$/.exec(args[i])
    if (!m) continue
    out[m[1]] = m[2] !== undefined ? m[2] : args[i + 1] && !args[i + 1].startsWith('--') ? args[++i] : 'true'
  }
  return out
}

var [cmd, ...rest] = process.argv.slice(2)
var f = flags(rest)
if (!cmd || cmd === '--help' || cmd === 'help') {
  console.log('Usage: fake-sillage COMMAND\n\nCommands:\n  serve     serve the API and the dashboard\n  demo      add demo events to a site of a running server')
  process.exit(cmd ? 0 : 2)
}
if (cmd === 'demo') {
  var port = JSON.parse(readFileSync(join(f.data, 'fake.json'), 'utf8')).port
  var res = await fetch(`http://127.0.0.1:${port}/__fake/demo`, {
    method: 'POST',
    body: JSON.stringify({ site: f.site, events: Number(f.events || 20000), days: Number(f.days || 30) }),
  })
  console.log(await res.text())
  process.exit(res.ok ? 0 : 1)
}
if (cmd !== 'serve') {
  console.error(`fake-sillage: unknown command ${JSON.stringify(cmd)}`)
  process.exit(2)
}

// ---- State ----------------------------------------------------------------

var db = { users: [], sessions: new Map(), sites: [], events: [], goals: [], funnels: [], links: [], keys: [], members: [], ids: 1, visits: new Map() }
var id = () => db.ids++
var token = (n = 18) => randomBytes(n).toString('base64url')
var hashPw = pw => createHash('sha256').update('fake:' + pw).digest('hex')

function addSite(domain, timezone = 'Europe/Paris') {
  var s = { id: id(), domain, timezone, retention_days: 0 }
  db.sites.push(s)
  return s
}

if (f['bootstrap-site']) {
  addSite(f['bootstrap-site'])
  console.log(`Created site ${f['bootstrap-site']} (time zone Europe/Paris).`)
}
if (f['bootstrap-user']) {
  var pw = token(12)
  db.users.push({ id: id(), email: f['bootstrap-user'], password: hashPw(pw) })
  console.log(`Created account ${f['bootstrap-user']} with password ${pw} (shown once: keep it).`)
}

// ---- Events -----------------------------------------------------------------

var CHANNELS = { Google: 'Organic Search', Bing: 'Organic Search', DuckDuckGo: 'Organic Search', Facebook: 'Organic Social', Twitter: 'Organic Social', LinkedIn: 'Organic Social', 'Direct / None': 'Direct', Newsletter: 'Email', GitHub: 'Referral', 'news.example.org': 'Referral' }

function sourceOf(referrer, utm) {
  if (utm.utm_source) return utm.utm_source[0].toUpperCase() + utm.utm_source.slice(1)
  if (!referrer) return 'Direct / None'
  var host = ''
  try {
    host = new URL(referrer).hostname.replace(/^www\./, '')
  } catch {
    return 'Direct / None'
  }
  var known = { 'google.com': 'Google', 'google.fr': 'Google', 'bing.com': 'Bing', 'duckduckgo.com': 'DuckDuckGo', 'facebook.com': 'Facebook', 't.co': 'Twitter', 'linkedin.com': 'LinkedIn', 'github.com': 'GitHub' }
  return known[host] || host
}

function parseUA(ua = '') {
  var browser = /Firefox\/(\d+)/.exec(ua) ? ['Firefox', RegExp.$1] : /Edg\/(\d+)/.exec(ua) ? ['Edge', RegExp.$1] : /Chrome\/(\d+)/.exec(ua) ? ['Chrome', RegExp.$1] : /Version\/(\d+).*Safari/.exec(ua) ? ['Safari', RegExp.$1] : ['Unknown', '']
  var os = /Android (\d+)/.exec(ua) ? ['Android', RegExp.$1] : /iPhone OS (\d+)/.exec(ua) ? ['iOS', RegExp.$1] : /Windows NT ([\d.]+)/.exec(ua) ? ['Windows', RegExp.$1] : /Mac OS X (\d+)/.exec(ua) ? ['Mac', RegExp.$1] : /Linux/.test(ua) ? ['GNU/Linux', ''] : ['Unknown', '']
  return { browser: browser[0], browser_version: browser[1], os: os[0], os_version: os[1], device: /Mobile|Android|iPhone/.test(ua) ? 'Mobile' : /iPad|Tablet/.test(ua) ? 'Tablet' : 'Desktop' }
}

// An event from the tracker's payload, or from the demo generator.
function record(site, e) {
  var key = site + '|' + e.visitor
  var last = db.visits.get(key)
  var session = last && e.ts - last.ts < 30 * 60000 ? last.session : e.ts.toString(36) + ':' + key
  db.visits.set(key, { ts: e.ts, session })
  db.events.push({ site, session, ...e })
}

function ingest(body, req) {
  var p = typeof body === 'string' ? JSON.parse(body) : body
  var name = p.n || p.name
  var url = new URL(p.u || p.url)
  var domains = String(p.d || p.domain).split(',')
  var ua = req.headers['user-agent'] || ''
  var ip = req.socket.remoteAddress
  var day = new Date().toISOString().slice(0, 10)
  var utm = {}
  for (var k of ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content']) utm[k] = url.searchParams.get(k) || ''
  var referrer = p.r || p.referrer || ''
  var source = sourceOf(referrer, utm)
  var accepted = 0
  for (var d of domains) {
    if (!db.sites.some(s => s.domain === d)) continue
    record(d, {
      ts: Date.now(),
      name,
      path: url.pathname,
      hostname: url.hostname,
      visitor: createHash('sha256').update(day + d + ip + ua).digest('hex').slice(0, 16),
      referrer: referrer ? referrer.replace(/^https?:\/\//, '').replace(/\/$/, '') : '',
      source,
      channel: CHANNELS[source] || (referrer ? 'Referral' : 'Direct'),
      ...utm,
      country: '',
      region: '',
      city: '',
      ...parseUA(ua),
      props: p.p || p.props || {},
      revenue: p.$ || p.revenue || null,
      interactive: p.i !== false && p.interactive !== false,
      sd: p.sd,
      e: p.e,
    })
    accepted++
  }
  return accepted
}

// Deterministic demo traffic: sessions of a few pages, with sources,
// places, devices, custom events and revenue.
function demo(site, count, days) {
  var seed = 42
  var rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  var pick = list => {
    var total = list.reduce((a, x) => a + x[1], 0)
    var r = rnd() * total
    for (var x of list) if ((r -= x[1]) < 0) return x[0]
    return list[0][0]
  }
  var sources = [['Google', 40], ['Direct / None', 25], ['Facebook', 8], ['Twitter', 4], ['Newsletter', 8], ['Bing', 5], ['DuckDuckGo', 4], ['GitHub', 3], ['news.example.org', 3]]
  var places = [[['FR', 'Île-de-France', 'Paris'], 30], [['FR', 'Auvergne-Rhône-Alpes', 'Lyon'], 12], [['FR', 'Occitanie', 'Toulouse'], 6], [['BE', 'Brussels', 'Brussels'], 8], [['CH', 'Geneva', 'Geneva'], 6], [['CA', 'Quebec', 'Montreal'], 7], [['DE', 'Berlin', 'Berlin'], 8], [['US', 'California', 'San Francisco'], 9], [['GB', 'England', 'London'], 6], [['ES', 'Madrid', 'Madrid'], 4], [['IT', 'Lazio', 'Rome'], 3], [['JP', 'Tokyo', 'Tokyo'], 1]]
  var agents = [[{ browser: 'Chrome', browser_version: '126', os: 'Windows', os_version: '10', device: 'Desktop' }, 30], [{ browser: 'Firefox', browser_version: '127', os: 'GNU/Linux', os_version: '', device: 'Desktop' }, 10], [{ browser: 'Safari', browser_version: '17', os: 'Mac', os_version: '14', device: 'Desktop' }, 12], [{ browser: 'Safari', browser_version: '17', os: 'iOS', os_version: '17', device: 'Mobile' }, 22], [{ browser: 'Chrome', browser_version: '125', os: 'Android', os_version: '14', device: 'Mobile' }, 18], [{ browser: 'Edge', browser_version: '126', os: 'Windows', os_version: '11', device: 'Desktop' }, 5], [{ browser: 'Safari', browser_version: '16', os: 'iOS', os_version: '16', device: 'Tablet' }, 3]]
  var pages = [['/', 30], ['/pricing', 14], ['/blog/', 10], ['/blog/cookieless-analytics', 9], ['/blog/gdpr-checklist', 7], ['/about', 6], ['/contact', 5], ['/docs/', 8], ['/docs/install', 6], ['/signup', 5]]
  var now = Date.now()
  var start = now - days * DAY
  var made = 0
  var visitorN = 0
  while (made < count) {
    var v = 'demo' + visitorN++
    var ts = start + Math.floor(rnd() * (now - start - 3600000))
    var src = pick(sources)
    var [country, region, city] = pick(places)
    var agent = pick(agents)
    var utm = src === 'Newsletter' ? { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: pick([['spring', 2], ['launch', 1]]), utm_term: '', utm_content: '' } : src === 'Facebook' && rnd() < 0.5 ? { utm_source: 'facebook', utm_medium: 'cpc', utm_campaign: 'retargeting', utm_term: '', utm_content: '' } : { utm_source: '', utm_medium: '', utm_campaign: '', utm_term: '', utm_content: '' }
    var base = { source: utm.utm_source ? src : src, channel: CHANNELS[src], referrer: src === 'Direct / None' || src === 'Newsletter' ? '' : { Google: 'google.com', Bing: 'bing.com', DuckDuckGo: 'duckduckgo.com', Facebook: 'facebook.com', Twitter: 't.co', GitHub: 'github.com' }[src] || src, ...utm, country, region, city, ...agent, hostname: site, visitor: v }
    var n = 1 + Math.floor(-Math.log(1 - rnd()) * 1.6)
    for (var i = 0; i < n && made < count; i++) {
      var path = i === 0 ? pick(pages) : pick(pages)
      record(site, { ...base, ts, name: 'pageview', path, props: {}, revenue: null, interactive: true })
      made++
      if (rnd() < 0.5 && made < count) {
        record(site, { ...base, ts: ts + 5000, name: 'engagement', path, props: {}, revenue: null, interactive: false, sd: Math.floor(20 + rnd() * 80), e: Math.floor(5000 + rnd() * 90000) })
        made++
      }
      if (path === '/signup' && rnd() < 0.5 && made < count) {
        record(site, { ...base, ts: ts + 20000, name: 'Signup', path, props: { plan: pick([['Free', 5], ['Pro', 3], ['Team', 1]]) }, revenue: null, interactive: true })
        made++
        if (rnd() < 0.4 && made < count) {
          record(site, { ...base, ts: ts + 40000, name: 'Purchase', path: '/checkout', props: { plan: 'Pro' }, revenue: { amount: pick([[29, 3], [99, 1]]), currency: 'EUR' }, interactive: true })
          made++
        }
      }
      ts += Math.floor(10000 + rnd() * 120000)
    }
  }
  return made
}

// ---- Queries ----------------------------------------------------------------

var day = ts => new Date(ts).toISOString().slice(0, 10)
var dayMs = s => Date.parse(s + 'T00:00:00Z')
var monthStart = s => s.slice(0, 8) + '01'
function addMonths(s, n) {
  var d = new Date(dayMs(monthStart(s)))
  d.setUTCMonth(d.getUTCMonth() + n)
  return day(d.getTime())
}

class Bad extends Error {}

// [from, to] days (both included) of a date_range, in UTC days.
function range(dr, site) {
  var today = day(Date.now())
  if (Array.isArray(dr)) {
    if (dr.length !== 2 || !dr.every(x => /^\d{4}-\d{2}-\d{2}$/.test(x))) throw new Bad('date_range: expected ["YYYY-MM-DD", "YYYY-MM-DD"]')
    return dr
  }
  var back = n => day(Date.now() - n * DAY)
  switch (dr) {
    case 'day':
      return [today, today]
    case '7d':
      return [back(6), today]
    case '28d':
      return [back(27), today]
    case '30d':
      return [back(29), today]
    case '91d':
      return [back(90), today]
    case 'month':
      return [monthStart(today), today]
    case '6mo':
      return [addMonths(today, -5), today]
    case '12mo':
      return [addMonths(today, -11), today]
    case 'year':
      return [today.slice(0, 4) + '-01-01', today]
    case 'all': {
      var first = db.events.find(e => e.site === site)
      return [first ? day(Math.min(...db.events.filter(e => e.site === site).map(e => e.ts))) : today, today]
    }
  }
  throw new Bad('date_range: unknown ' + JSON.stringify(dr))
}

function shift([from, to], mode) {
  if (mode === 'year_over_year') return [String(Number(from.slice(0, 4)) - 1) + from.slice(4), String(Number(to.slice(0, 4)) - 1) + to.slice(4)]
  var n = Math.round((dayMs(to) - dayMs(from)) / DAY) + 1
  return [day(dayMs(from) - n * DAY), day(dayMs(from) - DAY)]
}

function goalsOf(site) {
  return db.goals.filter(g => g.site === site)
}
function goalName(g) {
  return g.display_name || g.event_name || 'Visit ' + g.page_path
}
function globMatch(pattern, path) {
  return new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*') + '$').test(path)
}
function goalHits(g, e) {
  return g.event_name ? e.name === g.event_name : e.name === 'pageview' && globMatch(g.page_path, e.path)
}

var SESSION_DIMS = ['entry_page', 'exit_page']
function value(e, dim, sessions, goals) {
  var [kind, name, extra] = dim.split(':')
  if (kind === 'event' && name === 'props') return e.props && extra in e.props ? String(e.props[extra]) : null
  if (kind === 'event' && name === 'goal') return goals.filter(g => goalHits(g, e)).map(goalName)
  if (kind === 'event' && name === 'page') return e.name === 'pageview' || e.name === 'engagement' ? e.path : null
  if (kind === 'event') return e[name] !== undefined ? e[name] : null
  if (SESSION_DIMS.includes(name)) return sessions.get(e.session)[name]
  return e[name] === undefined ? null : e[name]
}

function matches(op, v, values) {
  var list = Array.isArray(v) ? v : [v]
  var lower = values.map(x => String(x).toLowerCase())
  switch (op) {
    case 'is':
      return list.some(x => x !== null && values.includes(String(x)))
    case 'is_not':
      return !list.some(x => x !== null && values.includes(String(x)))
    case 'contains':
      return list.some(x => x !== null && lower.some(y => String(x).toLowerCase().includes(y)))
    case 'contains_not':
      return !list.some(x => x !== null && lower.some(y => String(x).toLowerCase().includes(y)))
  }
  throw new Bad('filter: unknown operator ' + op)
}

function bucket(ts, interval) {
  var d = new Date(ts)
  var s = d.toISOString()
  if (interval === 'hour') return s.slice(0, 10) + ' ' + s.slice(11, 13) + ':00:00'
  if (interval === 'day') return s.slice(0, 10)
  if (interval === 'month') return s.slice(0, 8) + '01'
  var dow = (d.getUTCDay() + 6) % 7
  return day(dayMs(s.slice(0, 10)) - dow * DAY)
}

function timeLabels([from, to], interval) {
  var out = []
  if (interval === 'hour') {
    for (var t = dayMs(from); t < dayMs(to) + DAY; t += 3600000) out.push(bucket(t, 'hour'))
    return out
  }
  var seen = new Set()
  for (var t = dayMs(from); t <= dayMs(to); t += DAY) {
    var b = bucket(t, interval)
    if (!seen.has(b)) seen.add(b), out.push(b)
  }
  return out
}

var METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'events', 'percentage', 'conversion_rate', 'total_revenue', 'average_revenue', 'scroll_depth', 'time_on_page']

// The events and sessions of one period, filtered.
function slice(site, [from, to], filters, goals) {
  var lo = dayMs(from)
  var hi = dayMs(to) + DAY
  var all = db.events.filter(e => e.site === site && e.ts >= lo && e.ts < hi)
  var sessions = new Map()
  for (var e of all) {
    var s = sessions.get(e.session)
    if (!s) sessions.set(e.session, (s = { first: e.ts, last: e.ts, pageviews: 0, interactive: 0, entry_page: null, exit_page: null }))
    s.first = Math.min(s.first, e.ts)
    s.last = Math.max(s.last, e.ts)
    if (e.name === 'pageview') {
      s.pageviews++
      if (s.entry_page === null) s.entry_page = e.path
      s.exit_page = e.path
    } else if (e.interactive) s.interactive++
  }
  var events = all
  for (var [op, dim, values] of filters || []) {
    if (!Array.isArray(values)) throw new Bad('filter: values must be a list')
    if (dim.startsWith('visit:')) {
      // A session matches when one of its events does.
      var ok = new Set(all.filter(e => matches(op, value(e, dim, sessions, goals), values)).map(e => e.session))
      events = events.filter(e => ok.has(e.session))
    } else {
      events = events.filter(e => matches(op, value(e, dim, sessions, goals), values))
    }
  }
  return { events, sessions, all }
}

function compute(metrics, events, sessions, ctx) {
  var visitors = new Set(events.map(e => e.visitor))
  var visitIds = new Set(events.map(e => e.session))
  var pageviews = events.filter(e => e.name === 'pageview').length
  var sess = [...visitIds].map(s => sessions.get(s))
  var bounces = sess.filter(s => s.pageviews <= 1 && !s.interactive).length
  var duration = sess.reduce((a, s) => a + (s.last - s.first) / 1000, 0)
  var engagements = events.filter(e => e.name === 'engagement')
  var revenue = events.filter(e => e.revenue && e.revenue.amount)
  return metrics.map(m => {
    switch (m) {
      case 'visitors':
        return visitors.size
      case 'visits':
        return visitIds.size
      case 'pageviews':
        return pageviews
      case 'views_per_visit':
        return visitIds.size ? Math.round((pageviews / visitIds.size) * 100) / 100 : 0
      case 'bounce_rate':
        return visitIds.size ? Math.round((bounces / visitIds.size) * 100) : 0
      case 'visit_duration':
        return visitIds.size ? Math.round(duration / visitIds.size) : 0
      case 'events':
        return events.filter(e => e.name !== 'engagement' && (ctx.goalDim ? true : e.name !== 'pageview')).length
      case 'percentage':
        return ctx.total ? Math.round((visitors.size / ctx.total) * 1000) / 10 : 0
      case 'conversion_rate':
        return ctx.base ? Math.round((visitors.size / ctx.base) * 1000) / 10 : 0
      case 'scroll_depth':
        return engagements.length ? Math.round(engagements.reduce((a, e) => a + (e.sd || 0), 0) / engagements.length) : null
      case 'time_on_page':
        return engagements.length ? Math.round(engagements.reduce((a, e) => a + (e.e || 0), 0) / engagements.length / 1000) : null
      case 'total_revenue':
      case 'average_revenue': {
        var sum = revenue.reduce((a, e) => a + Number(e.revenue.amount), 0)
        var v = m === 'total_revenue' ? sum : revenue.length ? sum / revenue.length : 0
        return { value: Math.round(v * 100) / 100, currency: ctx.currency || 'EUR' }
      }
    }
    throw new Bad('unknown metric ' + m)
  })
}

function runQuery(q, dr) {
  var goals = goalsOf(q.site_id)
  var dims = q.dimensions || []
  var { events, sessions, all } = slice(q.site_id, dr, q.filters, goals)
  var goalDim = dims.includes('event:goal')
  // Conversion rates are over every visitor of the period (with the
  // filters that are not on goals).
  var base = new Set(slice(q.site_id, dr, (q.filters || []).filter(f => f[1] !== 'event:goal'), goals).events.map(e => e.visitor)).size
  var total = new Set(events.map(e => e.visitor)).size
  var ctx = { base, total, goalDim, currency: (goals.find(g => g.currency) || {}).currency }
  if (!dims.length) return { rows: [{ dimensions: [], metrics: compute(q.metrics, events, sessions, ctx) }], events }
  var groups = new Map()
  for (var e of events) {
    if (e.name === 'engagement' && dims.some(d => d === 'visit:entry_page' || d === 'visit:exit_page' || d === 'event:goal')) continue
    var keys = [[]]
    for (var d of dims) {
      var v = d.startsWith('time:') ? bucket(e.ts, d.slice(5)) : value(e, d, sessions, goals)
      var vs = Array.isArray(v) ? v : [v]
      keys = keys.flatMap(k => vs.filter(x => x !== null && x !== undefined).map(x => k.concat(x)))
    }
    for (var k of keys) {
      var key = JSON.stringify(k)
      if (!groups.has(key)) groups.set(key, { dims: k, events: [] })
      groups.get(key).events.push(e)
    }
  }
  var rows = [...groups.values()].map(g => ({ dimensions: g.dims, metrics: compute(q.metrics, g.events, sessions, ctx) }))
  return { rows, events }
}

function query(q) {
  if (!q || typeof q !== 'object') throw new Bad('expected a JSON object')
  var site = db.sites.find(s => s.domain === q.site_id)
  if (!site) throw Object.assign(new Bad('site_id: no such site'), { status: 404 })
  if (!Array.isArray(q.metrics) || !q.metrics.length) throw new Bad('metrics: expected a non-empty list')
  for (var m of q.metrics) if (!METRICS.includes(m)) throw new Bad('metrics: unknown ' + m)
  if (q.metrics.some(m => m.endsWith('_revenue')) && !goalsOf(q.site_id).some(g => g.currency)) throw new Bad('revenue metrics need a goal with a currency')
  var dr = range(q.date_range, q.site_id)
  var { rows } = runQuery(q, dr)
  var dims = q.dimensions || []
  var timeDim = dims.findIndex(d => d.startsWith('time:'))
  var include = q.include || {}
  var meta = {}
  var labels = timeDim >= 0 ? timeLabels(dr, dims[timeDim].slice(5)) : null
  if (include.comparisons) {
    var cdr = shift(dr, include.comparisons.mode)
    var crows = runQuery(q, cdr).rows
    if (timeDim >= 0) {
      var clabels = timeLabels(cdr, dims[timeDim].slice(5))
      var byLabel = new Map(crows.map(r => [r.dimensions[timeDim], r]))
      for (var r of rows) {
        var i = labels.indexOf(r.dimensions[timeDim])
        var cl = clabels[i]
        var c = cl && byLabel.get(cl)
        r.comparison = { dimensions: [cl], metrics: c ? c.metrics : q.metrics.map(() => 0) }
      }
      meta.comparison_time_labels = clabels
    } else {
      var byKey = new Map(crows.map(r => [JSON.stringify(r.dimensions), r]))
      for (var r of rows) {
        var c = byKey.get(JSON.stringify(r.dimensions))
        var cm = c ? c.metrics : q.metrics.map(() => 0)
        r.comparison = { dimensions: r.dimensions, metrics: cm, change: r.metrics.map((v, i) => changeOf(q.metrics[i], v, cm[i])) }
      }
    }
  }
  var order = q.order_by || (timeDim >= 0 ? [[dims[timeDim], 'asc']] : [[q.metrics[0], 'desc']])
  rows.sort((a, b) => {
    for (var [k, dir] of order) {
      var i = q.metrics.indexOf(k)
      var x = i >= 0 ? num(a.metrics[i]) : a.dimensions[dims.indexOf(k)]
      var y = i >= 0 ? num(b.metrics[i]) : b.dimensions[dims.indexOf(k)]
      if (x < y) return dir === 'asc' ? -1 : 1
      if (x > y) return dir === 'asc' ? 1 : -1
    }
    return 0
  })
  if (include.total_rows) meta.total_rows = rows.length
  if (include.time_labels && labels) meta.time_labels = labels
  var page = q.pagination || { limit: 10000, offset: 0 }
  rows = rows.slice(page.offset || 0, (page.offset || 0) + (page.limit || 10000))
  return { results: rows, meta, query: { ...q, date_range: dr } }
}

var num = v => (v && typeof v === 'object' ? v.value : v)
function changeOf(metric, v, prev) {
  v = num(v)
  prev = num(prev)
  if (['bounce_rate', 'conversion_rate'].includes(metric)) return Math.round((v - prev) * 10) / 10
  return prev ? Math.round(((v - prev) / prev) * 1000) / 10 : null
}

function funnelReport(site, funnel, body) {
  var dr = range(body.date_range || '28d', site)
  var goals = goalsOf(site)
  var steps = funnel.steps.map(sid => goals.find(g => g.id === Number(sid)))
  var { events } = slice(site, dr, body.filters, goals)
  var byVisitor = new Map()
  for (var e of events) (byVisitor.get(e.visitor) || byVisitor.set(e.visitor, []).get(e.visitor)).push(e)
  var reached = steps.map(() => 0)
  for (var list of byVisitor.values()) {
    list.sort((a, b) => a.ts - b.ts)
    var at = 0
    var start = null
    for (var e of list) {
      if (at >= steps.length) break
      if (steps[at] && goalHits(steps[at], e) && (start === null || e.ts - start <= funnel.window_seconds * 1000)) {
        if (start === null) start = e.ts
        reached[at++]++
      }
    }
  }
  return {
    steps: steps.map((g, i) => ({
      name: g ? goalName(g) : '?',
      visitors: reached[i],
      conversion_rate: reached[0] ? Math.round((reached[i] / reached[0]) * 1000) / 10 : 0,
      dropoff: i ? reached[i - 1] - reached[i] : 0,
    })),
  }
}

// ---- Export -----------------------------------------------------------------

function zip(files) {
  var parts = []
  var central = []
  var offset = 0
  for (var [name, text] of Object.entries(files)) {
    var data = Buffer.from(text)
    var nameBuf = Buffer.from(name)
    var crc = crc32(data)
    var local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(nameBuf.length, 26)
    parts.push(local, nameBuf, data)
    var c = Buffer.alloc(46)
    c.writeUInt32LE(0x02014b50, 0)
    c.writeUInt16LE(20, 4)
    c.writeUInt16LE(20, 6)
    c.writeUInt32LE(crc, 16)
    c.writeUInt32LE(data.length, 20)
    c.writeUInt32LE(data.length, 24)
    c.writeUInt16LE(nameBuf.length, 28)
    c.writeUInt32LE(offset, 42)
    central.push(c, nameBuf)
    offset += 30 + nameBuf.length + data.length
  }
  var cd = Buffer.concat(central)
  var end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(Object.keys(files).length, 8)
  end.writeUInt16LE(Object.keys(files).length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, cd, end])
}

var SHORT = { page: 'event:page', goal: 'event:goal' }
function stateQuery(domain, search) {
  var p = new URLSearchParams(search)
  var today = day(Date.now())
  var period = p.get('period') || '28d'
  var dr = { custom: [p.get('from'), p.get('to')], yesterday: [day(Date.now() - DAY), day(Date.now() - DAY)], lastmonth: [addMonths(today, -1), day(dayMs(monthStart(today)) - DAY)], realtime: 'day' }[period] || period
  var filters = p.getAll('f').map(s => {
    var [op, dim, ...v] = s.split(',')
    dim = SHORT[dim] || (dim.startsWith('props:') ? 'event:' + dim : 'visit:' + dim)
    return [op, dim, v.join(',').split('|')]
  })
  return { site_id: domain, date_range: dr, filters }
}

function csv(rows) {
  return rows.map(r => r.map(x => (/[",\n]/.test(String(x)) ? '"' + String(x).replace(/"/g, '""') + '"' : x)).join(',')).join('\n') + '\n'
}

function exportZip(domain, search) {
  var base = stateQuery(domain, search)
  var files = {}
  var ts = query({ ...base, metrics: ['visitors', 'pageviews', 'visits'], dimensions: ['time:day'] })
  files['visitors.csv'] = csv([['date', 'visitors', 'pageviews', 'visits'], ...ts.results.map(r => [r.dimensions[0], ...r.metrics])])
  for (var [name, dim] of [['sources', 'visit:source'], ['pages', 'event:page'], ['countries', 'visit:country'], ['browsers', 'visit:browser']]) {
    var res = query({ ...base, metrics: ['visitors'], dimensions: [dim] })
    files[name + '.csv'] = csv([['name', 'visitors'], ...res.results.map(r => [r.dimensions[0], r.metrics[0]])])
  }
  return zip(files)
}

// ---- HTTP -------------------------------------------------------------------

function cookies(req) {
  var out = {}
  for (var c of (req.headers.cookie || '').split(/;\s*/)) {
    var i = c.indexOf('=')
    if (i > 0) out[c.slice(0, i)] = decodeURIComponent(c.slice(i + 1))
  }
  return out
}

var MIME = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.html': 'text/html; charset=utf-8' }

function send(res, status, body, headers = {}) {
  var json = typeof body !== 'string' && !Buffer.isBuffer(body)
  res.writeHead(status, { 'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers })
  res.end(json ? JSON.stringify(body) : body)
}

function readBody(req) {
  return new Promise((ok, fail) => {
    var chunks = []
    req.on('data', c => chunks.push(c))
    req.on('end', () => ok(Buffer.concat(chunks).toString()))
    req.on('error', fail)
  })
}

var routes = []
var route = (method, pattern, fn) => routes.push({ method, re: new RegExp('^' + pattern.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)') + '$'), fn })

function auth(req, { csrf = true } = {}) {
  var s = db.sessions.get(cookies(req).sillage_session)
  if (!s) return null
  if (csrf && req.method !== 'GET' && req.headers['x-csrf-token'] !== s.csrf) throw Object.assign(new Error('missing or wrong CSRF token'), { status: 403 })
  return db.users.find(u => u.id === s.user)
}

// The shared link a request comes with, when its password (if any) was given.
function sharedLink(req) {
  var slug = req.headers['x-shared-link']
  if (!slug) return null
  var link = db.links.find(l => l.slug === slug)
  if (!link) throw Object.assign(new Error('no such shared link'), { status: 404 })
  if (link.password && cookies(req)['sillage_share_' + slug] !== link.grant) throw Object.assign(new Error('password needed'), { status: 401 })
  return link
}

function site(domain) {
  var s = db.sites.find(s => s.domain === domain)
  if (!s) throw Object.assign(new Error('no such site'), { status: 404 })
  return s
}

// A user, or a shared link of that site, may read its statistics.
function reader(req, domain) {
  var link = sharedLink(req)
  if (link) {
    if (link.site !== domain) throw Object.assign(new Error('this link is for another site'), { status: 403 })
    return true
  }
  if (!auth(req)) throw Object.assign(new Error('not logged in'), { status: 401 })
  return true
}

function mustUser(req) {
  var u = auth(req)
  if (!u) throw Object.assign(new Error('not logged in'), { status: 401 })
  return u
}

route('GET', '/api/auth/setup', () => ({ needed: db.users.length === 0 }))
route('POST', '/api/auth/setup', (req, p, body) => {
  if (db.users.length) throw Object.assign(new Error('already set up'), { status: 409 })
  db.users.push({ id: id(), email: body.email, password: hashPw(body.password) })
  return { ok: true }
})
route('POST', '/api/auth/login', (req, p, body, res) => {
  var u = db.users.find(u => u.email === body.email && u.password === hashPw(body.password))
  if (!u) throw Object.assign(new Error('wrong email or password'), { status: 401 })
  var sid = token()
  var csrf = token()
  db.sessions.set(sid, { user: u.id, csrf })
  res.setHeader('Set-Cookie', `sillage_session=${sid}; Path=/; HttpOnly; SameSite=Lax`)
  return { user: { id: u.id, email: u.email }, csrf_token: csrf }
})
route('POST', '/api/auth/logout', (req, p, body, res) => {
  auth(req)
  db.sessions.delete(cookies(req).sillage_session)
  res.setHeader('Set-Cookie', 'sillage_session=; Path=/; Max-Age=0')
  return { ok: true }
})
route('GET', '/api/auth/me', req => {
  var u = mustUser(req)
  return { user: { id: u.id, email: u.email }, csrf_token: db.sessions.get(cookies(req).sillage_session).csrf }
})
route('POST', '/api/auth/password', (req, p, body) => {
  var u = mustUser(req)
  if (u.password !== hashPw(body.current)) throw Object.assign(new Error('wrong password'), { status: 403 })
  u.password = hashPw(body.new)
  return { ok: true }
})

var siteJSON = s => ({ id: s.id, domain: s.domain, timezone: s.timezone, retention_days: s.retention_days, role: 'owner' })
route('GET', '/api/sites', req => (mustUser(req), db.sites.map(siteJSON)))
route('POST', '/api/sites', (req, p, body) => {
  mustUser(req)
  if (db.sites.some(s => s.domain === body.domain)) throw Object.assign(new Error('site exists'), { status: 409 })
  return siteJSON(addSite(body.domain, body.timezone || 'UTC'))
})
route('GET', '/api/sites/{domain}', (req, p) => (mustUser(req), siteJSON(site(p.domain))))
route('PATCH', '/api/sites/{domain}', (req, p, body) => {
  mustUser(req)
  var s = site(p.domain)
  if (body.timezone) s.timezone = body.timezone
  if (body.retention_days !== undefined) s.retention_days = body.retention_days
  return siteJSON(s)
})
route('DELETE', '/api/sites/{domain}', (req, p) => {
  mustUser(req)
  site(p.domain)
  db.sites = db.sites.filter(s => s.domain !== p.domain)
  db.events = db.events.filter(e => e.site !== p.domain)
  return { ok: true }
})
route('POST', '/api/sites/{domain}/delete-data', (req, p, body) => {
  mustUser(req)
  site(p.domain)
  if (body.confirm !== p.domain) throw new Bad('confirm must be the domain')
  db.events = db.events.filter(e => e.site !== p.domain)
  return { ok: true }
})
route('GET', '/api/sites/{domain}/status', (req, p) => {
  mustUser(req)
  site(p.domain)
  var ev = db.events.filter(e => e.site === p.domain)
  return { has_events: ev.length > 0, last_event: ev.length ? new Date(Math.max(...ev.map(e => e.ts))).toISOString() : null }
})
route('GET', '/api/sites/{domain}/snippet', (req, p) => {
  mustUser(req)
  site(p.domain)
  var origin = 'http://' + req.headers.host
  return { snippet: `<script defer data-domain="${p.domain}" src="${origin}/js/script.js"></script>`, integrity: '' }
})
route('GET', '/api/sites/{domain}/export', (req, p, body, res, url) => {
  reader(req, p.domain)
  return { raw: exportZip(p.domain, url.search), type: 'application/zip', name: p.domain + '.zip' }
})

for (var [kind, list, key] of [
  ['members', 'members', 'email'],
  ['goals', 'goals', 'id'],
  ['funnels', 'funnels', 'id'],
  ['shared-links', 'links', 'id'],
]) {
  ;((kind, list, key) => {
    route('GET', `/api/sites/{domain}/${kind}`, (req, p) => {
      mustUser(req)
      site(p.domain)
      return db[list].filter(x => x.site === p.domain).map(({ site, password, grant, ...x }) => (kind === 'shared-links' ? { ...x, has_password: !!password } : x))
    })
    route('POST', `/api/sites/{domain}/${kind}`, (req, p, body) => {
      mustUser(req)
      site(p.domain)
      var item = { id: id(), site: p.domain, ...body }
      if (kind === 'shared-links') {
        item.slug = token(9)
        item.url = '/share/' + item.slug
        item.grant = token()
      }
      if (kind === 'goals' && !body.event_name && !body.page_path) throw new Bad('event_name or page_path is needed')
      db[list].push(item)
      var { site: _, password, grant, ...out } = item
      return out
    })
    route('DELETE', `/api/sites/{domain}/${kind}/{key}`, (req, p) => {
      mustUser(req)
      var before = db[list].length
      db[list] = db[list].filter(x => !(x.site === p.domain && String(x[key]) === decodeURIComponent(p.key)))
      if (db[list].length === before) throw Object.assign(new Error('not found'), { status: 404 })
      return { ok: true }
    })
  })(kind, list, key)
}
route('POST', '/api/sites/{domain}/funnels/{id}/report', (req, p, body) => {
  reader(req, p.domain)
  var funnel = db.funnels.find(x => x.site === p.domain && String(x.id) === p.id)
  if (!funnel) throw Object.assign(new Error('no such funnel'), { status: 404 })
  return funnelReport(p.domain, funnel, body)
})
route('POST', '/api/share/{slug}/auth', (req, p, body, res) => {
  var link = db.links.find(l => l.slug === p.slug)
  if (!link) throw Object.assign(new Error('no such link'), { status: 404 })
  if (link.password && body.password !== link.password) throw Object.assign(new Error('wrong password'), { status: 401 })
  res.setHeader('Set-Cookie', `sillage_share_${p.slug}=${link.grant}; Path=/; HttpOnly; SameSite=Lax`)
  var s = site(link.site)
  return { domain: s.domain, timezone: s.timezone }
})
route('GET', '/api/keys', req => (mustUser(req), db.keys.map(({ key, ...k }) => k)))
route('POST', '/api/keys', (req, p, body) => {
  mustUser(req)
  var k = { id: id(), name: body.name, sites: body.sites || [], key: 'sk_' + token(24), created_at: new Date().toISOString() }
  db.keys.push(k)
  return { id: k.id, key: k.key }
})
route('DELETE', '/api/keys/{id}', (req, p) => {
  mustUser(req)
  db.keys = db.keys.filter(k => String(k.id) !== p.id)
  return { ok: true }
})
route('POST', '/api/v2/query', (req, p, body) => {
  reader(req, body && body.site_id)
  return query(body)
})
route('GET', '/api/v1/stats/realtime/visitors', (req, p, body, res, url) => {
  var domain = url.searchParams.get('site_id')
  reader(req, domain)
  return new Set(db.events.filter(e => e.site === domain && e.ts > Date.now() - 5 * 60000).map(e => e.visitor)).size
})

var server = createServer(async (req, res) => {
  var url = new URL(req.url, 'http://' + req.headers.host)
  var path = url.pathname
  try {
    if (path === '/api/event') {
      var cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Allow-Methods': 'POST' }
      if (req.method === 'OPTIONS') return send(res, 204, '', cors)
      var n = ingest(await readBody(req), req)
      return send(res, n ? 202 : 400, n ? 'ok' : 'no such site', cors)
    }
    if (path === '/__fake/demo' && req.method === 'POST') {
      var b = JSON.parse(await readBody(req))
      site(b.site)
      return send(res, 200, `Added ${demo(b.site, b.events, b.days)} demo events to ${b.site}.`)
    }
    if (path === '/js/script.js') return send(res, 200, readFileSync(TRACKER), { 'Content-Type': 'text/javascript', 'Access-Control-Allow-Origin': '*' })
    if (path.startsWith('/api/')) {
      for (var r of routes) {
        var m = r.method === req.method && r.re.exec(path)
        if (!m) continue
        var text = req.method === 'GET' ? '' : await readBody(req)
        var body
        try {
          body = text ? JSON.parse(text) : {}
        } catch {
          throw new Bad('the body is not JSON')
        }
        var out = await r.fn(req, m.groups || {}, body, res, url)
        if (out && out.raw) return send(res, 200, out.raw, { 'Content-Type': out.type, 'Content-Disposition': `attachment; filename="${out.name}"` })
        return send(res, 200, out)
      }
      return send(res, 404, { error: 'no such endpoint' })
    }
    if (path.startsWith('/assets/')) {
      var file = join(DIST, path)
      if (!file.startsWith(DIST) || !existsSync(file)) return send(res, 404, 'not found')
      return send(res, 200, readFileSync(file), { 'Content-Type': MIME[extname(file)] || 'application/octet-stream', 'Cache-Control': 'public, max-age=31536000, immutable' })
    }
    return send(res, 200, readFileSync(join(DIST, 'index.html')), { 'Content-Type': MIME['.html'], 'Content-Security-Policy': CSP })
  } catch (e) {
    var status = e instanceof Bad ? 400 : e.status || 500
    if (status === 500) console.error(e)
    if (!res.headersSent) send(res, status, { error: e.message })
  }
})

var [host, port] = (f.listen || '127.0.0.1:8090').split(':')
server.listen(Number(port), host, () => {
  if (f.data) {
    mkdirSync(f.data, { recursive: true })
    writeFileSync(join(f.data, 'fake.json'), JSON.stringify({ port: server.address().port }))
  }
  console.error(`fake-sillage listening on http://${host}:${server.address().port}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
process.on('SIGINT', () => server.close(() => process.exit(0)))
