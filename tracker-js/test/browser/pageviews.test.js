// Pageviews in a real browser: automatic, single-page apps, hash routing,
// data-manual, data-exclude, data-props-*, and the script as the server
// serves it (plain and versioned with subresource integrity).
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { DIST, SITE, fileName, finish, leftovers, open, setup, sleep, until, versioned } from './harness.js'

var env, sillage, fx
before(async () => {
  env = await setup(fileName(import.meta.url))
  ;({ sillage, fx } = env)
})
afterEach(t => leftovers(env, t))
after(() => env?.close())

// Pageviews, visitors and events per page, for the pages under `prefix`.
var byPage = prefix => ({
  metrics: ['visitors', 'pageviews', 'events'],
  dimensions: ['event:page'],
  filters: [['contains', 'event:page', [prefix]]],
})

describe('pageviews', () => {
  test('the server serves dist/script.js (else rebuild bin/sillage: make build)', async t => {
    var v = await open(env)
    // As a browser gets it: compressed (br), decoded by the browser.
    var r = await v.page.goto(sillage.script)
    assert.equal(r.status(), 200)
    assert.equal(r.headers()['access-control-allow-origin'], '*')
    assert.match(r.headers()['content-type'], /^application\/javascript/)
    assert.ok((await r.body()).equals(DIST), 'the binary embeds another tracker than dist/script.js: run `make build`')
    await finish(env, t, v)
  })

  test('automatic pageview on load: name, url, domain, referrer; then a second page', async t => {
    var first = fx.add('/auto/landing', { body: '<a id="next" href="/auto/next?x=1#top">next page</a>' })
    var second = fx.add('/auto/next')
    var v = await open(env)
    await v.page.goto(first, { referer: 'https://www.google.com/search?q=sillage' })
    await v.wait(1)
    assert.deepEqual(v.events[0].body, {
      n: 'pageview',
      u: first,
      d: SITE,
      r: 'https://www.google.com/search?q=sillage',
    })
    var req = v.events[0].request
    assert.equal(req.url(), sillage.api)
    assert.equal(req.headers()['content-type'], 'text/plain;charset=UTF-8')
    assert.equal((await v.answered('pageview')).status, 202)
    // A plain internal link is not an event: the next page's pageview is.
    await v.page.click('#next')
    await v.page.waitForURL(second + '?x=1#top')
    await v.wait(2)
    assert.deepEqual(v.names(), ['pageview', 'pageview'])
    assert.deepEqual(v.events[1].body, { n: 'pageview', u: second + '?x=1#top', d: SITE, r: first })
    // No CORS preflight: the body goes as text/plain.
    assert.deepEqual(
      v.requests.filter(r => r.method() == 'OPTIONS').map(r => r.url()),
      []
    )
    await finish(env, t, v)

    await sillage.pollFor(byPage('/auto/'), { '/auto/landing': [1, 1, 1], '/auto/next': [1, 1, 1] })
    // The session's source is the referrer of its first pageview.
    await sillage.pollFor(
      { metrics: ['visitors'], dimensions: ['visit:source', 'visit:referrer'], filters: [['is', 'event:page', ['/auto/landing']]] },
      { 'Google|google.com/search': [1] }
    )
  })

  test('single-page app: pushState, replaceState and popstate, one pageview per new url', async t => {
    var home = fx.add('/spa/home', { body: '<p>An app that routes with the History API.</p>' })
    var v = await open(env)
    await v.page.goto(home)
    await v.wait(1)
    var pageviews = () => v.named('pageview').map(e => new URL(e.body.u).pathname + new URL(e.body.u).hash)
    var step = async (f, arg) => {
      await v.page.evaluate(f, arg)
      await sleep(150)
    }
    await step(() => history.pushState({}, '', '/spa/a'))
    await step(() => history.pushState({}, '', '/spa/a')) // same url: nothing
    await step(() => history.replaceState({}, '', '/spa/b'))
    await step(() => history.replaceState({ other: 'state' }, '', '/spa/b')) // same url: nothing
    await step(() => history.pushState({}, '', '/spa/b#section')) // only the hash: nothing
    await step(() => history.back()) // popstate back to /spa/b: same url, nothing
    await v.page.waitForURL(fx.url('/spa/b'))
    await step(() => history.back()) // popstate back to /spa/a: a pageview
    await v.page.waitForURL(fx.url('/spa/a'))
    await v.wait(es => es.filter(e => e.name == 'pageview').length >= 4)
    await sleep(200)
    assert.deepEqual(pageviews(), ['/spa/home', '/spa/a', '/spa/b', '/spa/a'])
    // Each SPA pageview carries the referrer of the document (none here).
    for (var e of v.named('pageview')) assert.equal(e.body.r, null)
    // Before each new SPA page, the last one's engagement may go (the page
    // is short, so its scroll depth of 100% is news the first time).
    for (var e of v.named('engagement')) {
      assert.equal(e.body.i, false)
      assert.ok(e.body.sd >= 0 && e.body.sd <= 100 && e.body.e >= 0, JSON.stringify(e.body))
    }
    await finish(env, t, v)

    // Wait for the last pageview too, not just for three pages to show up.
    var want = { '/spa/home': [1, 1, 1], '/spa/a': [1, 2, 2], '/spa/b': [1, 1, 1] }
    await sillage.pollFor(byPage('/spa/'), want)
  })

  test('hash routing (data-hash): hashchange is a new page, events carry h: 1', async t => {
    var app = fx.add('/hash/app', { attrs: 'data-hash', body: '<a id="settings" href="#/settings">settings</a>' })
    var v = await open(env)
    await v.page.goto(app + '#/home')
    await v.wait(1)
    assert.deepEqual(v.events[0].body, { n: 'pageview', u: app + '#/home', d: SITE, r: null, h: 1 })
    await v.page.click('#settings') // hashchange
    await v.wait(es => es.filter(e => e.name == 'pageview').length >= 2)
    await v.page.evaluate(() => (location.hash = '#/settings')) // unchanged: no event at all
    await v.page.evaluate(() => (location.hash = '#/billing?tab=2'))
    await v.wait(es => es.filter(e => e.name == 'pageview').length >= 3)
    await sleep(200)
    assert.deepEqual(
      v.named('pageview').map(e => e.body.u),
      [app + '#/home', app + '#/settings', app + '#/billing?tab=2']
    )
    for (var e of v.events) assert.equal(e.body.h, 1, JSON.stringify(e.body))
    await finish(env, t, v)

    // The server keeps the hash's route as part of the page.
    await sillage.pollFor(byPage('/hash/'), {
      '/hash/app#/home': [1, 1, 1],
      '/hash/app#/settings': [1, 1, 1],
      '/hash/app#/billing': [1, 1, 1],
    })
  })

  test('data-manual: no automatic pageview; sillage("pageview") sends one, with a cleaned-up u', async t => {
    var url = fx.add('/manual/users/42', { attrs: 'data-manual' })
    var v = await open(env)
    await v.page.goto(url)
    await v.page.waitForFunction(() => typeof window.sillage == 'function')
    await v.page.evaluate(() => history.pushState({}, '', '/manual/users/43')) // not watched
    await sleep(500)
    assert.deepEqual(v.events, [])
    await v.page.evaluate(() => sillage('pageview', { u: '/manual/users/:id' }))
    await v.wait(1)
    assert.deepEqual(v.events[0].body, { n: 'pageview', u: fx.url('/manual/users/:id'), d: SITE, r: null })
    await finish(env, t, v)

    await sillage.pollFor(byPage('/manual/'), { '/manual/users/:id': [1, 1, 1] })
  })

  test('data-exclude: nothing from matching pages, the rest as usual', async t => {
    var attrs = 'data-exclude="/excl/private/*, /excl/preview/**"'
    var url = fx.add('/excl/private/page', { attrs })
    var v = await open(env)
    await v.page.goto(url)
    await v.page.waitForFunction(() => typeof window.sillage == 'function')
    await v.page.evaluate(() => sillage('Signup'))
    await until(() => v.warnings.length >= 2, { what: 'the two warnings' })
    assert.deepEqual(v.events, [])
    assert.deepEqual(v.warnings, ['Ignoring Event: excluded', 'Ignoring Event: excluded'])
    await v.page.evaluate(() => history.pushState({}, '', '/excl/public'))
    await v.wait(1)
    await v.page.evaluate(() => history.pushState({}, '', '/excl/preview/a/b')) // excluded (** matches a/b)
    await v.page.evaluate(() => history.pushState({}, '', '/excl/private/a/b')) // not excluded (* is one segment)
    await v.wait(es => es.filter(e => e.name == 'pageview').length >= 2)
    await sleep(200)
    assert.deepEqual(
      v.named('pageview').map(e => new URL(e.body.u).pathname),
      ['/excl/public', '/excl/private/a/b']
    )
    await finish(env, t, v)

    await sillage.pollFor(byPage('/excl/'), { '/excl/public': [1, 1, 1], '/excl/private/a/b': [1, 1, 1] })
  })

  test('data-props-*: sent with every event, overridden by the event’s own', async t => {
    var url = fx.add('/props/page', { attrs: 'data-props-author="Ana" data-props-plan="free" data-props-planType="x"' })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    // HTML lower-cases attribute names: planType arrives as plantype.
    assert.deepEqual(v.events[0].body.p, { author: 'Ana', plan: 'free', plantype: 'x' })
    await v.page.evaluate(() => sillage('Upgrade', { props: { plan: 'pro', step: '2' } }))
    await v.wait(2)
    assert.deepEqual(v.events[1].body.p, { author: 'Ana', plan: 'pro', plantype: 'x', step: '2' })
    await finish(env, t, v)

    await sillage.pollFor(
      { metrics: ['events'], dimensions: ['event:name', 'event:props:author', 'event:props:plan'], filters: [['is', 'event:page', ['/props/page']]] },
      { 'pageview|Ana|free': [1], 'Upgrade|Ana|pro': [1] }
    )
  })

  test('the versioned script with subresource integrity (and a strict CSP) works', async t => {
    var { path, sha384 } = versioned()
    var csp = `default-src 'none'; script-src ${sillage.origin}; connect-src ${sillage.origin}; style-src 'unsafe-inline'`
    var url = fx.add('/sri/page', {
      src: sillage.origin + path,
      attrs: `integrity="${sha384}" crossorigin="anonymous"`,
      headers: { 'Content-Security-Policy': csp },
    })
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    assert.equal(v.events[0].body.u, url)
    assert.equal((await v.answered('pageview')).status, 202)
    await v.page.evaluate(() => history.pushState({}, '', '/sri/next'))
    await v.wait(es => es.some(e => e.name == 'pageview' && e.body.u.endsWith('/sri/next')))
    await finish(env, t, v)

    // A tampered integrity value: the browser refuses the script, nothing is sent.
    var bad = fx.add('/sri/bad', {
      src: sillage.origin + path,
      attrs: `integrity="sha384-${Buffer.alloc(48).toString('base64')}" crossorigin="anonymous"`,
    })
    var w = await open(env)
    await w.page.goto(bad)
    await until(() => w.errors.some(e => /integrity/i.test(e)), { what: 'the integrity failure in the console' })
    assert.deepEqual(w.events, [])
    await finish(env, { name: t.name + ' (tampered)' }, w, { errors: false })

    await sillage.pollFor(byPage('/sri/'), { '/sri/page': [1, 1, 1], '/sri/next': [1, 1, 1] })
  })
})
