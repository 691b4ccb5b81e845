// Calendar dates as 'YYYY-MM-DD' strings. Arithmetic goes through UTC
// midnight, so no daylight-saving change ever moves a day. "Today" is the
// site's today, in the site's time zone.

export function parseDay(s) {
  var [y, m, d] = s.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d))
}

export function formatDay(date) {
  return date.toISOString().slice(0, 10)
}

export function isDay(s) {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && formatDay(parseDay(s)) === s
}

export function addDays(day, n) {
  var d = parseDay(day)
  d.setUTCDate(d.getUTCDate() + n)
  return formatDay(d)
}

export function startOfMonth(day) {
  return day.slice(0, 8) + '01'
}

export function endOfMonth(day) {
  var d = parseDay(startOfMonth(day))
  d.setUTCMonth(d.getUTCMonth() + 1)
  d.setUTCDate(0)
  return formatDay(d)
}

// The first day of the month n months away from day's month.
export function addMonths(day, n) {
  var d = parseDay(startOfMonth(day))
  d.setUTCMonth(d.getUTCMonth() + n)
  return formatDay(d)
}

// Days from a to b, both counted: daysIn('2024-01-01', '2024-01-01') is 1.
export function daysIn(a, b) {
  return Math.round((parseDay(b) - parseDay(a)) / 86400000) + 1
}

// Today in time zone tz ('Europe/Paris'); the browser's zone when tz is
// empty or unknown to Intl.
export function todayIn(tz, now = new Date()) {
  var parts
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: tz || undefined,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).formatToParts(now)
  } catch {
    return todayIn('', now)
  }
  var get = type => parts.find(p => p.type === type).value
  return get('year') + '-' + get('month') + '-' + get('day')
}

// The periods of the date menu, in menu order, with their keyboard
// shortcut. `range` is the Stats API's date_range for the fixed ones.
export var PERIODS = [
  { id: 'realtime', key: 'r', range: 'day' },
  { id: 'day', key: 'd', range: 'day' },
  { id: 'yesterday', key: 'e' },
  { id: '7d', key: 'w', range: '7d' },
  { id: '28d', key: 't', range: '28d' },
  { id: '30d', key: 'o', range: '30d' },
  { id: 'month', key: 'm', range: 'month' },
  { id: 'lastmonth', key: 'n' },
  { id: 'year', key: 'y', range: 'year' },
  { id: '12mo', key: 'l', range: '12mo' },
  { id: '6mo', range: '6mo', hidden: true },
  { id: 'all', key: 'a', range: 'all' },
  { id: 'custom', key: 'c' },
]

export var DEFAULT_PERIOD = '28d'

export function period(id) {
  return PERIODS.find(p => p.id === id)
}

export var INTERVALS = ['hour', 'day', 'week', 'month']

// What a period means on the day `today`: the Stats API date_range, the
// intervals the graph may use and the default one. {from, to} are the
// calendar bounds when the client knows them (the server decides those of
// the relative ranges).
export function resolvePeriod(state, today) {
  var id = state.period
  var p = period(id)
  if (!p || (id === 'custom' && !(isDay(state.from) && isDay(state.to) && state.from <= state.to))) {
    id = DEFAULT_PERIOD
    p = period(id)
  }
  var from
  var to
  var intervals
  switch (id) {
    case 'realtime':
    case 'day':
      from = to = today
      intervals = ['hour']
      break
    case 'yesterday':
      from = to = addDays(today, -1)
      intervals = ['hour']
      break
    case '7d':
      intervals = ['hour', 'day']
      break
    case '28d':
    case '30d':
      intervals = ['day', 'week']
      break
    case 'month':
      from = startOfMonth(today)
      to = today
      intervals = ['day', 'week']
      break
    case 'lastmonth':
      from = addMonths(today, -1)
      to = endOfMonth(from)
      intervals = ['day', 'week']
      break
    case 'year':
      from = today.slice(0, 4) + '-01-01'
      to = today
      intervals = ['day', 'week', 'month']
      break
    case '6mo':
    case '12mo':
      intervals = ['day', 'week', 'month']
      break
    case 'all':
      intervals = ['week', 'month']
      break
    case 'custom': {
      from = state.from
      to = state.to
      var days = daysIn(from, to)
      intervals = days === 1 ? ['hour'] : days <= 7 ? ['hour', 'day'] : days <= 93 ? ['day', 'week'] : days <= 366 ? ['day', 'week', 'month'] : ['week', 'month']
      break
    }
  }
  var n = from ? daysIn(from, to) : 0
  var fallback = { '7d': 'day', year: 'month', '12mo': 'month', '6mo': 'month', all: 'month' }[id] || (n === 1 ? 'hour' : n > 93 ? 'month' : 'day')
  var interval = intervals.includes(state.interval) ? state.interval : intervals.includes(fallback) ? fallback : intervals[0]
  var dateRange = p.range || [from, to]
  return { id, dateRange, from, to, intervals, interval }
}

