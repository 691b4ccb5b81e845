// Plausible drop-in, in a real browser against the real binary:
// - a page written for Plausible (its stub, a legacy script name with
//   extensions, plausible() calls before and after load, plausible-event-*
//   classes, event-* attributes, outbound and download clicks) is counted
//   as Plausible counts it;
// - Plausible's official tracker, its npm package
//   (@plausible-analytics/tracker), set up with init() and pointed at
//   Sillage, is counted: pageviews, SPA navigation, custom events with
//   props and revenue, outbound links, file downloads.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, afterEach, before, describe, test } from 'node:test'
import { SITE, fileName, finish, leftovers, open, setup } from './harness.js'

var env, sillage, fx
before(async () => {
  env = await setup(fileName(import.meta.url))
  ;({ sillage, fx } = env)
})
afterEach(t => leftovers(env, t))
after(() => env?.close())

// Plausible's documented queue stub, as sites paste it.
var PLAUSIBLE_STUB =
  'window.plausible = window.plausible || function() { (window.plausible.q = window.plausible.q || []).push(arguments) }'

// Rows but the engagement events' (how many arrive depends on timing).
var withoutEngagement = r => Object.fromEntries(Object.entries(r.byDim).filter(([k]) => !k.startsWith('engagement|')))
var perPage = path => ({ metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['contains', 'event:page', [path]]] })
var byNameAndProp = (path, prop) => ({
  metrics: ['events'],
  dimensions: ['event:name', 'event:props:' + prop],
  filters: [['contains', 'event:page', [path]]],
})

