// dist/script.js run in the hand-made fake browser of browser.js.
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import { STUB, browser as makeBrowser } from './browser.js'

var pages = []
var browser = opt => {
  var b = makeBrowser(opt)
  pages.push(b)
  return b
}
// Whatever a test did, the tracker wrote no cookie and no storage.
afterEach(() => {
  for (var b of pages.splice(0)) assert.deepEqual(b.writes, [])
})

describe('pageview', () => {
  test('is sent on load, with the payload shape and the request options', () => {
    var b = browser({ href: 'https://example.fr/blog/post?utm_source=x#top' })
    assert.equal(b.sent.length, 1)
    var [s] = b.sent
    assert.equal(s.via, 'fetch')
    assert.equal(s.url, 'https://stats.example.fr/api/event')
    assert.equal(s.options.method, 'POST')
    assert.equal(s.options.keepalive, true)
    // No headers: a string body goes as text/plain;charset=UTF-8, which
    // needs no CORS preflight.
    assert.equal(s.options.headers, undefined)
    assert.equal(typeof s.options.body, 'string')
    assert.deepEqual(s.body, {
      n: 'pageview',
      u: 'https://example.fr/blog/post?utm_source=x#top',
      d: 'example.fr',
      r: null,
    })
  })

  test('carries the referrer, several domains as given, and data-api', () => {
    var b = browser({
      referrer: 'https://search.example/?q=x',
      data: { domain: 'example.fr,shop.example.fr', api: 'https://example.fr/sillage/event' },
    })
    assert.equal(b.sent[0].url, 'https://example.fr/sillage/event')
    assert.equal(b.sent[0].body.d, 'example.fr,shop.example.fr')
    assert.equal(b.sent[0].body.r, 'https://search.example/?q=x')
  })

  test('the default endpoint is on the origin the script came from', () => {
    var b = browser({ src: 'https://example.fr/stats/js/script.js' })
    assert.equal(b.sent[0].url, 'https://example.fr/api/event')
  })

  test('data-props-* are sent with every event', () => {
    var b = browser({ data: { 'props-plan': 'pro', 'props-author': 'Ana' } })
    assert.deepEqual(b.sent[0].body.p, { plan: 'pro', author: 'Ana' })
    b.sillage('Signup', { props: { plan: 'team', step: '2' } })
    assert.deepEqual(b.sent[1].body.p, { plan: 'team', author: 'Ana', step: '2' })
    // An event's own props do not change the static ones.
    b.sillage('Next')
    assert.deepEqual(b.sent[2].body.p, { plan: 'pro', author: 'Ana' })
  })

  test('data-exclude patterns are not tracked', () => {
    for (var [href, n] of [
      ['https://example.fr/admin/users', 0],
      ['https://example.fr/admin/users/1', 1],
      ['https://example.fr/preview/a/b/c', 0],
      ['https://example.fr/previews', 1],
    ]) {
      var b = browser({ href, data: { exclude: '/admin/*, /preview/**' } })
      assert.equal(b.sent.length, n, href)
      assert.deepEqual(b.warnings, n ? [] : ['Ignoring Event: excluded'], href)
    }
  })
})

describe('payload', () => {
  test('a plain pageview: the exact body, no empty keys', () => {
    var b = browser({ href: 'https://example.fr/' })
    assert.equal(b.sent[0].options.body, '{"n":"pageview","u":"https://example.fr/","d":"example.fr","r":null}')
  })

  test('referrer, props merged over static ones, revenue, hash, non-interactive', () => {
    var b = browser({
      href: 'https://example.fr/#/cart',
      referrer: 'https://ref.example/',
      data: { domain: 'a.fr,b.fr', hash: '', 'props-plan': 'pro', 'props-lang': 'fr' },
    })
    b.sillage('Buy', {
      props: { plan: 'team', n: '2' },
      revenue: { amount: 29.9, currency: 'EUR' },
      interactive: false,
    })
    assert.deepEqual(b.sent[1].body, {
      n: 'Buy',
      u: 'https://example.fr/#/cart',
      d: 'a.fr,b.fr',
      r: 'https://ref.example/',
      p: { plan: 'team', lang: 'fr', n: '2' },
      $: { amount: 29.9, currency: 'EUR' },
      h: 1,
      i: false,
    })
  })

  test('i is only sent when false', () => {
    var b = browser()
    b.sillage('x', { interactive: true })
    b.sillage('y')
    b.sillage('z', { interactive: false })
    assert.deepEqual(
      b.bodies().map(p => [p.n, 'i' in p, p.i]),
      [
        ['pageview', false, undefined],
        ['x', false, undefined],
        ['y', false, undefined],
        ['z', true, false],
      ]
    )
  })
})

