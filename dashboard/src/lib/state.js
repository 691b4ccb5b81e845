// The dashboard's whole state lives in the URL's query string, so a view
// can be bookmarked and shared:
//
//   ?period=custom&from=2024-03-01&to=2024-03-31&interval=week
//    &compare=previous_period&metric=bounce_rate
//    (or &compare=custom&compare_from=2023-03-01&compare_to=2023-03-31)
//    &f=is,source,Google|Bing&f=contains,page,/blog&prop=plan&lang=fr
//
// Every key is optional; a default is left out of the URL. A filter is
// `operator,dimension,value|value…` with the dimension's short name (see
// dims.js); a `\` escapes a `,`, `|`, `;` or `\` inside a value; or-groups
// and has_done filters are written as encodeFilter says.

import { DEFAULT_PERIOD, INTERVALS, PERIODS, isDay } from './dates.js'
import { longDim, shortDim, TOP_METRICS, GOAL_METRICS } from './dims.js'

// The conditions a filter puts on a dimension's values.
export var OPERATORS = ['is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not']
// A filter wrapping one condition on events: the visitors who have (not)
// done it, as the Stats API's has_done / has_not_done.
export var DONE = ['has_done', 'has_not_done']
export var COMPARISONS = ['previous_period', 'year_over_year', 'custom']
export var LANGS = ['en', 'fr']

export var DEFAULT_STATE = {
  period: DEFAULT_PERIOD,
  from: '',
  to: '',
  interval: '',
  compare: '',
  compare_from: '', // the range of a custom comparison
  compare_to: '',
  metric: 'visitors',
  filters: [],
  prop: '',
  lang: '',
  imports: '', // 'off' leaves imported data out (it is in by default, as in Plausible)
}

// ';' separates the members of an or-group: it is escaped too, so a
// value may hold it anywhere (an older URL's bare ';' still reads the same
// outside of a group).
function escapeValue(v) {
  return String(v).replace(/[\\,|;]/g, '\\$&')
}

// Splits s on sep outside of backslash escapes, unescaping the parts.
function splitEscaped(s, sep) {
  var parts = ['']
  for (var i = 0; i < s.length; i++) {
    var c = s[i]
    if (c === '\\' && i + 1 < s.length) parts[parts.length - 1] += s[++i]
    else if (c === sep) parts.push('')
    else parts[parts.length - 1] += c
  }
  return parts
}

// Splits s on sep outside of backslash escapes, keeping the escapes: the
// parts are decoded again (an or-group's members).
function splitRaw(s, sep) {
  var parts = ['']
  for (var i = 0; i < s.length; i++) {
    var c = s[i]
    if (c === '\\' && i + 1 < s.length) parts[parts.length - 1] += c + s[++i]
    else if (c === sep) parts.push('')
    else parts[parts.length - 1] += c
  }
  return parts
}

// A filter in the URL, the Stats API v2's own shapes in a short text:
//   ['is', 'visit:source', ['Google', 'Bing']]      is,source,Google|Bing
//   ['has_done', ['is', 'event:goal', ['Signup']]]  has_done,is,goal,Signup
//   ['or', [['is', 'visit:source', ['Google']],
//           ['is', 'visit:utm_campaign', ['spring']]]]
//                                  or,is,source,Google;is,utm_campaign,spring
// A custom property's name may hold a ',' too: it is escaped like a value.
export function encodeFilter(f) {
  if (f[0] === 'or') return 'or,' + f[1].map(encodeFilter).join(';')
  if (DONE.includes(f[0])) return f[0] + ',' + encodeFilter(f[1])
  var [op, dim, values] = f
  return op + ',' + escapeValue(shortDim(dim)) + ',' + values.map(escapeValue).join('|')
}

