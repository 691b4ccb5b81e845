import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { countryCodeOf, countryName, flag, formatChange, formatCompact, formatDuration, formatLabel, formatMetric, formatMoney, formatPercent } from '../src/lib/format.js'

// Intl writes narrow and non-breaking spaces in French: compare on plain ones.
var plain = s => s.replace(/[\u00a0\u202f]/g, ' ')

describe('numbers', () => {
  test('compact above ten thousand, grouped below', () => {
    assert.equal(formatCompact(999, 'en'), '999')
    assert.equal(plain(formatCompact(1234, 'fr')), '1 234')
    assert.equal(formatCompact(12345, 'en'), '12.3K')
    assert.equal(plain(formatCompact(12345, 'fr')), '12,3 k')
    assert.equal(formatCompact(2500000, 'en'), '2.5M')
  })

  test('per cents and changes', () => {
    assert.equal(formatPercent(45.25, 'en'), '45.3%')
    assert.equal(plain(formatPercent(45.25, 'fr')), '45,3 %')
    assert.equal(formatChange(12.5, 'en'), '+12.5%')
    assert.match(plain(formatChange(-3, 'fr')), /^[-\u2212]3 %$/)
    assert.ok(!formatChange(12.5, 'fr').includes(' '), 'no breakable space before % in French')
    assert.equal(formatChange(0, 'en'), '0%')
    assert.equal(formatChange(null, 'en'), '–')
    assert.equal(formatChange(2.5, 'en', true), '+2.5')
    // With an arrow, one sign: the arrow.
    assert.equal(plain(formatChange(-2.7, 'fr', false, true)), '↓ 2,7 %')
    assert.equal(formatChange(12.5, 'en', false, true), '↑ 12.5%')
    assert.equal(formatChange(0, 'en', true, true), '0')
  })

  test('durations in hours, minutes, seconds', () => {
    assert.equal(formatDuration(45, 'en'), '45s')
    assert.equal(formatDuration(125, 'en'), '2m 5s')
    assert.equal(formatDuration(3720, 'en'), '1h 2m')
    assert.equal(formatDuration(0, 'en'), '0s')
    assert.equal(plain(formatDuration(125, 'fr')), '2 min 5 s')
    assert.equal(plain(formatDuration(288, 'fr')), '4 min 48 s')
    assert.equal(formatDuration(120, 'en'), '2m')
  })

  test('money, as a number or as an object with its currency', () => {
    assert.equal(formatMoney({ value: 1234.5, currency: 'EUR' }, 'en'), '€1,234.50')
    assert.equal(plain(formatMoney({ value: 1234.5, currency: 'EUR' }, 'fr')), '1 234,50 €')
    assert.equal(formatMoney(12, 'en', 'USD'), '$12.00')
    assert.equal(formatMoney(12, 'en'), '12')
  })

  test('each metric in its own unit', () => {
    assert.equal(formatMetric('bounce_rate', 52, 'en'), '52%')
    assert.equal(formatMetric('visit_duration', 65, 'en'), '1m 5s')
    assert.equal(formatMetric('views_per_visit', 2.456, 'en'), '2.46')
    assert.equal(formatMetric('visitors', 123456, 'en'), '123.5K')
    assert.equal(formatMetric('visitors', 123456, 'en', { compact: false }), '123,456')
    assert.equal(formatMetric('visitors', null, 'en'), '–')
  })
})

describe('dates and places', () => {
  test('time labels at the precision of the interval, as wall-clock times', () => {
    assert.equal(formatLabel('2024-03-05', 'day', 'en'), 'Mar 5')
    assert.equal(formatLabel('2024-03-05', 'day', 'fr'), '5 mars')
    assert.equal(formatLabel('2024-03-01', 'month', 'en'), 'Mar 2024')
    assert.equal(formatLabel('2024-03-05 14:00:00', 'hour', 'fr'), '14 h')
    assert.equal(formatLabel('2024-03-05 14:00:00', 'hour', 'en'), '2 PM')
    assert.equal(formatLabel('2024-03-05', 'day', 'en', true), 'Tue, March 5, 2024')
  })

  test('countries by their code, with flags', () => {
    assert.equal(countryName('FR', 'en'), 'France')
    assert.equal(countryName('DE', 'fr'), 'Allemagne')
    assert.equal(countryName('', 'fr'), '')
    assert.equal(flag('fr'), '🇫🇷')
    assert.equal(flag('XYZ'), '')
  })

  test('a country typed by code or name gives its code', () => {
    for (var [text, lang, want] of [
      ['fr', 'en', 'FR'],
      ['France', 'en', 'FR'],
      ['allemagne', 'fr', 'DE'],
      ['  Belgique ', 'fr', 'BE'],
      ['United Kingdom', 'en', 'GB'],
      ['Atlantis', 'en', null],
      ['', 'en', null],
    ]) {
      assert.equal(countryCodeOf(text, lang), want, `${text} (${lang})`)
    }
  })
})

describe('values in the reader\'s words', () => {
  test('channels, (not set) and goals named after a page', async () => {
    var { valueText } = await import('../src/lib/dims.js')
    var { makeT } = await import('../src/lib/i18n.js')
    var fr = makeT('fr')
    var en = makeT('en')
    assert.equal(valueText('visit:channel', 'Organic Search', fr), 'Recherche naturelle')
    assert.equal(valueText('visit:channel', 'Organic Search', en), 'Organic Search')
    assert.equal(valueText('visit:channel', 'Something new', fr), 'Something new')
    assert.equal(valueText('visit:region', '(not set)', fr), '(non défini)')
    assert.equal(valueText('event:goal', 'Visit /panier', fr), 'Visite de /panier')
    assert.equal(valueText('event:goal', 'Purchase', fr), 'Purchase')
    assert.equal(valueText('event:page', 'Visit /x', fr), 'Visit /x')
    assert.equal(valueText('visit:source', '', fr), '(aucun)')
  })
})