// Whether the queries of a period depend on which day it is: those of the
// relative ranges (7d, 30d, 12mo, all…) do not, the server resolves them in
// the site's time zone, so they may be asked before that zone is known.
export function needsToday(state) {
  var r = resolvePeriod(state, '2000-01-01')
  return typeof r.dateRange !== 'string' || r.from !== undefined
}

// The state to show when a point of the graph is clicked: the day, week or
// month it stands for (never past today nor the period's last day), or null
// for an hour. A week runs to its Sunday: the server labels a first,
// partial week with the period's first day.
export function zoomTo(label, interval, today, last) {
  var day = String(label).slice(0, 10)
  if (!isDay(day) || interval === 'hour') return null
  var monday = (new Date(day + 'T00:00:00Z').getUTCDay() + 6) % 7
  var to = interval === 'day' ? day : interval === 'week' ? addDays(day, 6 - monday) : endOfMonth(day)
  if (last && to > last) to = last
  if (to > today) to = today
  if (day > today) return null
  if (day === today && to === today) return { period: 'day', from: '', to: '' }
  return { period: 'custom', from: day, to }
}

// The local hour of now in tz, as the Stats API labels hours
// ("2026-12-07 14:00:00").
export function hourIn(tz, now = new Date()) {
  var p = {}
  try {
    for (var x of new Intl.DateTimeFormat('en-US', { timeZone: tz || undefined, hour: '2-digit', hourCycle: 'h23' }).formatToParts(now)) p[x.type] = x.value
  } catch {
    return hourIn('', now)
  }
  return todayIn(tz, now) + ' ' + p.hour + ':00:00'
}

// Which buckets of a series are not whole, as Plausible draws them: the
// current one (still filling: drawn dashed), those after it (in the
// future: not drawn, rather than as zeros), and weeks or months the range
// cuts (partial: dashed and marked). labels are the series' buckets;
// now is hourIn(tz) for hours, todayIn(tz) otherwise; from and to the
// range's first and last days.
export function bucketState(labels, interval, now, from, to) {
  var n = labels.length
  var current = -1
  var future = n
  var partial = []
  var key = l => (interval === 'hour' ? String(l) : String(l).slice(0, 10))
  for (var i = 0; i < n; i++) {
    var start = key(labels[i])
    var next = i + 1 < n ? key(labels[i + 1]) : null
    if (start > now) {
      future = i
      break
    }
    if (next === null || next > now) {
      // now falls in this bucket when the bucket reaches it.
      var end = interval === 'hour' ? start : interval === 'day' ? start : interval === 'week' ? addDays(weekMonday(start), 6) : endOfMonth(start)
      if (interval === 'hour' ? start === now : end >= now) current = i
    }
  }
  // A range that ends before today has no bucket still filling.
  if (to && to < now.slice(0, 10)) current = -1
  if (interval === 'week' || interval === 'month') {
    for (var j = 0; j < Math.min(n, future); j++) {
      if (j === current) continue
      var s = key(labels[j])
      var first = interval === 'week' ? weekMonday(s) : startOfMonth(s)
      var last = interval === 'week' ? addDays(first, 6) : endOfMonth(s)
      if ((from && first < from) || (to && last > to)) partial.push(j)
    }
  }
  return { current, future, partial }
}

function weekMonday(day) {
  var d = parseDay(day)
  var wd = (d.getUTCDay() + 6) % 7
  return addDays(day, -wd)
}
