// Every string of the dashboard exists in English and French, with the
// same placeholders and plural forms, and every key the code uses exists.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { makeT, MESSAGES, pickLang } from '../src/lib/i18n.js'
import '../src/i18n/settings.js'
import '../src/i18n/filters.js'

import { MESSAGES as LIVE } from '../src/i18n/live.js'
import { PERIODS, INTERVALS } from '../src/lib/dates.js'
import { OPERATORS, COMPARISONS } from '../src/lib/state.js'
import { VISIT_DIMS, TOP_METRICS, GOAL_METRICS, detailMetrics } from '../src/lib/dims.js'

// The live view's messages join the dictionaries when it loads.
for (var l in LIVE) Object.assign(MESSAGES[l], LIVE[l])
var { en, fr } = MESSAGES
var src = new URL('../src/', import.meta.url).pathname

function sources(dir) {
  return readdirSync(dir).flatMap(f => {
    var p = join(dir, f)
    return statSync(p).isDirectory() ? sources(p) : /\.(js|jsx)$/.test(f) ? [p] : []
  })
}

var placeholders = m =>
  [...new Set((typeof m === 'string' ? [m] : Object.values(m)).flatMap(s => [...s.matchAll(/\{(\w+)\}/g)].map(x => x[1])))].sort()

describe('messages', () => {
  test('English and French have the same keys', () => {
    var missingFr = Object.keys(en).filter(k => !(k in fr))
    var missingEn = Object.keys(fr).filter(k => !(k in en))
    assert.deepEqual(missingFr, [], 'missing in fr.js: ' + missingFr.join(', '))
    assert.deepEqual(missingEn, [], 'missing in en.js: ' + missingEn.join(', '))
  })

  test('the same placeholders and plural forms in both', () => {
    for (var k of Object.keys(en)) {
      assert.deepEqual(placeholders(fr[k]), placeholders(en[k]), k)
      assert.equal(typeof fr[k], typeof en[k], k)
      if (typeof en[k] === 'object') {
        for (var lang of ['en', 'fr']) {
          var forms = new Intl.PluralRules(lang).resolvedOptions().pluralCategories
          for (var f of forms.filter(f => f === 'one' || f === 'other')) assert.ok(MESSAGES[lang][k][f], `${lang} ${k} lacks the "${f}" form`)
        }
      }
    }
  })

  test('no message is empty or left untranslated by mistake', () => {
    for (var [lang, dict] of Object.entries(MESSAGES))
      for (var [k, m] of Object.entries(dict)) for (var s of typeof m === 'string' ? [m] : Object.values(m)) assert.ok(s.trim(), `${lang} ${k} is empty`)
    // Identical strings are fine only where the word is the same.
    var same = Object.keys(en).filter(k => typeof en[k] === 'string' && en[k] === fr[k])
    var allowed = new Set(['app.title', 'dash.site', 'panel.sources', 'panel.pages', 'tab.sources', 'tab.utm', 'dim.page', 'dim.source', 'filters.operator', 'help.action', 'stats.points', 'details.range', 'channel.Direct', 'channel.Display', 'channel.Audio', 'channel.SMS', 'live.pages', 'live.sources', 'segments.title', 'segments.chip'])
    assert.deepEqual(same.filter(k => !allowed.has(k)), [])
  })

  test('every key the code names exists', () => {
    var used = new Set()
    for (var file of sources(src)) {
      var code = readFileSync(file, 'utf8')
      for (var m of code.matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) used.add(m[1])
    }
    // Keys made from a prefix and a value.
    var metrics = new Set([...TOP_METRICS, ...GOAL_METRICS, 'percentage', 'total_revenue', 'average_revenue', 'scroll_depth', 'time_on_page'])
    for (var d of ['event:goal', 'event:page', 'visit:entry_page', 'visit:exit_page', 'visit:source', 'event:props:x']) for (var m of detailMetrics(d)) metrics.add(m)
    for (var m of metrics) used.add('metric.' + m)
    for (var p of PERIODS) used.add('period.' + p.id)
    for (var i of INTERVALS) used.add('interval.' + i)
    for (var o of OPERATORS) used.add('op.' + o)
    for (var c of COMPARISONS) used.add('compare.' + c)
    for (var d of VISIT_DIMS.concat(['page', 'goal'])) used.add('dim.' + d)
    for (var r of ['viewer', 'editor', 'admin', 'owner']) used.add('role.' + r)
    for (var s of ['general', 'goals', 'funnels', 'shared-links', 'members', 'api-keys', 'retention', 'danger']) used.add('settings.' + s)
    var missing = [...used].filter(k => !(k in en)).filter(k => !k.endsWith('.'))
    assert.deepEqual(missing, [], 'keys used but not defined: ' + missing.join(', '))
  })
})

describe('t()', () => {
  test('fills placeholders and picks plural forms', () => {
    var t = makeT('fr')
    assert.equal(t('dash.title', { domain: 'a.fr' }), 'Statistiques de a.fr')
    assert.equal(t('realtime.current', { count: 1, n: '1' }), '1 visiteur en ce moment')
    assert.equal(t('realtime.current', { count: 0, n: '0' }), '0 visiteur en ce moment') // French: 0 is singular
    assert.equal(makeT('en')('realtime.current', { count: 0, n: '0' }), '0 current visitors')
    assert.equal(makeT('en')('no.such.key'), 'no.such.key')
  })

  test("the browser's languages choose, English by default", () => {
    assert.equal(pickLang(['fr-FR', 'en']), 'fr')
    assert.equal(pickLang(['de-DE', 'en-GB']), 'en')
    assert.equal(pickLang(['de']), 'en')
    assert.equal(pickLang([]), 'en')
  })
})
