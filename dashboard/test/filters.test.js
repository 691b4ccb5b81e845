// Filters beyond one condition: six operators, several values, or-groups,
// has done / has not done, a segment the editor does not show; in the URL
// (both ways, old URLs too), in the Stats API queries and in words.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeFilter, DEFAULT_STATE, encodeFilter, parseState, serializeState } from '../src/lib/state.js'
import { describe as words, describeText, fromEditor, toEditor } from '../src/lib/filters.js'
import { apiFilters, exportPath, funnelFilters, graphMetric, hasGoalFilter, topStatsQuery, withFilter } from '../src/lib/query.js'
import { makeT } from '../src/lib/i18n.js'
import { dimKey } from '../src/lib/dims.js'

var OR = [
  'or',
  [
    ['is', 'visit:source', ['Google']],
    ['is', 'visit:utm_campaign', ['spring']],
  ],
]
var DONE = ['has_done', ['is', 'event:goal', ['Signup', 'Purchase']]]
var NOT_DONE = ['has_not_done', ['matches', 'event:page', ['^/checkout/.*$']]]
var SEGMENT = ['is', 'segment', ['12']]

describe('filters in the URL', () => {
  test('each shape round-trips, in readable text', () => {
    for (var [f, text] of [
      [['is', 'visit:source', ['Google', 'Bing']], 'is,source,Google|Bing'],
      [['matches', 'event:page', ['^/blog/.*']], 'matches,page,^/blog/.*'],
      [['matches_not', 'event:props:plan', ['^(free|trial)$']], 'matches_not,props:plan,^(free\\|trial)$'],
      [['contains_not', 'visit:utm_campaign', ['a;b']], 'contains_not,utm_campaign,a\\;b'],
      [OR, 'or,is,source,Google;is,utm_campaign,spring'],
      [DONE, 'has_done,is,goal,Signup|Purchase'],
      [NOT_DONE, 'has_not_done,matches,page,^/checkout/.*$'],
      [SEGMENT, 'is,segment,12'],
    ]) {
      assert.equal(encodeFilter(f), text)
      assert.deepEqual(decodeFilter(text), f, text)
      var s = { ...DEFAULT_STATE, filters: [f] }
      assert.deepEqual(parseState('?' + serializeState(s)), s, text)
    }
  })

  test('values and property names holding every separator survive, in groups too', () => {
    var nasty = ['a,b', 'c|d', 'e;f', 'back\\slash', 'trail\\', 'été & co', '%41', ' ', '']
    var f = [
      'or',
      [
        ['is', 'event:props:a,b;c|d\\e', nasty],
        ['has_done', ['matches_not', 'event:props:x;y', ['^a;b|c\\d$']]],
        ['contains', 'visit:source', [';', ',', '|', '\\']],
      ],
    ]
    var s = { ...DEFAULT_STATE, filters: [f, ['is', 'visit:source', nasty]] }
    var qs = serializeState(s)
    assert.deepEqual(parseState(qs), s)
    // URLSearchParams writes it all in %XX: the same filters.
    var q = new URLSearchParams()
    for (var x of s.filters) q.append('f', encodeFilter(x))
    assert.deepEqual(parseState(q.toString()).filters, s.filters)
  })

  test('old URLs read as before', () => {
    // Written by the dashboard before or-groups: a bare ';' was a value's.
    var s = parseState('f=is,source,Google|Bing&f=contains_not,page,/a;b&f=is,props:plan,Pro&f=is_not,country,FR&f=contains,utm_campaign,a\\,b')
    assert.deepEqual(s.filters, [
      ['is', 'visit:source', ['Google', 'Bing']],
      ['contains_not', 'event:page', ['/a;b']],
      ['is', 'event:props:plan', ['Pro']],
      ['is_not', 'visit:country', ['FR']],
      ['contains', 'visit:utm_campaign', ['a,b']],
    ])
    // What the old encoder wrote reads back the same filter.
    var old = f => f[0] + ',' + f[1].replace(/^(visit|event):/, '') + ',' + f[2].map(v => v.replace(/[\\,|]/g, '\\$&')).join('|')
    for (var f of s.filters) assert.deepEqual(decodeFilter(old(f)), f)
  })

  test('malformed groups and wrappers are dropped, not guessed', () => {
    for (var bad of [
      'or,is,source,Google', // a group of one
      'or,is,source,Google;nope,page,x',
      'or,or,is,source,a;is,source,b;is,page,c',
      'has_done,is,source,Google', // has_done is about events
      'has_done,has_done,is,goal,x',
      'has_done,or,is,page,a;is,page,b',
      'has_done',
      'or,',
      'is,segment,',
      'matches,nope,x',
    ])
      assert.equal(decodeFilter(bad), null, bad)
    assert.deepEqual(parseState('f=or,is,source,x&f=is,page,/').filters, [['is', 'event:page', ['/']]])
  })

  test('has_done inside an or-group', () => {
    var f = ['or', [['is', 'visit:country', ['FR']], ['has_not_done', ['is', 'event:goal', ['Signup']]]]]
    assert.equal(encodeFilter(f), 'or,is,country,FR;has_not_done,is,goal,Signup')
    assert.deepEqual(decodeFilter(encodeFilter(f)), f)
  })
})

