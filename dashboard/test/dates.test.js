import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { addDays, addMonths, bucketState, daysIn, endOfMonth, isDay, PERIODS, resolvePeriod, todayIn, zoomTo } from '../src/lib/dates.js'
import { DEFAULT_STATE } from '../src/lib/state.js'

var TODAY = '2024-03-15'
var at = (period, more = {}) => resolvePeriod({ ...DEFAULT_STATE, period, ...more }, TODAY)

describe('calendar arithmetic', () => {
  test('days, months and their ends, across leap years and DST', () => {
    assert.equal(addDays('2024-02-28', 1), '2024-02-29')
    assert.equal(addDays('2024-03-31', 1), '2024-04-01')
    assert.equal(addDays('2024-10-27', 1), '2024-10-28') // DST ends in Europe
    assert.equal(endOfMonth('2024-02-10'), '2024-02-29')
    assert.equal(endOfMonth('2023-02-10'), '2023-02-28')
    assert.equal(addMonths('2024-01-31', 1), '2024-02-01')
    assert.equal(addMonths('2024-01-15', -1), '2023-12-01')
    assert.equal(daysIn('2024-03-01', '2024-03-31'), 31)
    assert.ok(isDay('2024-02-29') && !isDay('2023-02-29') && !isDay('2024-2-1'))
  })

  test("today is the site's today", () => {
    var now = new Date('2024-03-15T23:30:00Z')
    assert.equal(todayIn('Europe/Paris', now), '2024-03-16')
    assert.equal(todayIn('America/New_York', now), '2024-03-15')
    assert.equal(todayIn('UTC', now), '2024-03-15')
    assert.match(todayIn('Not/AZone', now), /^\d{4}-\d{2}-\d{2}$/)
  })
})

describe('periods', () => {
  test('relative periods go to the API as they are', () => {
    for (var id of ['7d', '28d', '30d', 'month', 'year', '12mo', 'all']) assert.equal(at(id).dateRange, id)
    assert.equal(at('day').dateRange, 'day')
    assert.equal(at('realtime').dateRange, 'day')
  })

  test('calendar periods become explicit ranges in the site zone', () => {
    assert.deepEqual(at('yesterday').dateRange, ['2024-03-14', '2024-03-14'])
    assert.deepEqual(at('lastmonth').dateRange, ['2024-02-01', '2024-02-29'])
    assert.deepEqual(at('custom', { from: '2024-01-01', to: '2024-01-10' }).dateRange, ['2024-01-01', '2024-01-10'])
    assert.deepEqual([at('month').from, at('month').to], ['2024-03-01', TODAY])
    assert.deepEqual([at('year').from, at('year').to], ['2024-01-01', TODAY])
  })

  test('intervals follow the length, with sensible defaults', () => {
    assert.deepEqual([at('day').intervals, at('day').interval], [['hour'], 'hour'])
    assert.deepEqual([at('7d').intervals, at('7d').interval], [['hour', 'day'], 'day'])
    assert.deepEqual([at('28d').intervals, at('28d').interval], [['day', 'week'], 'day'])
    assert.equal(at('12mo').interval, 'month')
    assert.equal(at('all').interval, 'month')
    assert.equal(at('custom', { from: '2024-03-01', to: '2024-03-01' }).interval, 'hour')
    assert.equal(at('custom', { from: '2023-01-01', to: '2023-12-31' }).interval, 'month')
    assert.equal(at('28d', { interval: 'week' }).interval, 'week')
    assert.equal(at('28d', { interval: 'hour' }).interval, 'day') // not offered: the default
  })

  test('an unknown or broken period falls back to the default', () => {
    assert.equal(at('nope').id, DEFAULT_STATE.period)
    assert.equal(at('custom', { from: '2024-03-10', to: '2024-03-01' }).id, DEFAULT_STATE.period)
  })

  test('shortcut keys are distinct', () => {
    var keys = PERIODS.filter(p => p.key).map(p => p.key)
    assert.equal(new Set(keys).size, keys.length)
    assert.ok(!keys.includes('x')) // the comparison's
  })
})