describe('custom events and the JS API', () => {
  test('props, revenue, interactive and callback', async () => {
    var b = browser()
    var got = []
    b.sillage('Purchase', {
      props: { plan: 'pro' },
      revenue: { amount: 29.9, currency: 'EUR' },
      interactive: false,
      callback: r => got.push(r),
    })
    assert.deepEqual(b.sent[1].body, {
      n: 'Purchase',
      u: 'https://example.fr/page',
      d: 'example.fr',
      r: null,
      p: { plan: 'pro' },
      $: { amount: 29.9, currency: 'EUR' },
      i: false,
    })
    assert.deepEqual(got, [])
    await b.settle()
    assert.deepEqual(JSON.parse(JSON.stringify(got)), [{ status: 202 }])
  })

  test('the callback gets status 0 when the request fails, after the retries', async () => {
    var b = browser({ data: { manual: '' }, fetch: 'reject' })
    var got = []
    b.sillage('Signup', { callback: r => got.push(r) })
    for (var i = 0; i < 3; i++) {
      await b.settle()
      assert.deepEqual(got, [])
      b.runTimers()
    }
    await b.settle()
    assert.deepEqual(JSON.parse(JSON.stringify(got)), [{ status: 0 }])
    assert.deepEqual(b.names(), ['Signup', 'Signup', 'Signup', 'Signup'])
  })

  test('the queue stub is replayed after the pageview, in order', async () => {
    var got = []
    var b = browser({
      before: STUB + `; sillage('Signup', {props: {plan: 'pro'}}); sillage('404'); sillage('Late', {callback: r => got.push(r)})`,
      globals: { got },
    })
    assert.deepEqual(b.names(), ['pageview', 'Signup', '404', 'Late'])
    assert.deepEqual(b.sent[1].body.p, { plan: 'pro' })
    assert.deepEqual(b.sent[2].body.p, { path: '/page' })
    await b.settle()
    assert.equal(got.length, 1)
    assert.equal(got[0].status, 202)
  })

  test('a stub with no call queued is replaced', () => {
    var b = browser({ before: STUB })
    assert.deepEqual(b.names(), ['pageview'])
    b.sillage('x')
    assert.deepEqual(b.names(), ['pageview', 'x'])
  })

  test("sillage('404') sends the path", () => {
    var b = browser({ href: 'https://example.fr/missing?x=1' })
    b.sillage('404', { props: { from: 'menu' } })
    assert.deepEqual(b.sent[1].body.p, { path: '/missing', from: 'menu' })
    assert.equal(b.sent[1].body.n, '404')
  })

  test('data-manual: no automatic pageview; a u option overrides the url', () => {
    var b = browser({ data: { manual: '' } })
    assert.equal(b.sent.length, 0)
    b.window.history.pushState({}, '', '/other')
    assert.equal(b.sent.length, 0)
    b.sillage('pageview', { u: 'https://example.fr/users/:id' })
    b.sillage('pageview', { u: '/relative?x=1' })
    assert.deepEqual(
      b.bodies().map(p => [p.n, p.u]),
      [
        ['pageview', 'https://example.fr/users/:id'],
        ['engagement', 'https://example.fr/users/:id'],
        ['pageview', 'https://example.fr/relative?x=1'],
      ]
    )
  })
})

