// Dimensions and metrics of the Stats API, and the short names the
// dashboard's URLs use for dimensions ('source' for 'visit:source').

var EVENT_DIMS = ['page', 'goal', 'name', 'hostname']

// 'source' -> 'visit:source', 'page' -> 'event:page', 'props:plan' ->
// 'event:props:plan'; null for a name that is not one.
export function longDim(short) {
  if (typeof short !== 'string') return null
  // A custom property's name is the site's own: any text.
  if (short.startsWith('props:')) return short.length > 6 && short.length <= 306 ? 'event:' + short : null
  if (!/^[a-z_]+$/.test(short)) return null
  // A saved segment (ui/segments.jsx): ['is', 'segment', [id]].
  if (short === 'segment') return 'segment'
  if (EVENT_DIMS.includes(short)) return 'event:' + short
  if (!VISIT_DIMS.includes(short)) return null
  return 'visit:' + short
}

export function shortDim(long) {
  return long.replace(/^(visit|event):/, '')
}

export var VISIT_DIMS = [
  'entry_page',
  'exit_page',
  'source',
  'referrer',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'country',
  'region',
  'city',
  'city_name',
  'device',
  'browser',
  'browser_version',
  'os',
  'os_version',
]

// The i18n key naming a dimension: 'dim.source'; custom properties are
// named by their key.
export function dimKey(long) {
  var s = shortDim(long)
  return s.startsWith('props:') ? null : 'dim.' + s
}

export var TOP_METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration']
// With a goal filter, what counts is conversions.
export var GOAL_METRICS = ['visitors', 'events', 'conversion_rate']

// For every metric, where a fall is good news (bounce rate): the colour
// of a change depends on it.
export var LOWER_IS_BETTER = { bounce_rate: true }

// Metrics whose change is told in points rather than in per cent.
export var RATE_METRICS = { bounce_rate: true, conversion_rate: true, group_conversion_rate: true, percentage: true, scroll_depth: true }

// The columns of each breakdown's details list. The exit rate (exits per
// pageview of the page) needs every pageview of the page: not with event
// filters.
export function detailMetrics(dim, goalFilter, eventFilter) {
  if (goalFilter) return ['visitors', 'events', 'group_conversion_rate']
  switch (dim) {
    case 'event:goal':
      return ['visitors', 'events', 'conversion_rate', 'total_revenue', 'average_revenue']
    case 'event:page':
      return ['visitors', 'pageviews', 'bounce_rate', 'time_on_page', 'scroll_depth']
    case 'visit:entry_page':
      return ['visitors', 'visits', 'bounce_rate', 'visit_duration']
    case 'visit:exit_page':
      return eventFilter ? ['visitors', 'visits', 'pageviews'] : ['visitors', 'visits', 'exit_rate']
    default:
      if (dim.startsWith('event:props:')) return ['visitors', 'events', 'percentage']
      return ['visitors', 'visits', 'bounce_rate', 'visit_duration']
  }
}

// A value as the reader reads it: empty as (none), Plausible's (not set),
// channels and goals named after a page in the reader's language. The
// value itself (what a filter sends) is unchanged.
export function valueText(dim, v, t) {
  if (v === '' || v === null || v === undefined) return t('common.none')
  v = String(v)
  if (v === '(not set)') return t('value.notSet')
  if (dim === 'visit:channel') {
    var k = 'channel.' + v
    var s = t(k)
    return s === k ? v : s
  }
  var page = dim === 'event:goal' && /^Visit (\/.*)$/.exec(v)
  if (page) return t('goal.visit', { path: page[1] })
  var scroll = dim === 'event:goal' && /^Scroll (\d+)% on (\/.*)$/.exec(v)
  if (scroll) return t('goal.scroll', { n: scroll[1], path: scroll[2] })
  return v
}
