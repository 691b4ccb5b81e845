import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { breakdownQuery, change, chosen, exportPath, graphMetric, seriesFromResults, timeseriesQuery, topStatsQuery, withFilter, withoutFilter } from '../src/lib/query.js'
import { DEFAULT_STATE } from '../src/lib/state.js'
import { needsToday, PERIODS } from '../src/lib/dates.js'

var TODAY = '2024-03-15'
var S = (more = {}) => ({ ...DEFAULT_STATE, filters: [], ...more })

describe('Stats API queries', () => {
  test('top stats: six metrics, the period, the filters, the comparison', () => {
    var q = topStatsQuery('example.fr', S({ period: '7d', compare: 'previous_period', filters: [['is', 'visit:source', ['Google']]] }), TODAY)
    assert.deepEqual(q, {
      site_id: 'example.fr',
      metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'],
      date_range: '7d',
      filters: [['is', 'visit:source', ['Google']]],
      include: { imports: true, comparisons: { mode: 'previous_period' } },
    })
  })

  test('top stats with a goal filter: conversions', () => {
    var q = topStatsQuery('example.fr', S({ filters: [['is', 'event:goal', ['Signup']]] }), TODAY)
    assert.deepEqual(q.metrics, ['visitors', 'events', 'conversion_rate'])
    assert.deepEqual(q.include, { imports: true })
  })

  test('top stats under an event filter leave out views per visit, which counts whole visits', () => {
    var without = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration']
    for (var f of [
      ['is', 'event:page', ['/']],
      ['is', 'event:props:plan', ['artisan']],
      ['is', 'event:name', ['Signup']],
      ['is', 'event:hostname', ['shop.a.fr']],
      ['or', [['is', 'visit:source', ['Google']], ['contains', 'event:props:author', ['Ana']]]],
    ]) {
      assert.deepEqual(topStatsQuery('a.fr', S({ filters: [f] }), TODAY).metrics, without, JSON.stringify(f))
    }
    // has_done picks the visitors; the counts stay the visits' own.
    assert.deepEqual(topStatsQuery('a.fr', S({ filters: [['has_done', ['is', 'event:props:plan', ['artisan']]]] }), TODAY).metrics,
      ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'])
  })

  test('imported data is asked for unless the view turns it off', () => {
    assert.equal(topStatsQuery('a.fr', S({ imports: 'off' }), TODAY).include, undefined)
    assert.deepEqual(timeseriesQuery('a.fr', S({ imports: 'off' }), TODAY).include, { time_labels: true })
  })

  test('the time series: the chosen metric at the interval, with time labels', () => {
    var q = timeseriesQuery('example.fr', S({ period: 'yesterday', metric: 'pageviews', compare: 'year_over_year' }), TODAY)
    assert.deepEqual(q, {
      site_id: 'example.fr',
      metrics: ['pageviews'],
      date_range: ['2024-03-14', '2024-03-14'],
      dimensions: ['time:hour'],
      include: { imports: true, time_labels: true, comparisons: { mode: 'year_over_year' } },
    })
  })

  test('a custom comparison sends its range, as Plausible takes it', () => {
    var q = topStatsQuery('a.fr', S({ period: '7d', compare: 'custom', compare_from: '2024-01-01', compare_to: '2024-01-31' }), TODAY)
    assert.deepEqual(q.include.comparisons, { mode: 'custom', date_range: ['2024-01-01', '2024-01-31'] })
  })

  test('realtime never compares', () => {
    assert.equal(timeseriesQuery('a.fr', S({ period: 'realtime', compare: 'previous_period' }), TODAY).include.comparisons, undefined)
  })

  test('the graph metric must be one of the top stats', () => {
    assert.equal(graphMetric(S({ metric: 'bounce_rate' })), 'bounce_rate')
    assert.equal(graphMetric(S({ metric: 'bounce_rate', filters: [['is', 'event:goal', ['x']]] })), 'visitors')
  })

  test('a breakdown: top 9 by the first metric; details add order, search, pages', () => {
    var base = breakdownQuery('a.fr', S(), TODAY, { dimension: 'visit:source', metrics: ['visitors'] })
    assert.deepEqual(base, {
      site_id: 'a.fr',
      metrics: ['visitors'],
      date_range: '28d',
      dimensions: ['visit:source'],
      order_by: [['visitors', 'desc']],
      pagination: { limit: 9, offset: 0 },
      include: { imports: true },
    })
    var d = breakdownQuery('a.fr', S({ filters: [['is', 'visit:country', ['FR']]] }), TODAY, {
      dimension: 'event:page',
      metrics: ['visitors', 'pageviews'],
      limit: 20,
      offset: 40,
      orderBy: ['event:page', 'asc'],
      search: 'blog',
    })
    assert.deepEqual(d.filters, [
      ['is', 'visit:country', ['FR']],
      ['contains', 'event:page', ['blog']],
    ])
    assert.deepEqual(d.order_by, [['event:page', 'asc']])
    assert.deepEqual(d.pagination, { limit: 20, offset: 40 })
    assert.deepEqual(d.include, { imports: true, total_rows: true })
  })

  test('queries do not share arrays with the state', () => {
    var s = S({ filters: [['is', 'visit:source', ['Google']]] })
    var q = topStatsQuery('a.fr', s, TODAY)
    q.filters[0][2].push('x')
    assert.deepEqual(s.filters[0][2], ['Google'])
  })
})

describe('filters', () => {
  test('a clicked value replaces the filter on its dimension', () => {
    var f = [['is', 'visit:source', ['Google']], ['is', 'visit:country', ['FR']]]
    assert.deepEqual(withFilter(f, 'visit:source', 'Bing'), [['is', 'visit:country', ['FR']], ['is', 'visit:source', ['Bing']]])
    assert.deepEqual(withFilter([], 'event:goal', 'Signup', 'is_not'), [['is_not', 'event:goal', ['Signup']]])
    assert.deepEqual(withoutFilter(f, 0), [['is', 'visit:country', ['FR']]])
  })

  test('a single chosen value, for versions', () => {
    assert.equal(chosen([['is', 'visit:browser', ['Firefox']]], 'visit:browser'), 'Firefox')
    assert.equal(chosen([['is', 'visit:browser', ['Firefox', 'Chrome']]], 'visit:browser'), null)
    assert.equal(chosen([['is_not', 'visit:browser', ['Firefox']]], 'visit:browser'), null)
  })

  test('the CSV export carries the view, not the language nor the metric', () => {
    var s = S({ period: '7d', metric: 'visits', lang: 'fr', filters: [['is', 'visit:source', ['Google']]] })
    var path = exportPath('example.fr', s, TODAY)
    var [base, qs] = path.split('?')
    assert.equal(base, '/api/sites/example.fr/export')
    assert.ok(qs.startsWith('period=7d&f=is,source,Google&query='), qs)
    var q = new URLSearchParams(qs)
    assert.deepEqual(JSON.parse(q.get('query')), { date_range: '7d', filters: [['is', 'visit:source', ['Google']]] })
    assert.deepEqual(JSON.parse(new URLSearchParams(exportPath('example.fr', S({ period: 'yesterday' }), TODAY).split('?')[1]).get('query')), {
      date_range: ['2024-03-14', '2024-03-14'],
    })
  })
})

describe('answers', () => {
  test('a time series laid on its labels, zero where no row, with the comparison', () => {
    var res = {
      results: [
        { dimensions: ['2024-03-01'], metrics: [5], comparison: { dimensions: ['2024-02-23'], metrics: [3] } },
        { dimensions: ['2024-03-03'], metrics: [7], comparison: { dimensions: ['2024-02-25'], metrics: [9] } },
      ],
    }
    var s = seriesFromResults(res, ['2024-03-01', '2024-03-02', '2024-03-03'])
    assert.deepEqual(s.values, [5, 0, 7])
    assert.deepEqual(s.compared, [3, null, 9])
    assert.deepEqual(s.comparedLabels, ['2024-02-23', null, '2024-02-25'])
    assert.equal(seriesFromResults({ results: [{ dimensions: ['x'], metrics: [1] }] }).compared, null)
  })

  test('changes: per cent, or points for rates', () => {
    assert.equal(change('visitors', 150, 100), 50)
    assert.equal(change('visitors', 50, 100), -50)
    assert.equal(change('visitors', 5, 0), null)
    assert.equal(change('visitors', 0, 0), 0)
    assert.equal(change('bounce_rate', 42.5, 40, true), 2.5)
    assert.equal(change('total_revenue', { value: 20, currency: 'EUR' }, { value: 10, currency: 'EUR' }), 100)
  })
})

describe('asking before the site\'s time zone is known', () => {
  test('the relative periods ask the same queries whatever the day', () => {
    var early = PERIODS.map(p => p.id).filter(id => id !== 'custom' && !needsToday(S({ period: id })))
    assert.deepEqual(early, ['7d', '28d', '30d', '12mo', '6mo', 'all'])
    for (var id of early) {
      for (var more of [{}, { interval: 'week' }, { interval: 'hour' }, { compare: 'year_over_year' }]) {
        var s = S({ period: id, ...more })
        for (var q of [topStatsQuery, timeseriesQuery, (d, st, t) => breakdownQuery(d, st, t, { dimension: 'event:page', metrics: ['visitors'] })]) {
          assert.deepEqual(q('example.fr', s, '2024-03-01'), q('example.fr', s, '2024-12-31'), id)
        }
      }
    }
  })

  test('the calendar periods wait for it', () => {
    for (var id of ['realtime', 'day', 'yesterday', 'month', 'lastmonth', 'year']) assert.ok(needsToday(S({ period: id })), id)
    assert.ok(needsToday(S({ period: 'custom', from: '2024-01-01', to: '2024-01-10' })))
  })
})

describe('funnel report filters', () => {
  test('event filters keep the visits that did it; visit filters stay', async () => {
    var { funnelFilters } = await import('../src/lib/query.js')
    assert.deepEqual(funnelFilters([['is', 'event:goal', ['Purchase']], ['is', 'visit:country', ['FR']], ['contains', 'event:page', ['/blog']]]), [
      ['has_done', ['is', 'event:goal', ['Purchase']]],
      ['is', 'visit:country', ['FR']],
      ['has_done', ['contains', 'event:page', ['/blog']]],
    ])
  })
})