describe('what is ignored', () => {
  for (var href of ['http://localhost:3000/', 'http://127.0.0.1/x', 'http://[::1]:8080/', 'file:///home/me/site/index.html'])
    test('nothing is sent from ' + href, () => {
      var b = browser({ href })
      var called = []
      b.sillage('Signup', { callback: (...a) => called.push(a) })
      assert.equal(b.sent.length, 0)
      assert.deepEqual(b.warnings, ['Ignoring Event: localhost', 'Ignoring Event: localhost'])
      assert.deepEqual(called, [[undefined]])
    })

  test('data-allow-localhost lets localhost through', () => {
    var b = browser({ href: 'http://localhost:3000/', data: { 'allow-localhost': '' } })
    assert.equal(b.sent.length, 1)
  })

  test('a host that merely starts like localhost is tracked', () => {
    var b = browser({ href: 'https://localhost.example.fr/' })
    assert.equal(b.sent.length, 1)
  })

  for (var [what, opt] of [
    ['navigator.webdriver', { navigator: { webdriver: true } }],
    ['a headless user agent', { navigator: { userAgent: 'Mozilla/5.0 HeadlessChrome/130.0' } }],
    ['window.Cypress', { globals: { Cypress: {} } }],
    ['window._phantom', { globals: { _phantom: {} } }],
    ['window.__nightmare', { globals: { __nightmare: {} } }],
  ]) {
    test('nothing is sent under ' + what, () => {
      var b = browser(opt)
      assert.equal(b.sent.length, 0)
      assert.deepEqual(b.warnings, ['Ignoring Event: automation'])
    })
    test('data-allow-automation lets ' + what + ' through', () => {
      var b = browser({ ...opt, data: { 'allow-automation': '' } })
      assert.equal(b.sent.length, 1)
    })
  }

  test("nothing is sent when localStorage.sillage_ignore is 'true'", () => {
    var b = browser({ storage: { sillage_ignore: 'true' } })
    b.sillage('Signup')
    assert.equal(b.sent.length, 0)
    assert.deepEqual(b.warnings, ['Ignoring Event: opt-out', 'Ignoring Event: opt-out'])
  })

  test('other localStorage values do not opt out', () => {
    assert.equal(browser({ storage: { sillage_ignore: 'false' } }).sent.length, 1)
  })

  test('a localStorage that throws does not stop the tracker', () => {
    var b = browser({ globals: { get localStorage() { throw new Error('SecurityError') } } })
    assert.equal(b.sent.length, 1)
  })
})

describe('single-page apps', () => {
  test('pushState, replaceState and popstate send one pageview per new url', () => {
    var b = browser()
    var h = b.window.history
    h.pushState({}, '', '/a')
    h.replaceState({}, '', '/a')
    h.pushState({}, '', '/a#section')
    h.pushState({}, '', '/b?x=1')
    b.goTo('/a')
    b.dispatch('popstate')
    b.dispatch('hashchange')
    var pv = b.bodies().filter(p => p.n == 'pageview')
    assert.deepEqual(
      pv.map(p => p.u),
      ['https://example.fr/page', 'https://example.fr/a', 'https://example.fr/b?x=1', 'https://example.fr/a']
    )
    assert.ok(pv.every(p => !('h' in p)))
  })

  test('the wrapped history methods still work and pass their arguments', () => {
    var b = browser()
    b.window.history.pushState({ id: 1 }, '', '/next')
    assert.equal(b.location.href, 'https://example.fr/next')
  })

  test('data-hash: hash changes are navigations, sent with h: 1', () => {
    var b = browser({ href: 'https://example.fr/#/home', data: { hash: '' } })
    b.goTo('/#/settings')
    b.dispatch('hashchange')
    b.dispatch('popstate')
    var pv = b.bodies().filter(p => p.n == 'pageview')
    assert.deepEqual(
      pv.map(p => [p.u, p.h]),
      [
        ['https://example.fr/#/home', 1],
        ['https://example.fr/#/settings', 1],
      ]
    )
  })
})

