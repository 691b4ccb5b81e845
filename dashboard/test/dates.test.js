import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { addDays, addMonths, daysIn, endOfMonth, isDay, PERIODS, resolvePeriod, todayIn, zoomTo } from '../src/lib/dates.js'
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