describe('zooming on a point', () => {
  test('a day, a week, a month; never past today; an hour does not zoom', () => {
    assert.deepEqual(zoomTo('2024-03-05', 'day', TODAY), { period: 'custom', from: '2024-03-05', to: '2024-03-05' })
    assert.deepEqual(zoomTo('2024-03-04', 'week', TODAY), { period: 'custom', from: '2024-03-04', to: '2024-03-10' })
    assert.deepEqual(zoomTo('2024-03-11', 'week', TODAY), { period: 'custom', from: '2024-03-11', to: TODAY })
    assert.deepEqual(zoomTo('2024-02-01', 'month', TODAY), { period: 'custom', from: '2024-02-01', to: '2024-02-29' })
    assert.deepEqual(zoomTo(TODAY, 'day', TODAY), { period: 'day', from: '', to: '' })
    assert.equal(zoomTo('2024-03-05 14:00:00', 'hour', TODAY), null)
    assert.equal(zoomTo('2024-04-01', 'day', TODAY), null)
  })

  test("a week ends on its Sunday and within the period", () => {
    // A partial first week, labelled with the period's first day (a Friday).
    assert.deepEqual(zoomTo('2024-03-01', 'week', TODAY), { period: 'custom', from: '2024-03-01', to: '2024-03-03' })
    // The last week of February stops at the month's end.
    assert.deepEqual(zoomTo('2024-02-26', 'week', TODAY, '2024-02-29'), { period: 'custom', from: '2024-02-26', to: '2024-02-29' })
  })
})

describe('intervals', () => {
  test('this month on its first day offers, and uses, a listed interval', () => {
    var r = resolvePeriod({ ...DEFAULT_STATE, period: 'month' }, '2026-11-01')
    assert.ok(r.intervals.includes(r.interval), `${r.interval} not in ${r.intervals}`)
  })
})

test('bucketState: the current bucket, future ones and partial weeks and months, as Plausible draws them', () => {
  var hours = Array.from({ length: 24 }, (_, h) => '2026-12-07 ' + String(h).padStart(2, '0') + ':00:00')
  var cases = [
    ['today by hour at 14:xx', hours, 'hour', '2026-12-07 14:00:00', '2026-12-07', '2026-12-07', { current: 14, future: 15, partial: [] }],
    ['yesterday by hour', hours, 'hour', '2026-12-08 09:00:00', '2026-12-07', '2026-12-07', { current: -1, future: 24, partial: [] }],
    ['month to date by day', ['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04'], 'day', '2026-12-03', '2026-12-01', '2026-12-31', { current: 2, future: 3, partial: [] }],
    ['28d by day ends yesterday', ['2026-12-05', '2026-12-06'], 'day', '2026-12-07', '2026-11-09', '2026-12-06', { current: -1, future: 2, partial: [] }],
    // 28d from Monday 2026-11-09 to Sunday 2026-12-06: whole weeks.
    ['28d by week, whole weeks', ['2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30'], 'week', '2026-12-07', '2026-11-09', '2026-12-06', { current: -1, future: 4, partial: [] }],
    // The first week clamped to a Wednesday, the last one cut on a Thursday.
    ['30d by week, cut at both ends', ['2026-11-04', '2026-11-09', '2026-11-30'], 'week', '2026-12-07', '2026-11-04', '2026-12-03', { current: -1, future: 3, partial: [0, 2] }],
    ['this month by week', ['2026-12-01', '2026-12-07', '2026-12-14'], 'week', '2026-12-07', '2026-12-01', '2026-12-31', { current: 1, future: 2, partial: [0] }],
    ['this year by month', ['2026-10-01', '2026-11-01', '2026-12-01'], 'month', '2026-12-07', '2026-01-01', '2026-12-31', { current: 2, future: 3, partial: [] }],
    ['all time from mid-month', ['2026-10-01', '2026-11-01'], 'month', '2026-12-07', '2026-10-15', '2026-11-30', { current: -1, future: 2, partial: [0] }],
  ]
  for (var [name, labels, interval, now, from, to, want] of cases) assert.deepEqual(bucketState(labels, interval, now, from, to), want, name)
})