describe('back/forward cache', () => {
  test('a page restored from it is a new pageview, even at the same url', () => {
    var b = browser()
    b.dispatch('pageshow', { persisted: false }) // a normal load: already counted
    b.advance(3000)
    b.dispatch('pagehide', { persisted: true })
    b.hide()
    b.advance(60000)
    b.show()
    b.dispatch('pageshow', { persisted: true })
    assert.deepEqual(b.names(), ['pageview', 'engagement', 'pageview'])
    assert.equal(b.sent[2].body.u, 'https://example.fr/page')
    // The time spent in the cache is no engagement.
    b.advance(500)
    b.hide()
    assert.equal(b.sent[3].body.n, 'engagement')
    assert.equal(b.sent[3].body.e, 500)
  })

  test('not with data-manual: the page sends its own pageviews', () => {
    var b = browser({ data: { manual: '' } })
    b.dispatch('pageshow', { persisted: true })
    assert.deepEqual(b.sent, [])
  })
})

describe('engagement', () => {
  test('is sent when the page is hidden, with scroll depth and focused time', () => {
    var b = browser({ data: { 'props-plan': 'pro' } })
    b.advance(4000)
    b.window.scrollY = 1000
    b.dispatch('scroll')
    b.hide()
    assert.deepEqual(b.sent[1].body, {
      n: 'engagement',
      u: 'https://example.fr/page',
      d: 'example.fr',
      r: null,
      p: { plan: 'pro' },
      i: false,
      sd: 75,
      e: 4000,
    })
    // Hidden time does not count; nothing new, nothing sent.
    b.advance(60000)
    b.dispatch('pagehide')
    b.show()
    b.advance(500)
    b.hide()
    assert.equal(b.sent.length, 2)
    // Time adds up across short visible spells.
    b.show()
    b.advance(700)
    b.hide()
    assert.equal(b.sent.length, 3)
    assert.equal(b.sent[2].body.e, 1200)
    assert.equal(b.sent[2].body.sd, 75)
  })

  test('time spent blurred does not count', () => {
    var b = browser()
    b.advance(2000)
    b.document.focused = false
    b.dispatch('blur')
    b.advance(10000)
    b.document.focused = true
    b.dispatch('focus')
    b.advance(1000)
    b.hide()
    assert.equal(b.sent[1].body.e, 3000)
  })

  test('a deeper scroll is sent even after a short time', () => {
    var b = browser()
    b.advance(100)
    b.hide()
    assert.equal(b.sent[1].body.sd, 25)
    b.show()
    b.advance(100)
    b.window.scrollY = 1500
    b.dispatch('scroll')
    b.hide()
    assert.deepEqual([b.sent[2].body.sd, b.sent[2].body.e], [100, 100])
  })

  test('an SPA navigation sends the previous page engagement first', () => {
    var b = browser()
    b.advance(5000)
    b.window.history.pushState({}, '', '/next')
    assert.deepEqual(
      b.bodies().map(p => [p.n, p.u, p.e]),
      [
        ['pageview', 'https://example.fr/page', undefined],
        ['engagement', 'https://example.fr/page', 5000],
        ['pageview', 'https://example.fr/next', undefined],
      ]
    )
    b.advance(2000)
    b.dispatch('pagehide')
    assert.deepEqual([b.sent[3].body.n, b.sent[3].body.u, b.sent[3].body.e], ['engagement', 'https://example.fr/next', 2000])
  })

  test('no engagement for an ignored page', () => {
    var b = browser({ storage: { sillage_ignore: 'true' } })
    b.advance(5000)
    b.hide()
    assert.equal(b.sent.length, 0)
  })
})

