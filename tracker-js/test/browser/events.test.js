// Events in a real browser: the JS API with the queue stub, revenue and
// callback; tagged elements; outbound links, file downloads and forms that
// leave the page (the event must not be lost); 404; engagement.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { SITE, fileName, finish, leftovers, open, setup, sleep, until } from './harness.js'

var env, sillage, fx
before(async () => {
  env = await setup(fileName(import.meta.url))
  ;({ sillage, fx } = env)
})
afterEach(t => leftovers(env, t))
after(() => env?.close())

// Events per name and property `prop`, for the page `path`.
var byNameAndProp = (path, prop) => ({
  metrics: ['events'],
  dimensions: ['event:name', 'event:props:' + prop],
  filters: [['is', 'event:page', [path]]],
})

describe('events', () => {
  test('custom event with props, revenue and callback, queued before the script loaded', async t => {
    // Inline code that runs before the deferred script: the stub queues.
    var inline = `
      window.results = []
      sillage('Signup', { props: { plan: 'pro' }, revenue: { amount: 29.9, currency: 'EUR' },
        callback: r => results.push(['Signup', r]) })
      sillage('Newsletter', { interactive: false, callback: r => results.push(['Newsletter', r]) })`
    var url = fx.add('/custom/pricing', { stub: true, inline })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(3)
    // The pageview first, then the queued calls in order.
    assert.deepEqual(v.names(), ['pageview', 'Signup', 'Newsletter'])
    assert.deepEqual(v.events[1].body, {
      n: 'Signup',
      u: url,
      d: SITE,
      r: null,
      p: { plan: 'pro' },
      $: { amount: 29.9, currency: 'EUR' },
    })
    assert.deepEqual(v.events[2].body, { n: 'Newsletter', u: url, d: SITE, r: null, i: false })
    // Each callback got the response's status, once.
    var results = await v.page.waitForFunction(() => results.length == 2 && results).then(h => h.jsonValue())
    assert.deepEqual(results.sort(), [['Newsletter', { status: 202 }], ['Signup', { status: 202 }]])
    // And after load, the real function.
    await v.page.evaluate(() => sillage('Signup', { props: { plan: 'team' }, revenue: { amount: '10.10', currency: 'EUR' } }))
    await v.wait(4)
    await finish(env, t, v)

    await sillage.pollFor(byNameAndProp('/custom/pricing', 'plan'), {
      'pageview|(none)': [1],
      'Signup|pro': [1],
      'Signup|team': [1],
      'Newsletter|(none)': [1],
    })
    // Revenue, counted through a revenue goal (as in Plausible: without
    // one, no revenue), created with the key (its owner's).
    await sillage.revenueGoal('Signup')
    await sillage.pollFor(
      {
        metrics: ['events', 'total_revenue'],
        filters: [['is', 'event:name', ['Signup']], ['is', 'event:page', ['/custom/pricing']]],
      },
      [2, { short: '€40.0', long: '€40.00', value: 40, currency: 'EUR' }],
      r => r[0]?.metrics
    )
    // And by goal.
    await sillage.pollFor(
      {
        metrics: ['visitors', 'events', 'total_revenue', 'average_revenue'],
        dimensions: ['event:goal'],
        filters: [['is', 'event:page', ['/custom/pricing']]],
      },
      {
      Signup: [1, 2, { short: '€40.0', long: '€40.00', value: 40, currency: 'EUR' }, { short: '€20.0', long: '€20.00', value: 20, currency: 'EUR' }],
    }
    )
  })

  test('tagged elements: clicks on them (or their children) send their event', async t => {
    var body = `
      <button id="cta" class="btn sillage-event-name=Cta+Click sillage-event-position=hero+top">
        <span><b id="inner">Start now</b></span></button>
      <div class="sillage-event-name=Too+Deep"><div><div><div><span id="deep">four levels down</span></div></div></div></div>
      <a id="nav" href="/tagged/next" class="sillage-event-name=Nav+Click sillage-event-to=next">next page</a>`
    var url = fx.add('/tagged/page', { body })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    await v.page.click('#inner') // two levels below the tagged button
    await v.wait(2)
    assert.deepEqual(v.events[1].body, { n: 'Cta Click', u: url, d: SITE, r: null, p: { position: 'hero top' } })
    await v.page.click('#deep') // more than three levels below: nothing
    await sleep(200)
    assert.equal(v.events.length, 2)
    // A tagged link that leaves the page: the event goes, then the page.
    await v.page.click('#nav')
    await v.page.waitForURL(fx.url('/tagged/next'))
    assert.deepEqual(v.events[2].body, { n: 'Nav Click', u: url, d: SITE, r: null, p: { to: 'next' } })
    await finish(env, t, v)

    await sillage.pollFor(byNameAndProp('/tagged/page', 'position'), { 'pageview|(none)': [1], 'Cta Click|hero top': [1], 'Nav Click|(none)': [1] })
  })

  test('a slow collector does not hold an outbound click until it answers', async t => {
    var away = fx.url('/landing?from=slow', 'localhost')
    var url = fx.add('/outbound/slow', { attrs: 'data-outbound-links', body: `<a id="out" href="${away}">partner site</a>` })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    // From now on the collector answers only once the page has left: a
    // script that waited for the answer would never navigate, and the
    // wait for the navigation below would run out. No clock is compared:
    // the proof is the order (event sent, page left, then answered).
    var release
    var gate = new Promise(r => (release = r))
    var held = []
    await v.page.route(sillage.api, async route => {
      held.push({ body: JSON.parse(route.request().postData()), answered: false })
      var h = held.at(-1)
      await gate
      h.answered = true
      await route.continue().catch(() => {}) // the page is gone by then
    })
    try {
      await v.page.click('#out')
      await v.page.waitForURL(away, { waitUntil: 'commit', timeout: 20000 })
      // What the collector had seen when the page left.
      var left = held.map(h => ({ ...h }))
    } finally {
      release()
    }
    // The click's event had been sent, and had no answer yet.
    assert.deepEqual(left[0]?.body, { n: 'Outbound Link: Click', u: url, d: SITE, r: null, p: { url: away } })
    assert.equal(left[0].answered, false, 'the collector had answered before the page left')
    await until(() => held[0].answered)
    await finish(env, t, v)
  })

  test('outbound link that navigates away: the event is not lost', async t => {
    var away = fx.url('/landing?from=shop', 'localhost') // another host name
    var elsewhere = fx.url('/elsewhere', 'localhost')
    var body = `<a id="out" href="${away}">partner site</a>
      <a id="blank" target="_blank" href="${elsewhere}">in a new tab</a>
      <a id="same" href="/outbound/inside">same host</a>`
    var url = fx.add('/outbound/page', { attrs: 'data-outbound-links', body })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    // target=_blank: tracked, left to the browser (a new tab opens).
    var [tab] = await Promise.all([v.context.waitForEvent('page'), v.page.click('#blank')])
    await v.wait(2)
    await tab.close()
    // A link to the same host is no outbound link.
    await v.page.click('#same')
    await v.page.waitForURL(fx.url('/outbound/inside'))
    await v.page.goBack()
    await v.wait(3) // the pageview of the page come back to
    var started = Date.now()
    await v.page.click('#out')
    await v.page.waitForURL(away)
    var held = Date.now() - started
    await v.wait(4)
    assert.deepEqual(
      v.events.map(e => e.body),
      [
        { n: 'pageview', u: url, d: SITE, r: null },
        { n: 'Outbound Link: Click', u: url, d: SITE, r: null, p: { url: elsewhere } },
        { n: 'pageview', u: url, d: SITE, r: null },
        { n: 'Outbound Link: Click', u: url, d: SITE, r: null, p: { url: away } },
      ]
    )
    // The click held the navigation until the collector had answered (or
    // 150 ms): the event's request went first. Its answer is 202, or,
    // when the machine is slow enough for the 150 ms to run out, the
    // page's view of it is cut as the page leaves (ERR_ABORTED; the
    // keepalive request still arrives: the count below proves it). How
    // long the click waited is no proof: the slow-collector test above
    // shows that a missing answer does not hold it.
    var out = v.events[3]
    var navigation = v.requests.findIndex(r => r.url() == away)
    assert.ok(v.requests.indexOf(out.request) < navigation, 'the event left before the page')
    var answer = await until(() => out.status || out.failed)
    assert.ok(answer == 202 || answer == 'net::ERR_ABORTED', `the event was answered ${answer}`)
    t.diagnostic(`click to navigation: ${held} ms, event answered: ${answer}`)
    await finish(env, t, v)

    await sillage.pollFor(byNameAndProp('/outbound/page', 'url'), {
      'pageview|(none)': [2],
      [`Outbound Link: Click|${away}`]: [1],
      [`Outbound Link: Click|${elsewhere}`]: [1],
    })
  })

  test('file download link: File Download with the url, then the file', async t => {
    var body = `<a id="pdf" href="/files/price-list.PDF?v=2">price list (PDF)</a>
      <a id="html" href="/files/page.html">a page, not a file</a>
      <a id="epub" href="/files/book.epub">a book</a>`
    var url = fx.add('/downloads/page', { attrs: 'data-file-downloads data-outbound-links', body })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    await v.page.click('#pdf')
    await v.page.waitForURL(fx.url('/files/price-list.PDF?v=2'))
    await v.wait(2)
    assert.deepEqual(v.events[1].body, {
      n: 'File Download',
      u: url,
      d: SITE,
      r: null,
      p: { url: fx.url('/files/price-list.PDF?v=2') },
    })
    await v.page.goBack()
    await v.wait(3) // the pageview of the page come back to
    await v.page.click('#html') // same host, not a download: no event
    await v.page.waitForURL(fx.url('/files/page.html'))
    await v.page.goBack()
    await v.wait(4)
    await v.page.click('#epub') // not in the default list
    await v.page.waitForURL(fx.url('/files/book.epub'))
    await sleep(200)
    assert.deepEqual(v.names(), ['pageview', 'File Download', 'pageview', 'pageview'])
    await finish(env, t, v)

    // A custom list of extensions replaces the default one.
    var custom = fx.add('/downloads/custom', { attrs: 'data-file-downloads="epub, mobi"', body })
    var w = await open(env)
    await w.page.goto(custom)
    await w.wait(1)
    await w.page.click('#epub')
    await w.page.waitForURL(fx.url('/files/book.epub'))
    await w.wait(2)
    assert.deepEqual(w.events[1].body.p, { url: fx.url('/files/book.epub') })
    await finish(env, { name: t.name + ' (custom list)' }, w)

    await sillage.pollFor(
      {
        metrics: ['events'],
        dimensions: ['event:page', 'event:props:url'],
        filters: [['is', 'event:name', ['File Download']], ['contains', 'event:page', ['/downloads/']]],
      },
      {
      [`/downloads/page|${fx.url('/files/price-list.PDF?v=2')}`]: [1],
      [`/downloads/custom|${fx.url('/files/book.epub')}`]: [1],
    }
    )
  })

  test('form submission: Form: Submission with the path, and the form still submits', async t => {
    var body = `<form action="/forms/thanks" method="post">
      <input name="email" value="ana@example.test"><button id="send">Send</button></form>`
    var url = fx.add('/forms/contact', { attrs: 'data-forms', body })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    await v.page.click('#send')
    await v.page.waitForURL(fx.url('/forms/thanks'))
    await v.wait(2)
    assert.deepEqual(v.events[1].body, { n: 'Form: Submission', u: url, d: SITE, r: null, p: { path: '/forms/contact' } })
    await finish(env, t, v)

    // The request left with the page: the server got it all the same.
    await sillage.pollFor(byNameAndProp('/forms/contact', 'path'), { 'pageview|(none)': [1], 'Form: Submission|/forms/contact': [1] })
  })

  test('sillage("404") from a not-found page', async t => {
    var url = fx.add('/nf/no-such-page', { stub: true, inline: "sillage('404')", title: 'Page not found' })
    var v = await open(env)
    await v.page.goto(url + '?ref=old-link')
    await v.wait(2)
    assert.deepEqual(v.events[1].body, {
      n: '404',
      u: url + '?ref=old-link',
      d: SITE,
      r: null,
      p: { path: '/nf/no-such-page' },
    })
    await finish(env, t, v)

    await sillage.pollFor(byNameAndProp('/nf/no-such-page', 'path'), { 'pageview|(none)': [1], '404|/nf/no-such-page': [1] })
  })

  test('engagement: sent when the page is hidden and when it is left, with sd and e', async t => {
    fx.add('/engage/next')
    // Through the tap, which sees the request of the page being left; in a
    // browser of its own, whose user agent that request carries too.
    var url = fx.add('/engage/long', {
      api: env.tap.api,
      body: '<p>A long article.</p><div style="height:3000px;background:linear-gradient(#fff,#9bd)"></div><p id="end">The end.</p>',
    })
    var v = await open(env, { own: true })
    await v.page.goto(url)
    await v.wait(1)
    // Read for a while, then scroll to the end.
    await sleep(1100)
    await v.page.mouse.move(400, 300)
    await v.page.mouse.wheel(0, 4000)
    await v.page.waitForFunction(() => scrollY + innerHeight >= document.documentElement.scrollHeight - 1)
    await sleep(100)
    // Headless Chromium never hides a page (no tab switch, no minimised
    // window), so this one is made to say it is hidden, and told so with a
    // real visibilitychange event, as a browser does.
    var setHidden = hidden =>
      v.page.evaluate(hidden => {
        if (hidden) {
          Object.defineProperty(document, 'hidden', { configurable: true, get: () => true })
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' })
        } else {
          delete document.hidden
          delete document.visibilityState
        }
        document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
      }, hidden)
    await setHidden(true)
    await v.wait(es => es.some(e => e.name == 'engagement'))
    var [hidden] = v.named('engagement')
    assert.equal(hidden.body.u, url)
    assert.equal(hidden.body.i, false)
    assert.equal(hidden.body.sd, 100)
    assert.ok(hidden.body.e >= 1000 && hidden.body.e < 10000, `e = ${hidden.body.e}`)
    // Hidden again without news: nothing more.
    await setHidden(true)
    await sleep(200)
    assert.equal(v.named('engagement').length, 1)
    // Visible again, then the page is left (a real pagehide).
    await setHidden(false)
    await sleep(1100)
    await v.page.goto(fx.url('/engage/next'))
    var mine = () => env.tap.hits.filter(h => h.headers['user-agent'] == v.userAgent)
    var left = await until(() => mine().filter(h => h.body.n == 'engagement')[1], { what: 'the engagement of the page left' })
    assert.equal(left.body.u, url)
    assert.equal(left.body.i, false)
    assert.equal(left.body.sd, 100)
    assert.ok(left.body.e >= 1000 && left.body.e < 10000, `e = ${left.body.e}`)
    await until(() => left.status, { what: "the collector's answer" })
    assert.equal(left.status, 202)
    // Every request went out with the visitor's user agent and as text/plain.
    for (var h of mine()) assert.equal(h.headers['content-type'], 'text/plain;charset=UTF-8')
    assert.deepEqual(
      mine().map(h => h.body.n),
      ['pageview', 'engagement', 'engagement'] // the next page sends to the collector itself
    )
    await finish(env, t, v)

    // Engagement is no event in the counts, but gives scroll depth and time on
    // page. Wait for the exact answer: both engagement events must be in.
    var want = Math.round((hidden.body.e + left.body.e) / 1000)
    var query = {
      metrics: ['pageviews', 'events', 'scroll_depth', 'time_on_page'],
      dimensions: ['event:page'],
      filters: [['is', 'event:page', ['/engage/long']]],
    }
    await sillage.pollFor(query, [[1, 1, 100, want]], r => r.map(row => row.metrics))
  })

  test('a page restored from the back/forward cache is counted again', async t => {
    // Playwright turns the back/forward cache off; this browser has it on.
    // The pages may be cached (no "no-store"), and the visitor's own
    // browser carries its user agent into the requests of pages being left.
    var headers = { 'Cache-Control': 'max-age=0' }
    var a = fx.add('/bf/a', { headers, body: '<a id="next" href="/bf/b">to b</a>' })
    var b = fx.add('/bf/b', { headers })
    var v = await open(env, { own: true, launch: { ignoreDefaultArgs: ['--disable-back-forward-cache'] } })
    await v.page.goto(a)
    await v.wait(1)
    await v.page.evaluate(() => {
      window.restored = 0
      addEventListener('pageshow', e => (window.restored += e.persisted))
    })
    await v.page.click('#next')
    await v.page.waitForURL(b)
    await v.wait(es => es.some(e => e.body.u == b))
    // history.back(), not page.goBack(): Playwright waits for a load event
    // that a restored page does not fire.
    await v.page.evaluate(() => history.back())
    await v.page.waitForURL(a, { waitUntil: 'commit' })
    await v.page.waitForFunction(() => window.restored == 1) // the same document, restored
    await v.wait(es => es.filter(e => e.name == 'pageview').length >= 3)
    assert.deepEqual(
      v.named('pageview').map(e => e.body.u),
      [a, b, a]
    )
    await finish(env, t, v)

    await sillage.pollFor(
      { metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['contains', 'event:page', ['/bf/']]] },
      { '/bf/a': [1, 2], '/bf/b': [1, 1] }
    )
  })
})