describe('a page written for Plausible', () => {
  test('legacy script name with extensions, plausible() before and after load, tagged classes, outbound and download clicks', async t => {
    var away = fx.url('/partner', 'localhost') // another host name
    var file = fx.url('/files/guide.pdf')
    // `local` lets 127.0.0.1 through, as Plausible's extension does;
    // data-allow-automation is Sillage's, for the automated browser.
    var src = `${sillage.origin}/js/script.local.outbound-links.file-downloads.tagged-events.revenue.pageview-props.js`
    var head = `<script>${PLAUSIBLE_STUB}</script>
      <script>plausible('Signup', { props: { plan: 'pro' }, revenue: { amount: 29.9, currency: 'EUR' } })</script>
      <script defer data-domain="${SITE}" data-api="${sillage.api}" data-allow-automation event-author="Ana" src="${src}"></script>`
    var body = `<button id="buy" class="btn plausible-event-name=Add+to+cart plausible-event-item=Mug">Add</button>
      <a id="out" href="${away}">partner</a> <a id="pdf" href="${file}">guide</a>`
    var url = fx.add('/plausible/page', { noTracker: true, head, body })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(2)
    await v.page.evaluate(() => plausible('Later', { props: { step: '2' } }))
    await v.page.click('#buy')
    await v.wait(4)
    await v.page.click('#pdf')
    await v.page.waitForURL(file)
    // Back on the page, its inline plausible() call is queued again.
    await v.page.goBack()
    await v.wait(es => es.filter(e => e.name == 'Signup').length == 2)
    await v.page.click('#out')
    await v.page.waitForURL(away)
    await v.wait(es => es.some(e => e.name == 'Outbound Link: Click'))
    var base = { u: url, d: SITE, r: null }
    // Engagement events (Plausible's legacy scripts send them too) are
    // left out here: those of a page being left are not all seen.
    assert.deepEqual(
      v.events.filter(e => e.name != 'engagement').map(e => e.body),
      [
        { n: 'pageview', ...base, p: { author: 'Ana' } },
        { n: 'Signup', ...base, p: { author: 'Ana', plan: 'pro' }, $: { amount: 29.9, currency: 'EUR' } },
        { n: 'Later', ...base, p: { author: 'Ana', step: '2' } },
        { n: 'Add to cart', ...base, p: { author: 'Ana', item: 'Mug' } },
        { n: 'File Download', ...base, p: { author: 'Ana', url: file } },
        { n: 'pageview', ...base, p: { author: 'Ana' } },
        { n: 'Signup', ...base, p: { author: 'Ana', plan: 'pro' }, $: { amount: 29.9, currency: 'EUR' } },
        { n: 'Outbound Link: Click', ...base, p: { author: 'Ana', url: away } },
      ]
    )
    await finish(env, t, v)

    await sillage.pollFor(
      byNameAndProp('/plausible/page', 'author'),
      {
        'pageview|Ana': [2],
        'Signup|Ana': [2],
        'Later|Ana': [1],
        'Add to cart|Ana': [1],
        'File Download|Ana': [1],
        'Outbound Link: Click|Ana': [1],
      },
      withoutEngagement
    )
    await sillage.pollFor(byNameAndProp('/plausible/page', 'url'), [[1], [1]], r => [r.byDim['File Download|' + file], r.byDim['Outbound Link: Click|' + away]])
    await sillage.revenueGoal('Signup')
    await sillage.pollFor(
      { metrics: ['total_revenue'], filters: [['is', 'event:name', ['Signup']], ['contains', 'event:page', ['/plausible/page']]] },
      [{ short: '€59.8', long: '€59.80', value: 59.8, currency: 'EUR' }],
      r => r[0]?.metrics
    )
  })

  test('plausible.init of the current script: transformRequest, logging, bindToWindow; the url option; revenue classes', async t => {
    // Plausible's current snippet: the stub with init, then the script.
    // The path's number is cleaned up by transformRequest, which also
    // drops the event `Secret`; logging: false keeps the console quiet.
    var head = `<script>${PLAUSIBLE_STUB}
      plausible.init = plausible.init || function(i) { plausible.o = i || {} }
      plausible.init({ endpoint: '${sillage.api}', captureOnLocalhost: true, logging: false, bindToWindow: false,
        transformRequest: p => p.n == 'Secret' ? null : { ...p, u: p.u.replace(/\\/users\\/\\d+/, '/users/:id') } })
      plausible('Secret')
    </script>
    <script defer data-domain="${SITE}" data-allow-automation src="${sillage.origin}/js/script.js"></script>`
    var body = `<button id="buy" class="plausible-event-name=Purchase plausible-revenue-amount=29.90 plausible-revenue-currency=EUR">Buy</button>`
    var url = fx.add('/init/users/42', { noTracker: true, head, body })
    var clean = fx.url('/init/users/:id')
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    // bindToWindow: false: window.plausible is still the page's stub.
    assert.equal(await v.page.evaluate(() => window.plausible === window.sillage), false)
    await v.page.evaluate(step => sillage('Signup', { url: step }), fx.url('/init/checkout/:step'))
    await v.page.click('#buy')
    await v.wait(es => es.some(e => e.name == 'Purchase'))
    await v.wait(es => es.every(e => e.status || e.failed))
    var base = { d: SITE, r: null }
    assert.deepEqual(
      v.events.filter(e => e.name != 'engagement').map(e => e.body),
      [
        { n: 'pageview', u: clean, ...base },
        { n: 'Signup', u: fx.url('/init/checkout/:step'), ...base },
        { n: 'Purchase', u: clean, ...base, $: { amount: '29.90', currency: 'EUR' } },
      ]
    )
    assert.deepEqual(v.warnings.filter(w => /Ignoring Event/.test(w)), [])
    await finish(env, t, v)

    await sillage.pollFor(byNameAndProp('/init/', 'url'), { 'pageview|(none)': [1], 'Signup|(none)': [1], 'Purchase|(none)': [1] }, withoutEngagement)
    // Visitors and pageviews by page: the cleaned-up path; the custom
    // event's own url.
    await sillage.pollFor(perPage('/init/'), { '/init/users/:id': [1, 1], '/init/checkout/:step': [1, 0] })
    await sillage.revenueGoal('Purchase')
    await sillage.pollFor(
      { metrics: ['total_revenue'], filters: [['is', 'event:name', ['Purchase']], ['contains', 'event:page', ['/init/']]] },
      [{ short: '€29.9', long: '€29.90', value: 29.9, currency: 'EUR' }],
      r => r[0]?.metrics
    )
  })

  test('an unknown extension or /js/ path is a 404, not the dashboard', async () => {
    for (var path of ['/js/script.unknown.js', '/js/nope.js', '/js/script.hash.hash.js']) {
      var r = await fetch(sillage.origin + path)
      assert.equal(r.status, 404, path)
      assert.doesNotMatch(await r.text(), /<html/i, path)
    }
    var r = await fetch(sillage.origin + '/js/script.hash.outbound-links.js')
    assert.equal(r.status, 200)
    assert.match(r.headers.get('content-type'), /javascript/)
  })
})

