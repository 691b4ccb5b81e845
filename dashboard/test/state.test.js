import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeFilter, DEFAULT_STATE, encodeFilter, parseState, serializeState, updateState } from '../src/lib/state.js'
import { longDim, shortDim } from '../src/lib/dims.js'

describe('URL state', () => {
  test('the default state is the empty query string, both ways', () => {
    assert.equal(serializeState(DEFAULT_STATE), '')
    assert.deepEqual(parseState(''), DEFAULT_STATE)
  })

  test('every key round-trips, in a fixed order, readable', () => {
    var s = {
      ...DEFAULT_STATE,
      period: 'custom',
      from: '2024-03-01',
      to: '2024-03-31',
      interval: 'week',
      compare: 'year_over_year',
      metric: 'bounce_rate',
      filters: [
        ['is', 'visit:source', ['Google', 'Bing']],
        ['contains', 'event:page', ['/blog/']],
        ['is', 'event:props:plan', ['Pro']],
      ],
      prop: 'plan',
      lang: 'fr',
    }
    var qs = serializeState(s)
    assert.equal(
      qs,
      'period=custom&from=2024-03-01&to=2024-03-31&interval=week&compare=year_over_year&metric=bounce_rate' +
        '&f=is,source,Google|Bing&f=contains,page,/blog/&f=is,props:plan,Pro&prop=plan&lang=fr'
    )
    assert.deepEqual(parseState('?' + qs), s)
  })

  test('values with separators, spaces and accents survive', () => {
    var f = ['is', 'visit:utm_campaign', ['a,b', 'c|d', 'back\\slash', 'été 2024 & co', '']]
    var s = { ...DEFAULT_STATE, filters: [f] }
    assert.deepEqual(parseState(serializeState(s)).filters, [f])
    assert.equal(encodeFilter(['is', 'visit:source', ['a,b|c']]), 'is,source,a\\,b\\|c')
  })

  test('custom properties named with spaces, commas or accents survive', () => {
    for (var name of ['Plan type', 'a,b', 'catégorie|x', 'back\\slash']) {
      var f = ['is', 'event:props:' + name, ['v,1', 'w']]
      var s = { ...DEFAULT_STATE, filters: [f], prop: name }
      var back = parseState(serializeState(s))
      assert.deepEqual(back.filters, [f], name)
      assert.equal(back.prop, name)
    }
  })

  test('what is not understood is dropped, not guessed', () => {
    var s = parseState('period=fortnight&interval=minute&compare=yes&metric=revenue&f=is,nope,x&f=like,page,x&f=is,page&lang=de&from=2024-02-30')
    assert.deepEqual(s, DEFAULT_STATE)
  })

  test('a custom period needs a valid, ordered range', () => {
    assert.equal(parseState('period=custom&from=2024-03-05').period, DEFAULT_STATE.period)
    assert.equal(parseState('period=custom&from=2024-03-05&to=2024-03-01').period, DEFAULT_STATE.period)
    var s = parseState('period=custom&from=2024-03-01&to=2024-03-01')
    assert.deepEqual([s.period, s.from, s.to], ['custom', '2024-03-01', '2024-03-01'])
    // from/to outside a custom period mean nothing
    assert.deepEqual([parseState('period=7d&from=2024-03-01&to=2024-03-02').from], [''])
  })

  test('a custom comparison keeps its valid, ordered range in the URL', () => {
    var s = parseState('compare=custom&compare_from=2024-02-01&compare_to=2024-02-29')
    assert.deepEqual([s.compare, s.compare_from, s.compare_to], ['custom', '2024-02-01', '2024-02-29'])
    assert.equal(serializeState(s), 'compare=custom&compare_from=2024-02-01&compare_to=2024-02-29')
    for (var bad of ['compare=custom', 'compare=custom&compare_from=2024-02-10&compare_to=2024-02-01', 'compare=custom&compare_from=2024-02-30&compare_to=2024-03-01']) {
      assert.deepEqual(parseState(bad), DEFAULT_STATE, bad)
    }
    // another comparison drops the range
    assert.deepEqual(parseState('compare=previous_period&compare_from=2024-02-01&compare_to=2024-02-29').compare_from, '')
    var next = updateState(s, { compare: 'year_over_year' })
    assert.equal(serializeState(next), 'compare=year_over_year')
  })

  test('percent-encoded URLs (as URLSearchParams writes them) parse the same', () => {
    var q = new URLSearchParams()
    q.append('f', 'is,country,FR')
    q.append('f', 'is,page,/a b')
    assert.deepEqual(parseState(q.toString()).filters, [
      ['is', 'visit:country', ['FR']],
      ['is', 'event:page', ['/a b']],
    ])
  })

  test('changing the period drops a custom range and the interval', () => {
    var s = { ...DEFAULT_STATE, period: 'custom', from: '2024-01-01', to: '2024-01-31', interval: 'week' }
    assert.deepEqual(updateState(s, { period: '7d' }), { ...s, period: '7d', from: '', to: '', interval: '' })
    assert.deepEqual(updateState(s, { metric: 'visits' }), { ...s, metric: 'visits' })
  })

  test('filters decode to API dimensions', () => {
    assert.deepEqual(decodeFilter('is_not,entry_page,/'), ['is_not', 'visit:entry_page', ['/']])
    assert.deepEqual(decodeFilter('is,goal,Signup'), ['is', 'event:goal', ['Signup']])
    assert.equal(decodeFilter('is,props:,x'), null)
    assert.equal(decodeFilter('is'), null)
  })
})

describe('dimension names', () => {
  test('short and long names map both ways', () => {
    for (var [s, l] of [
      ['page', 'event:page'],
      ['goal', 'event:goal'],
      ['props:plan', 'event:props:plan'],
      ['source', 'visit:source'],
      ['utm_campaign', 'visit:utm_campaign'],
      ['country', 'visit:country'],
      ['browser_version', 'visit:browser_version'],
    ]) {
      assert.equal(longDim(s), l)
      assert.equal(shortDim(l), s)
    }
    assert.equal(longDim('visit:source'), null)
    assert.equal(longDim('nonsense'), null)
  })
})
