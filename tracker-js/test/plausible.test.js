// Plausible's API and markup, and the variants of dist/, in the fake
// browser of browser.js.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { browser } from './browser.js'

var dist = f => readFileSync(new URL('../dist/' + f, import.meta.url), 'utf8')
var PSTUB =
  'window.plausible=window.plausible||function(){(plausible.q=plausible.q||[]).push(arguments)},plausible.init=plausible.init||function(i){plausible.o=i||{}};'

describe("Plausible's API", () => {
  test('window.plausible is the same function; its queue stub is replayed in order', async () => {
    var b = browser({
      before: PSTUB + "plausible('Signup', {props: {plan: 'pro'}, revenue: {amount: 9, currency: 'EUR'}}); plausible('Second')",
    })
    assert.deepEqual(b.names(), ['pageview', 'Signup', 'Second'])
    assert.deepEqual(b.sent[1].body.p, { plan: 'pro' })
    assert.deepEqual(b.sent[1].body.$, { amount: 9, currency: 'EUR' })
    assert.equal(b.window.plausible, b.window.sillage)
    var got
    b.window.plausible('After', { interactive: false, u: '/x/:id', callback: r => (got = r) })
    await b.settle()
    assert.deepEqual(b.sent[3].body, { n: 'After', u: 'https://example.fr/x/:id', d: 'example.fr', r: null, i: false })
    assert.equal(got.status, 202)
  })

  test('plausible.init options before load: domain, endpoint, hash, outbound, downloads, customProperties', () => {
    var b = browser({
      href: 'https://example.fr/#/home',
      data: { domain: undefined },
      before:
        PSTUB +
        "plausible.init({domain: 'shop.example.fr', endpoint: 'https://stats.example.fr/e', hashBasedRouting: true, outboundLinks: true, fileDownloads: {fileExtensions: ['epub']}, customProperties: n => ({kind: n})})",
    })
    assert.equal(b.sent[0].url, 'https://stats.example.fr/e')
    assert.deepEqual(b.sent[0].body, {
      n: 'pageview',
      u: 'https://example.fr/#/home',
      d: 'shop.example.fr',
      r: null,
      p: { kind: 'pageview' },
      h: 1,
    })
    b.click(b.element('a', { href: 'https://example.fr/book.epub' }))
    b.click(b.element('a', { href: 'https://other.example/' }))
    b.click(b.element('a', { href: 'https://example.fr/doc.pdf' }))
    assert.deepEqual(b.names(), ['pageview', 'File Download', 'Outbound Link: Click'])
  })

  test('plausible.init: autoCapturePageviews false, captureOnLocalhost, trackForms', () => {
    var b = browser({ href: 'http://localhost:3000/', before: PSTUB + 'plausible.init({autoCapturePageviews: false, captureOnLocalhost: true, trackForms: true})' })
    assert.equal(b.sent.length, 0)
    b.dispatch('submit')
    assert.deepEqual(b.names(), ['Form: Submission'])
  })

  test('plausible.init: transformRequest changes the payload, or drops the event (callback without argument)', async () => {
    var b = browser({
      href: 'https://example.fr/users/42?token=x',
      before:
        PSTUB +
        "window.seen = []; plausible.init({transformRequest: p => (seen.push(p.n), p.n == 'Drop' ? null : {...p, u: p.u.replace(/\\/\\d+.*/, '/:id')})})",
    })
    assert.deepEqual(b.sent[0].body, { n: 'pageview', u: 'https://example.fr/users/:id', d: 'example.fr', r: null })
    var got = 'not called'
    b.window.plausible('Drop', { callback: r => (got = r) })
    assert.equal(got, undefined)
    assert.deepEqual(b.warnings, ['Ignoring Event: transformRequest'])
    b.window.plausible('Keep', { props: { a: '1' } })
    assert.deepEqual(b.names(), ['pageview', 'Keep'])
    assert.deepEqual(b.sent[1].body.p, { a: '1' })
    assert.deepEqual([...b.window.seen], ['pageview', 'Drop', 'Keep'])
    // An excluded event never reaches it.
    b = browser({ href: 'https://example.fr/admin', data: { exclude: '/admin' }, before: PSTUB + 'window.seen = []; plausible.init({transformRequest: p => (seen.push(p.n), p)})' })
    assert.equal(b.window.seen.length, 0)
  })

  test('plausible.init: logging false, bindToWindow false; the url option', () => {
    var b = browser({ href: 'http://localhost/', before: PSTUB + 'plausible.init({logging: false})' })
    b.sillage('Nope')
    assert.equal(b.sent.length, 0)
    assert.deepEqual(b.warnings, [])
    b = browser({ before: PSTUB + "plausible('Queued'); plausible.init({bindToWindow: false})" })
    assert.notEqual(b.window.plausible, b.window.sillage)
    assert.deepEqual(b.names(), ['pageview', 'Queued'])
    b.window.sillage('Event', { url: 'https://example.fr/checkout/:step' })
    assert.equal(b.sent[2].body.u, 'https://example.fr/checkout/:step')
    // Without bindToWindow: false, window.plausible is the script's.
    b = browser({ before: PSTUB + 'plausible.init({bindToWindow: true, logging: true})' })
    assert.equal(b.window.plausible, b.window.sillage)
  })

  test('plausible-revenue-* classes give a tagged click its revenue', () => {
    var b = browser()
    b.click(b.element('button', { class: 'plausible-event-name=Buy plausible-revenue-amount=29.90 plausible-revenue-currency=EUR' }))
    b.click(b.element('button', { class: 'sillage-event-name=Pay sillage-revenue-amount--5 sillage-revenue-currency--USD' }))
    b.click(b.element('button', { class: 'plausible-event-name=Free' }))
    assert.deepEqual(b.sent.slice(1).map(s => [s.body.n, s.body.$]), [
      ['Buy', { amount: '29.90', currency: 'EUR' }],
      ['Pay', { amount: '5', currency: 'USD' }],
      ['Free', undefined],
    ])
    // Revenue classes on an element with no event name give no revenue, not
    // even to the file download clicked inside it.
    b = browser({ data: { 'file-downloads': '' } })
    var box = b.element('div', { class: 'plausible-revenue-amount=9 plausible-revenue-currency=EUR' })
    b.click(b.element('a', { href: '/a.pdf', target: '_blank' }, box))
    assert.deepEqual([b.sent[1].body.n, b.sent[1].body.$], ['File Download', undefined])
    // Without the revenue feature, they are ignored.
    b = browser({ code: dist('core+tagged.js') })
    b.click(b.element('button', { class: 'plausible-event-name=Buy plausible-revenue-amount=29.90 plausible-revenue-currency=EUR' }))
    assert.deepEqual(b.sent[1].body, { n: 'Buy', u: 'https://example.fr/page', d: 'example.fr', r: null })
  })

  test('plausible-event-* classes, with = and --', () => {
    var b = browser()
    b.click(b.element('button', { class: 'plausible-event-name=Signup plausible-event-plan=Pro+yearly' }))
    b.click(b.element('button', { class: 'plausible-event-name--Buy plausible-event-item--Mug' }))
    assert.deepEqual(b.sent.slice(1).map(s => [s.body.n, s.body.p]), [
      ['Signup', { plan: 'Pro yearly' }],
      ['Buy', { item: 'Mug' }],
    ])
  })

  test('event-* attributes are properties of every event, as data-props-*', () => {
    var b = browser({ attrs: { 'event-author': 'Ana' }, data: { 'props-plan': 'pro' } })
    assert.deepEqual(b.sent[0].body.p, { author: 'Ana', plan: 'pro' })
  })

  test('data-include: only the pages it names are tracked', () => {
    for (var [href, n] of [
      ['https://example.fr/blog/a', 1],
      ['https://example.fr/shop', 0],
    ]) {
      var b = browser({ href, data: { include: '/blog/**' } })
      assert.equal(b.sent.length, n, href)
    }
  })
})