describe('clicks', () => {
  test('class-tagged elements send their event, from a child too', () => {
    var b = browser()
    var button = b.element('button', { class: 'btn sillage-event-name=Signup sillage-event-plan=Pro+yearly' })
    var span = b.element('span', {}, b.element('i', {}, button))
    var ev = b.click(span)
    assert.deepEqual(b.sent[1].body.p, { plan: 'Pro yearly' })
    assert.equal(b.sent[1].body.n, 'Signup')
    assert.equal(ev.defaultPrevented, false)
  })

  test('a click on a tagged label counts once, not again for its control', () => {
    var b = browser()
    var tag = b.element('div', { class: 'sillage-event-name=Accept' })
    var label = b.element('label', {}, tag)
    var box = b.element('input', { type: 'checkbox' }, label)
    label.control = box
    // The browser sends the label's click, then one to its control.
    b.click(b.element('span', {}, label))
    b.click(box)
    assert.deepEqual(
      b.sent.map(s => s.body.n),
      ['pageview', 'Accept']
    )
  })

  test('tags are seen on the target and up to three levels above it', () => {
    for (var [levels, sent] of [
      [0, 2],
      [3, 2],
      [4, 1],
      [5, 1],
    ]) {
      var b = browser()
      var el = b.element('div', { class: 'sillage-event-name=Far' })
      for (var i = 0; i < levels; i++) el = b.element('div', {}, el)
      b.click(el)
      assert.equal(b.sent.length, sent, `${levels} levels below the tag`)
    }
  })

  test('outbound links: tracked, navigation waits for the request', async () => {
    var b = browser({ data: { 'outbound-links': '' } })
    var a = b.element('a', { href: 'https://other.example/x?y=1' })
    var ev = b.click(b.element('img', {}, a))
    assert.equal(ev.defaultPrevented, true)
    assert.deepEqual(b.sent[1].body, {
      n: 'Outbound Link: Click',
      u: 'https://example.fr/page',
      d: 'example.fr',
      r: null,
      p: { url: 'https://other.example/x?y=1' },
    })
    assert.deepEqual(b.navigations, [])
    await b.settle()
    assert.deepEqual(b.navigations, ['https://other.example/x?y=1'])
    assert.equal(b.timers[0].ms, 150)
    b.runTimers()
    assert.deepEqual(b.navigations, ['https://other.example/x?y=1'])
  })

  test('outbound links: navigation happens after 150 ms when the request hangs', async () => {
    var b = browser({ data: { 'outbound-links': '' }, fetch: 'pending' })
    b.click(b.element('a', { href: 'https://other.example/' }))
    await b.settle()
    assert.deepEqual(b.navigations, [])
    b.runTimers()
    assert.deepEqual(b.navigations, ['https://other.example/'])
  })

  test('outbound links: navigation happens at once when the event is ignored', () => {
    var b = browser({ data: { 'outbound-links': '' }, storage: { sillage_ignore: 'true' } })
    b.click(b.element('a', { href: 'https://other.example/' }))
    assert.deepEqual(b.navigations, ['https://other.example/'])
  })

  for (var [what, ev, attrs] of [
    ['ctrl-click', { ctrlKey: true }],
    ['meta-click', { metaKey: true }],
    ['shift-click', { shiftKey: true }],
    ['target=_blank', {}, { target: '_blank' }],
    ['rel=noreferrer', {}, { rel: 'external noreferrer' }],
  ])
    test('outbound links: ' + what + ' is tracked and left alone', () => {
      var b = browser({ data: { 'outbound-links': '' } })
      var e = b.click(b.element('a', { href: 'https://other.example/', ...attrs }), ev)
      assert.equal(b.sent[1].body.n, 'Outbound Link: Click')
      assert.equal(e.defaultPrevented, false)
      assert.equal(b.timers.length, 0)
    })

  test('outbound links: middle clicks (auxclick) are tracked, right clicks not', () => {
    var b = browser({ data: { 'outbound-links': '' } })
    var a = b.element('a', { href: 'https://other.example/' })
    var e = b.dispatch('auxclick', { target: a, button: 1 })
    b.dispatch('auxclick', { target: a, button: 2 })
    assert.deepEqual(b.names(), ['pageview', 'Outbound Link: Click'])
    assert.equal(e.defaultPrevented, false)
  })

  test('outbound links: a click the page already handled is not delayed', () => {
    var b = browser({ data: { 'outbound-links': '' } })
    var e = b.click(b.element('a', { href: 'https://other.example/' }), { defaultPrevented: true })
    assert.equal(b.sent.length, 2)
    assert.equal(b.timers.length, 0)
    assert.equal(e.defaultPrevented, true)
  })

  test('links to this host, mailto:, anchors without href and unflagged outbound links send nothing', () => {
    var b = browser({ data: { 'outbound-links': '', 'file-downloads': '' } })
    b.click(b.element('a', { href: '/local' }))
    b.click(b.element('a', { href: 'mailto:a@example.fr' }))
    b.click(b.element('a', { name: 'report.pdf' }))
    assert.equal(b.sent.length, 1)
    assert.equal(b.timers.length, 0)
    var c = browser()
    c.click(c.element('a', { href: 'https://other.example/' }))
    assert.equal(c.sent.length, 1)
  })

  test('file downloads: the default extensions', () => {
    var b = browser({ data: { 'file-downloads': '' } })
    b.click(b.element('a', { href: '/files/report.PDF?v=2' }))
    b.click(b.element('a', { href: '/files/page.html' }))
    b.click(b.element('a', { href: 'https://cdn.example/app.dmg', download: '' }))
    assert.deepEqual(
      b.bodies().map(p => [p.n, p.p && p.p.url]),
      [
        ['pageview', undefined],
        ['File Download', 'https://example.fr/files/report.PDF?v=2'],
        ['File Download', 'https://cdn.example/app.dmg'],
      ]
    )
    // A download attribute means no navigation: no delay.
    assert.equal(b.timers.length, 1)
  })

  test('file downloads: a list of extensions overrides the default', () => {
    var b = browser({ data: { 'file-downloads': 'epub, mobi' } })
    b.click(b.element('a', { href: '/book.epub' }))
    b.click(b.element('a', { href: '/book.pdf' }))
    assert.deepEqual(b.names(), ['pageview', 'File Download'])
  })
})