describe('filters in the Stats API', () => {
  var S = filters => ({ ...DEFAULT_STATE, period: '7d', filters })

  test('the queries carry them as the API takes them, the state untouched', () => {
    var filters = [OR, DONE, NOT_DONE, SEGMENT]
    var q = topStatsQuery('a.fr', S(filters), '2024-03-15')
    assert.deepEqual(q.filters, [OR, DONE, NOT_DONE, ['is', 'segment', [12]]])
    q.filters[0][1][0][2].push('x')
    assert.deepEqual(filters[0], OR)
    assert.deepEqual(JSON.parse(new URLSearchParams(exportPath('a.fr', S(filters), '2024-03-15').split('?')[1]).get('query')).filters, q.filters.map((f, i) => (i ? f : OR)))
  })

  test('a goal inside has_done is no conversion filter', () => {
    assert.equal(hasGoalFilter([DONE]), false)
    assert.deepEqual(topStatsQuery('a.fr', S([DONE]), '2024-03-15').metrics[0], 'visitors')
    assert.equal(topStatsQuery('a.fr', S([DONE]), '2024-03-15').metrics.length, 6)
  })

  test('a funnel wraps event conditions in has_done, in groups too', () => {
    assert.deepEqual(funnelFilters([['or', [['is', 'event:page', ['/a']], ['is', 'visit:source', ['Google']]]], DONE, SEGMENT]), [
      ['or', [['has_done', ['is', 'event:page', ['/a']]], ['is', 'visit:source', ['Google']]]],
      DONE,
      ['is', 'segment', [12]],
    ])
  })

  test('a click replaces a condition on its dimension, never a group', () => {
    assert.deepEqual(withFilter([OR, ['is', 'visit:source', ['Bing']]], 'visit:source', 'Google'), [OR, ['is', 'visit:source', ['Google']]])
    assert.deepEqual(apiFilters([]), [])
  })
})

describe('filters in words', () => {
  var dim = t => d => (dimKey(d) ? t(dimKey(d)) : t('dim.prop', { name: d.slice(12) }))
  var say = (f, lang) => {
    var t = makeT(lang)
    return describeText(words(f, t, dim(t), (d, v) => v))
  }

  test('English and French', () => {
    assert.equal(say(['is', 'visit:source', ['Google', 'Bing']], 'en'), 'Source is Google or Bing')
    assert.equal(say(['is_not', 'visit:source', ['Google', 'Bing']], 'fr'), 'Source n’est pas Google ou Bing')
    assert.equal(say(OR, 'en'), 'Source is Google or UTM campaign is spring')
    assert.equal(say(['matches_not', 'event:page', ['^/blog']], 'en'), 'Page does not match ^/blog')
    assert.equal(say(['matches', 'event:page', ['^/blog']], 'fr'), 'Page correspond à ^/blog')
    assert.equal(say(DONE, 'en'), 'Has done: Goal is Signup or Purchase')
    assert.equal(say(DONE, 'fr'), 'A réalisé : Objectif est Signup ou Purchase')
    assert.equal(say(['contains', 'event:props:plan', ['Pro']], 'en'), 'Property plan contains Pro')
  })

  test('values are marked apart from wording', () => {
    var t = makeT('en')
    assert.deepEqual(words(['is', 'visit:source', ['Google', 'Bing']], t, dim(t), (d, v) => v.toUpperCase()), [{ w: 'Source is ' }, { v: 'GOOGLE or BING' }])
  })
})

