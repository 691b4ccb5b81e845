// Numbers, durations, dates and money for the reader's language, with Intl.
// Formatters are costly to make: they are kept per language and options.

var cache = new Map()
function nf(lang, opts) {
  var key = lang + JSON.stringify(opts)
  var f = cache.get(key)
  if (!f) cache.set(key, (f = new Intl.NumberFormat(lang, opts)))
  return f
}

// 1234 -> '1.2k' (en) / '1,2 k' (fr); small numbers as they are.
export function formatCompact(n, lang) {
  n = Number(n) || 0
  if (Math.abs(n) < 10000) return nf(lang, { maximumFractionDigits: 1 }).format(n)
  return nf(lang, { notation: 'compact', maximumFractionDigits: 1 }).format(n)
}

export function formatNumber(n, lang, digits = 2) {
  return nf(lang, { maximumFractionDigits: digits }).format(Number(n) || 0)
}

// p is in per cent: 45.2 -> '45.2%' (en) / '45,2 %' (fr).
export function formatPercent(p, lang) {
  return nf(lang, { style: 'percent', maximumFractionDigits: 1 }).format((Number(p) || 0) / 100)
}

// Seconds as hours, minutes and seconds: '1h 2m', '3m 5s', '45s'
// (en, narrow units) / '1 h 2 min', '3 min 5 s', '45 s' (fr, short units:
// French spaces its units).
export function formatDuration(seconds, lang) {
  var s = Math.max(0, Math.round(Number(seconds) || 0))
  var h = Math.floor(s / 3600)
  var m = Math.floor((s % 3600) / 60)
  var sec = s % 60
  var unit = (v, u) => nf(lang, { style: 'unit', unit: u, unitDisplay: lang === 'fr' ? 'short' : 'narrow' }).format(v)
  if (h) return unit(h, 'hour') + (m ? ' ' + unit(m, 'minute') : '')
  if (m) return unit(m, 'minute') + (sec ? ' ' + unit(sec, 'second') : '')
  return unit(sec, 'second')
}

// Revenue comes as a number or as {value, currency}.
export function formatMoney(v, lang, currency) {
  if (v && typeof v === 'object') {
    currency = v.currency || currency
    v = v.value
  }
  v = Number(v) || 0
  if (!currency) return formatNumber(v, lang)
  try {
    return nf(lang, { style: 'currency', currency, maximumFractionDigits: 2 }).format(v)
  } catch {
    return formatNumber(v, lang) + ' ' + currency
  }
}

export function formatMetric(metric, v, lang, { compact = true } = {}) {
  if (v === null || v === undefined) return '–'
  switch (metric) {
    case 'bounce_rate':
    case 'conversion_rate':
    case 'exit_rate':
    case 'group_conversion_rate':
    case 'percentage':
    case 'scroll_depth':
      return formatPercent(v, lang)
    case 'visit_duration':
    case 'time_on_page':
      return formatDuration(v, lang)
    case 'views_per_visit':
      return formatNumber(v, lang, 2)
    case 'total_revenue':
    case 'average_revenue':
      return formatMoney(v, lang)
    default:
      return compact ? formatCompact(v, lang) : formatNumber(v, lang, 0)
  }
}

// A change as a signed number: '+12%', '−3%' in per cent, or in points for
// rates ('+2.5 pts' is left to the caller's label); with arrow, its
// direction is the arrow alone: '↓ 3%' (one sign, not two).
export function formatChange(c, lang, points, arrow) {
  if (c === null || c === undefined) return '–'
  var n = arrow
    ? (c > 0 ? '↑ ' : c < 0 ? '↓ ' : '') + nf(lang, { maximumFractionDigits: 1 }).format(Math.abs(c))
    : nf(lang, { maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(c)
  // French puts a narrow no-break space before %, which keeps them on one line.
  return points ? n : n + (lang === 'fr' ? '\u202f%' : '%')
}

var dfCache = new Map()
function df(lang, opts) {
  var key = lang + JSON.stringify(opts)
  var f = dfCache.get(key)
  if (!f) dfCache.set(key, (f = new Intl.DateTimeFormat(lang, { timeZone: 'UTC', ...opts })))
  return f
}

// A time label of the Stats API ('2024-03-05', '2024-03-05 14:00:00') for
// the graph's axis and tooltip, at the interval's precision. Labels are
// read as wall-clock times: they are already in the site's time zone.
export function formatLabel(label, interval, lang, long) {
  var [day, time = '00:00:00'] = String(label).split(/[ T]/)
  var [y, m, d] = day.split('-').map(Number)
  var [hh] = time.split(':').map(Number)
  var date = new Date(Date.UTC(y, m - 1, d || 1, hh || 0))
  if (isNaN(date)) return String(label)
  switch (interval) {
    case 'hour':
      return long ? df(lang, { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric' }).format(date) : df(lang, { hour: 'numeric' }).format(date)
    case 'month':
      return df(lang, { month: long ? 'long' : 'short', year: 'numeric' }).format(date)
    default:
      return long ? df(lang, { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric' }).format(date) : df(lang, { day: 'numeric', month: 'short' }).format(date)
  }
}

// '2024-03-05' -> '5 Mar 2024' / '5 mars 2024'.
export function formatDay(day, lang) {
  var [y, m, d] = day.split('-').map(Number)
  return df(lang, { day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(Date.UTC(y, m - 1, d)))
}

// A date and time from the server (ISO 8601), in the reader's zone.
export function formatDateTime(iso, lang) {
  var d = new Date(iso)
  if (isNaN(d)) return String(iso || '')
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d)
}

// A country's name from its ISO 3166-1 alpha-2 code, in the reader's
// language; the code itself when Intl does not know it.
var regionNames = new Map()
export function countryName(code, lang) {
  if (!/^[A-Za-z]{2}$/.test(code || '')) return String(code || '')
  var names = regionNames.get(lang)
  if (!names) regionNames.set(lang, (names = new Intl.DisplayNames([lang], { type: 'region' })))
  try {
    return names.of(code.toUpperCase()) || code
  } catch {
    return code
  }
}

// Codes Intl names that no visitor's country has: withdrawn ones (East
// Germany, Burma, Zaire…) and groupings (European Union, United Nations).
var NOT_COUNTRIES = ['AN', 'BU', 'CS', 'DD', 'EU', 'EZ', 'FX', 'NT', 'QO', 'SU', 'TP', 'UN', 'YD', 'YU', 'ZR', 'ZZ']

// The alpha-2 code of a country typed by its code or its name in the
// reader's language (a whole name first, then a part of one); null when
// none matches.
export function countryCodeOf(text, lang) {
  var v = String(text || '').trim()
  if (/^[A-Za-z]{2}$/.test(v)) return v.toUpperCase()
  var want = v.toLowerCase()
  if (!want) return null
  var part = null
  for (var a = 65; a < 91; a++) {
    for (var b = 65; b < 91; b++) {
      var code = String.fromCharCode(a, b)
      var name = countryName(code, lang)
      if (name === code || NOT_COUNTRIES.includes(code)) continue
      if (name.toLowerCase() === want) return code
      if (!part && name.toLowerCase().includes(want)) part = code
    }
  }
  return part
}

// The flag emoji of an alpha-2 code: two regional indicator symbols.
export function flag(code) {
  if (!/^[A-Za-z]{2}$/.test(code || '')) return ''
  return String.fromCodePoint(...[...code.toUpperCase()].map(c => 0x1f1a5 + c.charCodeAt(0)))
}