describe('forms', () => {
  test('data-forms: submissions send the path', () => {
    var b = browser({ href: 'https://example.fr/contact?x=1', data: { forms: '' } })
    b.dispatch('submit', { target: b.element('form') })
    assert.deepEqual(b.sent[1].body.n, 'Form: Submission')
    assert.deepEqual(b.sent[1].body.p, { path: '/contact' })
    var c = browser()
    c.dispatch('submit', { target: c.element('form') })
    assert.equal(c.sent.length, 1)
  })
})

describe('retries', () => {
  // A page with data-manual (no automatic pageview) whose next requests get
  // `answers`; `calls` collects what the callbacks got.
  var page = answers => {
    var b = browser({ data: { manual: '' }, answers })
    b.calls = []
    b.send = name => b.sillage(name, { callback: r => b.calls.push([name, JSON.parse(JSON.stringify(r))]) })
    b.delays = () => b.timers.map(t => t.ms)
    return b
  }

  test('502, 503, 504, 429 and network errors are sent again, after Retry-After (10 s at most) or 1, 2, 3 s', async () => {
    for (var [answers, delays, status] of [
      [[[503, 1]], [1000], 202],
      [[[429, 2]], [2000], 202],
      [[502], [1000], 202],
      [[[504, 3]], [3000], 202],
      [[[503, 60]], [10000], 202],
      [['reject'], [1000], 202],
      [[503, 'reject', [503, 'soon']], [1000, 2000, NaN], 202],
      [[[503, 5], [503, 5], [503, 5], [503, 5]], [5000, 5000, 5000], 503],
      [['reject', 'reject', 'reject', 'reject'], [1000, 2000, 3000], 0],
    ]) {
      var what = JSON.stringify(answers)
      var b = page(answers)
      b.send('Signup')
      var seen = []
      for (;;) {
        await b.settle()
        if (!b.timers.length) break
        seen.push(...b.delays())
        b.runTimers()
      }
      assert.deepEqual(seen, delays, what)
      assert.equal(b.sent.length, delays.length + 1, what)
      assert.deepEqual(b.calls, [['Signup', { status }]], what)
      assert.ok(b.sent.every(s => s.options.keepalive && s.options.body == b.sent[0].options.body), what)
    }
  })

  test('other answers are final: a 2xx, a 4xx other than 429, a 500, a 501, a 505', async () => {
    for (var status of [200, 202, 204, 400, 404, 413, 500, 501, 505]) {
      var b = page([status])
      b.send('Signup')
      await b.settle()
      assert.deepEqual(b.timers, [], String(status))
      assert.deepEqual(b.calls, [['Signup', { status }]])
      assert.equal(b.sent.length, 1)
    }
  })

  test('events sent while one waits go after it, in order; each once', async () => {
    var b = page([[503, 1]])
    b.send('pageview')
    await b.settle()
    // Waiting: what comes next is held back, the engagement too.
    b.send('Signup')
    b.advance(5000)
    b.hide()
    assert.deepEqual(b.names(), ['pageview'])
    b.runTimers()
    assert.deepEqual(b.names(), ['pageview', 'pageview', 'Signup', 'engagement'])
    await b.settle()
    assert.deepEqual(b.calls, [['pageview', { status: 202 }], ['Signup', { status: 202 }]])
    // Nothing waits any more: the next one goes at once, and nothing is sent twice.
    b.send('Late')
    await b.settle()
    assert.deepEqual(b.timers, [])
    assert.deepEqual(b.names(), ['pageview', 'pageview', 'Signup', 'engagement', 'Late'])
  })

  test('after an event gave up, later ones are not retried until one gets an answer', async () => {
    var b = page(['reject', 'reject', 'reject', 'reject', 'reject', [503, 1]])
    b.send('First')
    for (var i = 0; i < 3; i++) await b.settle(), b.runTimers()
    await b.settle()
    assert.deepEqual(b.calls, [['First', { status: 0 }]])
    // The endpoint looks blocked: the next event's callback is not kept waiting.
    b.send('Second')
    await b.settle()
    assert.deepEqual(b.timers, [])
    assert.deepEqual(b.calls.at(-1), ['Second', { status: 0 }])
    // A 503 is an answer, but not a final one: still none retried...
    b.send('Third')
    await b.settle()
    assert.deepEqual(b.calls.at(-1), ['Third', { status: 503 }])
    // ...until an event gets through.
    b.send('Fourth')
    await b.settle()
    b.answers.push([503, 1])
    b.send('Fifth')
    await b.settle()
    assert.deepEqual(b.delays(), [1000])
    b.runTimers()
    await b.settle()
    assert.deepEqual(b.calls.at(-1), ['Fifth', { status: 202 }])
    assert.deepEqual(b.names(), ['First', 'First', 'First', 'First', 'Second', 'Third', 'Fourth', 'Fifth', 'Fifth'])
  })
})