describe('variants', () => {
  test('options baked in by the server read as data-* attributes; the tag still wins', () => {
    var code = dist('core+hash.js').replace('_o:0', '"hash":"","domain":"baked.example.fr","manual":""')
    var b = browser({ code, data: { domain: undefined } })
    assert.equal(b.sent.length, 0)
    b.sillage('pageview')
    assert.equal(b.sent[0].body.d, 'baked.example.fr')
    assert.equal(b.sent[0].body.h, 1)
    b = browser({ code, data: { domain: 'tag.example.fr' } })
    b.sillage('pageview')
    assert.equal(b.sent[0].body.d, 'tag.example.fr')
  })

  test('noEngagement and noTagged turn off what needs no attribute', () => {
    var code = dist('script.js').replace('_o:0', '"noEngagement":"","noTagged":""')
    var b = browser({ code })
    b.click(b.element('button', { class: 'sillage-event-name=Tag' }))
    b.advance(2000)
    b.hide()
    b.window.history.pushState({}, '', '/next')
    assert.deepEqual(b.names(), ['pageview', 'pageview'])
  })

  test('the core: pageviews, SPA, the API and its queue, exclusions; no feature of a module', () => {
    var b = browser({
      code: dist('core.js'),
      href: 'https://example.fr/a',
      data: { 'outbound-links': '', hash: '', 'props-x': '1' },
      before: PSTUB + "plausible('Queued')",
    })
    assert.deepEqual(b.bodies(), [
      { n: 'pageview', u: 'https://example.fr/a', d: 'example.fr', r: null },
      { n: 'Queued', u: 'https://example.fr/a', d: 'example.fr', r: null },
    ])
    b.window.history.pushState({}, '', '/b')
    b.click(b.element('a', { href: 'https://other.example/' }))
    b.click(b.element('button', { class: 'sillage-event-name=Tag' }))
    b.hide()
    assert.deepEqual(b.names(), ['pageview', 'Queued', 'pageview'])
    assert.equal(browser({ code: dist('core.js'), href: 'https://example.fr/admin', data: { exclude: '/admin' } }).sent.length, 0)
  })

  test('each single-feature variant has its feature', () => {
    var b = browser({ code: dist('core+outbound.js'), data: { 'outbound-links': '' } })
    b.click(b.element('a', { href: 'https://other.example/' }))
    assert.deepEqual(b.names(), ['pageview', 'Outbound Link: Click'])
    b = browser({ code: dist('core+tagged.js') })
    b.click(b.element('button', { class: 'plausible-event-name=Tag' }))
    assert.deepEqual(b.names(), ['pageview', 'Tag'])
    b = browser({ code: dist('core+engagement.js') })
    b.advance(2000)
    b.hide()
    assert.deepEqual(b.names(), ['pageview', 'engagement'])
    b = browser({ code: dist('core+revenue.js'), before: PSTUB + "plausible('Buy', {revenue: {amount: 1, currency: 'EUR'}})" })
    assert.deepEqual(b.sent[1].body.$, { amount: 1, currency: 'EUR' })
    b = browser({ code: dist('core.js'), before: PSTUB + "plausible('Buy', {revenue: {amount: 1, currency: 'EUR'}})" })
    assert.equal(b.sent[1].body.$, undefined)
  })
})