describe("Plausible's official tracker (npm @plausible-analytics/tracker)", () => {
  test('init() pointed at Sillage: pageviews, SPA navigation, custom events with props and revenue, outbound links, file downloads', async t => {
    fx.file('/npm/plausible.js', readFileSync(new URL('../../node_modules/@plausible-analytics/tracker/plausible.js', import.meta.url)))
    var away = fx.url('/npm-partner', 'localhost')
    var file = fx.url('/files/report.xlsx')
    // window.__plausible: Plausible's own switch to run under an
    // automated browser.
    var head = `<script type="module">
      import { init, track } from '/npm/plausible.js'
      window.__plausible = true
      init({ domain: '${SITE}', endpoint: '${sillage.api}', captureOnLocalhost: true,
        outboundLinks: true, fileDownloads: true, customProperties: { author: 'Ana' } })
      window.track = track
    </script>`
    var body = `<a id="out" href="${away}">partner</a> <a id="file" href="${file}">report</a>`
    var url = fx.add('/npm/first', { noTracker: true, head, body })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    await v.page.evaluate(() => history.pushState({}, '', '/npm/second'))
    await v.wait(2)
    await v.page.evaluate(() => track('Signup', { props: { plan: 'pro' }, revenue: { amount: '19.90', currency: 'EUR' } }))
    await v.wait(3)
    // Middle clicks (Plausible's tracker tracks them): this tracker does
    // not hold a leaving click, so a request of a page being left could be
    // cut short, and the test would count on luck.
    await v.page.click('#file', { button: 'middle' })
    await v.wait(es => es.some(e => e.name == 'File Download'))
    await v.page.click('#out', { button: 'middle' })
    await v.wait(es => es.some(e => e.name == 'Outbound Link: Click'))
    // Every request answered before the page is left (the engagement
    // event that leaving sends is not awaited).
    await v.wait(es => es.every(e => e.status || e.failed))
    // A page load of the first page again.
    await v.page.goto(url)
    await v.wait(es => es.filter(e => e.name == 'pageview').length == 3)
    // Every event it sent was taken (but the engagement event of the page
    // left, which leaving may cut short).
    await v.wait(es => es.every(e => e.status || e.failed))
    assert.deepEqual(
      v.events.filter(e => e.status != 202 && e.name != 'engagement').map(e => [e.body, e.status, e.failed]),
      [],
      'events not accepted'
    )
    await finish(env, t, v, { errors: false })

    await sillage.pollFor(perPage('/npm/'), { '/npm/first': [1, 2], '/npm/second': [1, 1] })
    await sillage.pollFor(byNameAndProp('/npm/', 'plan'), [1], r => r.byDim['Signup|pro'])
    await sillage.pollFor(byNameAndProp('/npm/', 'author'), [[3], [1]], r => [r.byDim['pageview|Ana'], r.byDim['Signup|Ana']])
    await sillage.pollFor(byNameAndProp('/npm/', 'url'), [[1], [1]], r => [r.byDim['File Download|' + file], r.byDim['Outbound Link: Click|' + away]])
    await sillage.revenueGoal('Signup')
    await sillage.pollFor(
      { metrics: ['total_revenue'], filters: [['is', 'event:name', ['Signup']], ['contains', 'event:page', ['/npm/']]] },
      [{ short: '€19.9', long: '€19.90', value: 19.9, currency: 'EUR' }],
      r => r[0]?.metrics
    )
  })
})

describe("a site's own script, /js/s/<token>.js", () => {
  test('carries the features ticked in the settings, with the domain baked in', async t => {
    var got = await sillage.api2('GET', `/api/sites/${SITE}/script`)
    assert.equal(got.status, 200, JSON.stringify(got.body))
    assert.deepEqual(got.body.features, ['engagement', 'retry'])
    var path = got.body.path
    assert.match(path, /^\/js\/s\/[0-9a-f]{24}\.js$/)
    // Ticked before the script is first asked for (the collector reads the
    // settings again each minute: collector/script_test.go checks that).
    got = await sillage.api2('PUT', `/api/sites/${SITE}/script`, { features: ['outbound', 'tagged'] })
    assert.equal(got.status, 200, JSON.stringify(got.body))
    assert.equal(got.body.path, path, 'the snippet does not change')
    // The snippet's tag, with only what a test browser needs on top.
    var away = fx.url('/site-script-partner', 'localhost')
    var head = `<script defer data-allow-localhost data-allow-automation src="${sillage.origin}${path}"></script>`
    var body = `<button id="cta" class="sillage-event-name=Cta">Go</button> <a id="out" href="${away}">partner</a>`
    var url = fx.add('/site-script/page', { noTracker: true, head, body })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    await v.page.click('#cta')
    await v.wait(2)
    await v.page.click('#out')
    await v.page.waitForURL(away)
    await v.wait(3)
    assert.deepEqual(
      v.events.map(e => e.body),
      [
        { n: 'pageview', u: url, d: SITE, r: null },
        { n: 'Cta', u: url, d: SITE, r: null },
        { n: 'Outbound Link: Click', u: url, d: SITE, r: null, p: { url: away } },
      ]
    )
    await finish(env, t, v)
    await sillage.pollFor(
      { metrics: ['events'], dimensions: ['event:name'], filters: [['is', 'event:page', ['/site-script/page']]] },
      { pageview: [1], Cta: [1], 'Outbound Link: Click': [1] }
    )
    // No variant has just those two: the one with every feature, with the
    // domain, outbound links on and engagement off baked in.
    var js = await (await fetch(sillage.origin + path)).text()
    assert.match(js, /"domain":"shop\.example\.test"/)
    assert.match(js, /"outboundLinks":""/)
    assert.match(js, /"noEngagement":""/)
  })
})