describe('transport and robustness', () => {
  test('sendBeacon when fetch throws', () => {
    var b = browser({ fetch: 'throw' })
    assert.equal(b.sent[0].via, 'beacon')
    assert.equal(b.sent[0].url, 'https://stats.example.fr/api/event')
    assert.equal(b.sent[0].body.n, 'pageview')
  })

  test('sendBeacon when fetch is missing, and the callback is still called', () => {
    var b = browser({ fetch: 'missing' })
    var got = []
    b.sillage('Signup', { callback: r => got.push(r) })
    assert.deepEqual(b.sent.map(s => s.via), ['beacon', 'beacon'])
    assert.equal(got.length, 1)
    assert.equal(got[0].status, undefined)
  })

  test('never throws into the page', () => {
    var b = browser({ fetch: 'missing', navigator: { sendBeacon: undefined } })
    b.sillage('Signup')
    b.sillage('Signup', { props: { a: 1 }, callback: () => { throw new Error('site bug') } })
    b.click({})
    b.click(b.element('a', { href: 'https://other.example/' }))
    b.hide()
    b.window.history.pushState({}, '', '/x')
    assert.equal(b.location.href, 'https://example.fr/x')
    assert.doesNotThrow(() => browser({ noScript: true }))
  })

  test('a failing history method still throws its own error', () => {
    var b = browser({ before: 'history.pushState = () => { throw new Error("SecurityError") }' })
    assert.throws(() => b.window.history.pushState({}, '', 'https://elsewhere.example/'), /SecurityError/)
  })
})