// The reverse of encodeFilter; null for a malformed filter. An or-group
// holds conditions and has_done filters, has_done one condition on events.
export function decodeFilter(s, depth = 0) {
  var first = s.indexOf(',')
  if (first < 0) return null
  var op = s.slice(0, first)
  var rest = s.slice(first + 1)
  if (op === 'or') {
    if (depth) return null
    var members = splitRaw(rest, ';').map(m => decodeFilter(m, 1))
    return members.length > 1 && members.every(m => m) ? ['or', members] : null
  }
  if (DONE.includes(op)) {
    if (depth > 1) return null
    var inner = decodeFilter(rest, 2)
    return inner && inner[1].startsWith('event:') ? [op, inner] : null
  }
  // The dimension ends at the first ',' that no '\' escapes.
  var end = 0
  while (end < rest.length && rest[end] !== ',') end += rest[end] === '\\' ? 2 : 1
  if (end >= rest.length) return null
  var dim = longDim(splitEscaped(rest.slice(0, end), ',')[0])
  if (!OPERATORS.includes(op) || !dim) return null
  var values = splitEscaped(rest.slice(end + 1), '|')
  if (values.length === 1 && values[0] === '') return null
  return [op, dim, values]
}

// A filter as the Stats API takes it, copied (the state stays as it is).
export function copyFilter(f) {
  if (f[0] === 'or') return ['or', f[1].map(copyFilter)]
  if (DONE.includes(f[0])) return [f[0], copyFilter(f[1])]
  return [f[0], f[1], f[2].slice()]
}

export function parseState(search) {
  var q = new URLSearchParams(search)
  var s = { ...DEFAULT_STATE, filters: [] }
  var p = q.get('period')
  if (PERIODS.some(x => x.id === p)) s.period = p
  if (isDay(q.get('from'))) s.from = q.get('from')
  if (isDay(q.get('to'))) s.to = q.get('to')
  if (s.period === 'custom' && !(s.from && s.to && s.from <= s.to)) {
    s.period = DEFAULT_PERIOD
    s.from = s.to = ''
  }
  if (s.period !== 'custom') s.from = s.to = ''
  if (INTERVALS.includes(q.get('interval'))) s.interval = q.get('interval')
  if (COMPARISONS.includes(q.get('compare'))) s.compare = q.get('compare')
  if (s.compare === 'custom') {
    var cf = q.get('compare_from')
    var ct = q.get('compare_to')
    if (isDay(cf) && isDay(ct) && cf <= ct) {
      s.compare_from = cf
      s.compare_to = ct
    } else s.compare = ''
  }
  var m = q.get('metric')
  if (TOP_METRICS.includes(m) || GOAL_METRICS.includes(m)) s.metric = m
  for (var f of q.getAll('f')) {
    var filter = decodeFilter(f)
    if (filter) s.filters.push(filter)
  }
  var prop = q.get('prop')
  if (prop && prop.length <= 300 && prop.trim() === prop) s.prop = prop
  if (LANGS.includes(q.get('lang'))) s.lang = q.get('lang')
  if (q.get('imports') === 'off') s.imports = 'off'
  return s
}

// URLSearchParams would write every ',', ':', '|' and '/' as %XX; these
// stay readable, and parse back the same.
function enc(v) {
  return encodeURIComponent(v).replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%7C/g, '|').replace(/%2F/g, '/')
}

// The query string of a state, without '?', keys in a fixed order and
// defaults left out; '' for the default state.
export function serializeState(state, { omit = [] } = {}) {
  var out = []
  var add = (k, v) => {
    if (v && v !== DEFAULT_STATE[k] && !omit.includes(k)) out.push(k + '=' + enc(v))
  }
  add('period', state.period)
  if (state.period === 'custom') {
    add('from', state.from)
    add('to', state.to)
  }
  add('interval', state.interval)
  add('compare', state.compare)
  if (state.compare === 'custom') {
    add('compare_from', state.compare_from)
    add('compare_to', state.compare_to)
  }
  add('metric', state.metric)
  if (!omit.includes('f')) for (var f of state.filters || []) out.push('f=' + enc(encodeFilter(f)))
  add('prop', state.prop)
  add('lang', state.lang)
  add('imports', state.imports)
  return out.join('&')
}

// A state with some keys changed. Changing the period drops a custom range
// and an interval the new period may not have.
export function updateState(state, change) {
  var next = { ...state, ...change }
  if ('period' in change && change.period !== 'custom') {
    next.from = next.to = ''
  }
  if ('period' in change && !('interval' in change)) next.interval = ''
  if (next.compare !== 'custom') next.compare_from = next.compare_to = ''
  return next
}