describe('filters in the editor', () => {
  test('what the editor shows, it gives back', () => {
    for (var f of [
      ['is', 'visit:source', ['Google', 'Bing']],
      ['matches_not', 'event:props:plan', ['^free$']],
      OR,
      DONE,
      NOT_DONE,
      ['or', [['contains', 'event:props:a', ['x']], ['is_not', 'visit:country', ['FR', 'DE']]]],
    ]) {
      var m = toEditor(f)
      assert.ok(m, JSON.stringify(f))
      assert.deepEqual(fromEditor(m), f)
    }
  })

  test('a segment, or a group holding has_done, is not the editor’s', () => {
    assert.equal(toEditor(SEGMENT), null)
    assert.equal(toEditor(['or', [['is', 'visit:country', ['FR']], DONE]]), null)
  })

  test('an unfinished condition makes no filter', () => {
    assert.equal(fromEditor({ kind: 'is', rows: [{ dim: 'source', prop: '', op: 'is', values: [] }] }), null)
    assert.equal(fromEditor({ kind: 'is', rows: [{ dim: 'props', prop: ' ', op: 'is', values: ['x'] }] }), null)
    assert.equal(fromEditor({ kind: 'has_done', rows: [{ dim: 'source', prop: '', op: 'is', values: ['x'] }] }), null)
    assert.deepEqual(fromEditor({ kind: 'is', rows: [{ dim: 'props', prop: ' plan ', op: 'is', values: ['Pro', ''] }] }), ['is', 'event:props:plan', ['Pro']])
  })
})

describe('metrics a filter forbids', () => {
  // The Stats API refuses views_per_visit with a page filter (as
  // Plausible): the top stats asked for it and showed an error instead.
  test('no views per visit under a page filter, in a group too; has_done does not count', () => {
    var S = filters => ({ ...DEFAULT_STATE, filters })
    for (var filters of [[['is', 'event:page', ['/']]], [['matches_not', 'event:page', ['^/produits']]], [['or', [['is', 'event:page', ['/']], ['is', 'visit:source', ['Google']]]]]])
      assert.deepEqual(topStatsQuery('a.fr', S(filters), '2024-03-15').metrics, ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], JSON.stringify(filters))
    assert.equal(topStatsQuery('a.fr', S([['has_done', ['is', 'event:page', ['/']]]]), '2024-03-15').metrics.length, 6)
    assert.equal(graphMetric(S([['is', 'event:page', ['/']]]), 'visitors'), 'visitors')
    assert.equal(graphMetric({ ...S([['is', 'event:page', ['/']]]), metric: 'views_per_visit' }), 'visitors')
  })
})

describe('the filter parser, fuzzed', () => {
  // A small seeded generator: the same cases every run, many of them.
  var seed = 20261207
  var rand = n => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n)
  var CHARS = ['a', 'é', ',', '|', ';', '\\', ' ', '/', '%', '^', '$', '(', ')', '*', '.', ':', '&', '=', '🙂']
  var text = (min = 0) => Array.from({ length: min + rand(6) }, () => CHARS[rand(CHARS.length)]).join('')
  var ops = ['is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not']
  var leaf = events => {
    var dim = events ? ['event:page', 'event:goal', 'event:props:' + text(1)][rand(3)] : ['visit:source', 'event:page', 'visit:utm_campaign', 'event:props:' + text(1)][rand(4)]
    var values = Array.from({ length: 1 + rand(3) }, () => text())
    if (values.length === 1 && values[0] === '') values[0] = 'x'
    return [ops[rand(6)], dim, values]
  }
  var filter = () => {
    switch (rand(3)) {
      case 0:
        return leaf()
      case 1:
        return [['has_done', 'has_not_done'][rand(2)], leaf(true)]
      default:
        return ['or', Array.from({ length: 2 + rand(3) }, () => (rand(4) ? leaf() : ['has_done', leaf(true)]))]
    }
  }

  test('any filter the dashboard makes reads back the same through the URL', () => {
    for (var i = 0; i < 3000; i++) {
      var filters = Array.from({ length: 1 + rand(3) }, filter)
      var s = { ...DEFAULT_STATE, filters }
      assert.deepEqual(parseState(serializeState(s)).filters, filters, JSON.stringify(filters))
    }
  })

  test('any text either decodes to a filter that encodes back to itself, or to nothing', () => {
    var pieces = ['is', 'or', 'has_done', 'matches_not', ',', ';', '|', '\\', 'source', 'page', 'goal', 'props:', 'segment', 'x', '']
    for (var i = 0; i < 20000; i++) {
      var s = Array.from({ length: rand(9) }, () => pieces[rand(pieces.length)]).join('')
      var f = decodeFilter(s)
      if (f) assert.deepEqual(decodeFilter(encodeFilter(f)), f, s)
    }
  })
})
