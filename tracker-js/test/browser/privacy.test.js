// What is ignored (localhost, automation, opt-out), what is never written
// (cookies, storage), and what a broken endpoint does to the page (nothing).
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { SITE, fileName, finish, freePort, leftovers, open, setup, sleep, until } from './harness.js'

var env, sillage, fx
before(async () => {
  env = await setup(fileName(import.meta.url))
  ;({ sillage, fx } = env)
})
afterEach(t => leftovers(env, t))
after(() => env?.close())

// Loads `url`, calls the API with a callback, and checks that nothing was
// sent (nor reached the collector) and that the console said why.
async function nothingSent(v, url, reason) {
  var before = await sillage.received()
  await v.page.goto(url)
  await v.page.waitForFunction(() => typeof window.sillage == 'function')
  var got = await v.page.evaluate(
    () => new Promise(r => sillage('Signup', { props: { plan: 'pro' }, callback: (...a) => r(a) }))
  )
  // An ignored event's callback is called, with no value.
  assert.equal(got[0], undefined)
  await v.page.evaluate(() => history.pushState({}, '', location.pathname + '/next'))
  await sleep(400)
  assert.deepEqual(v.events, [], 'requests to /api/event')
  assert.deepEqual(v.warnings, [`Ignoring Event: ${reason}`, `Ignoring Event: ${reason}`, `Ignoring Event: ${reason}`])
  assert.equal(await sillage.received(), before, 'events that reached the collector')
}

describe('what is ignored', () => {
  test('localhost without data-allow-localhost: nothing is sent; with it, events are', async t => {
    var url = fx.add('/ign/localhost', { allowLocalhost: false })
    var v = await open(env)
    await nothingSent(v, fx.url('/ign/localhost', 'localhost'), 'localhost')
    // 127.0.0.1 is local too.
    var w = await open(env)
    await nothingSent(w, url, 'localhost')
    await finish(env, { name: t.name + ' (127.0.0.1)' }, w)

    var allowed = fx.add('/ign/localhost-allowed')
    var received = await sillage.received()
    await v.page.goto(fx.url('/ign/localhost-allowed', 'localhost'))
    await v.wait(1)
    assert.equal(v.events[0].body.u, fx.url('/ign/localhost-allowed', 'localhost'))
    assert.equal(v.events[0].body.d, SITE)
    await finish(env, t, v)

    await sillage.pollFor(
      { metrics: ['pageviews'], dimensions: ['event:hostname', 'event:page'], filters: [['contains', 'event:page', ['/ign/']]] },
      { 'localhost|/ign/localhost-allowed': [1] }
    )
    // received() sees an event that does reach the collector, so the
    // checks above that it did not grow mean something.
    assert.ok((await sillage.received()) > received, 'received() counted the allowed event')
  })

  test('an automated browser (navigator.webdriver) without data-allow-automation: nothing is sent', async t => {
    var url = fx.add('/ign/automation', { allowAutomation: false })
    var v = await open(env)
    assert.equal(await v.page.evaluate(() => navigator.webdriver), true)
    await nothingSent(v, url, 'automation')
    await finish(env, t, v)
  })

  test('headless Chrome, even without navigator.webdriver: nothing is sent', async t => {
    var url = fx.add('/ign/headless', { allowAutomation: false })
    var v = await open(env, { own: true, headless: true, launch: { args: ['--disable-blink-features=AutomationControlled'] } })
    await v.page.goto(fx.url('/'))
    var seen = await v.page.evaluate(() => [navigator.webdriver, navigator.userAgent])
    assert.equal(seen[0], false)
    assert.match(seen[1], /HeadlessChrome/)
    await nothingSent(v, url, 'automation')
    await finish(env, t, v)
  })

  test("opt-out: localStorage.sillage_ignore = 'true' stops everything, removing it resumes", async t => {
    var url = fx.add('/ign/optout', { body: '<p>The site owner’s own browser.</p>' })
    var v = await open(env)
    // The owner runs this once in the console, on the site.
    await v.page.goto(fx.url('/ign/console'))
    await v.page.evaluate(() => (localStorage.sillage_ignore = 'true'))
    await nothingSent(v, url, 'opt-out')
    // The tracker only read it: the one item is the owner's.
    assert.deepEqual(await v.page.evaluate(() => Object.keys(localStorage)), ['sillage_ignore'])
    await v.page.evaluate(() => localStorage.removeItem('sillage_ignore'))
    await v.page.goto(url)
    await v.wait(1)
    assert.equal(v.events[0].body.u, url)
    await finish(env, t, v)

    await sillage.pollFor(
      { metrics: ['pageviews'], dimensions: ['event:page'], filters: [['contains', 'event:page', ['/ign/optout']]] },
      { '/ign/optout': [1] }
    )
  })
})

// A page with every feature on, and buttons for the rest.
var everything = api => ({
  api,
  stub: true,
  inline: "window.results = []; sillage('Queued', { callback: (...a) => results.push(a) })",
  attrs: 'data-outbound-links data-file-downloads data-forms data-props-plan="pro"',
  body: `
    <div style="height:1500px">
      <button class="sillage-event-name=Tagged sillage-event-where=top" id="tagged">tagged</button>
      <a id="file" href="/files/report.pdf" target="_blank">report.pdf</a>
      <form action="/forms/done" target="_blank"><input name="q" value="x"><button id="submit">submit</button></form>
      <a id="out" href="http://localhost:${fx.port}/landing">leave for another host</a>
    </div>`,
})

// Exercises every feature of `everything`, leaving by the outbound link.
async function exercise(v) {
  await v.page.waitForFunction(() => typeof window.sillage == 'function' && results.length == 1)
  await v.page.evaluate(() => new Promise(r => sillage('Custom', { props: { a: '1' }, callback: (...a) => (results.push(a), r()) })))
  await v.page.evaluate(() => new Promise(r => sillage('404', { callback: (...a) => (results.push(a), r()) })))
  await v.page.click('#tagged')
  var pages = v.context.pages().length
  await v.page.click('#file')
  await v.page.click('#submit')
  await v.page.evaluate(() => history.pushState({}, '', location.pathname + '/step-2'))
  await v.page.evaluate(() => history.replaceState({}, '', location.pathname + '?tab=1'))
  await v.page.mouse.wheel(0, 1000)
  await sleep(300)
  for (var p of v.context.pages().slice(pages)) await p.close() // the tabs opened
  var results = await v.page.evaluate(() => results)
  var started = Date.now()
  await v.page.click('#out')
  await v.page.waitForURL(`http://localhost:${fx.port}/landing`)
  return { results, held: Date.now() - started }
}

describe('no cookie, no storage', () => {
  test('with every feature used, nothing is written to cookies or storage of any origin', async t => {
    var url = fx.add('/priv/all', everything())
    var v = await open(env)
    // Any attempt to write, even one undone later, is recorded.
    await v.context.addInitScript(() => {
      var writes = (window.__writes = [])
      var cookie = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie')
      Object.defineProperty(Document.prototype, 'cookie', {
        get() {
          return cookie.get.call(this)
        },
        set(x) {
          writes.push('cookie ' + x)
          cookie.set.call(this, x)
        },
      })
      for (var k of ['setItem', 'removeItem', 'clear']) {
        let f = Storage.prototype[k]
        Storage.prototype[k] = function (...a) {
          writes.push(k + ' ' + a.join(' '))
          return f.apply(this, a)
        }
      }
      var idb = IDBFactory.prototype.open
      IDBFactory.prototype.open = function (...a) {
        writes.push('indexedDB ' + a[0])
        return idb.apply(this, a)
      }
    })
    await v.page.goto(url)
    await v.wait(1)
    var afterLoad = await v.page.evaluate(() => window.__writes)
    var { results } = await exercise(v)
    assert.deepEqual(results, [[{ status: 202 }], [{ status: 202 }], [{ status: 202 }]])
    assert.deepEqual(afterLoad, [])
    await v.wait(es => es.some(e => e.name == 'Outbound Link: Click'))
    assert.deepEqual(
      [...new Set(v.names())].sort(),
      ['404', 'Custom', 'File Download', 'Form: Submission', 'Outbound Link: Click', 'Queued', 'Tagged', 'engagement', 'pageview']
    )
    for (var e of v.events) {
      assert.equal(e.request.headers()['cookie'], undefined)
      assert.equal(e.body.p.plan, 'pro') // data-props-plan, on every event
      var response = await e.request.response().catch(() => null)
      if (response) assert.equal(await response.headerValue('set-cookie'), null)
    }
    // finish() checks cookies of every origin (the collector's too) and the
    // storage of the page the visitor ended on; back on the site:
    await v.page.goto(fx.url('/priv/after'))
    assert.deepEqual(
      await v.page.evaluate(async () => ({
        cookie: document.cookie,
        localStorage: localStorage.length,
        sessionStorage: sessionStorage.length,
        indexedDB: (await indexedDB.databases()).length,
        caches: (await caches.keys()).length,
      })),
      { cookie: '', localStorage: 0, sessionStorage: 0, indexedDB: 0, caches: 0 }
    )
    await finish(env, t, v)
  })
})

describe('a broken endpoint throws nothing into the page', () => {
  test('endpoint down (nobody listens): callbacks get status 0, links still navigate', async t => {
    var closed = `http://127.0.0.1:${await freePort()}/api/event`
    var url = fx.add('/fail/down', everything(closed))
    var v = await open(env)
    await v.page.goto(url)
    await v.wait(1)
    var { results, held } = await exercise(v)
    assert.deepEqual(results, [[{ status: 0 }], [{ status: 0 }], [{ status: 0 }]])
    await v.wait(es => es.some(e => e.name == 'Outbound Link: Click'))
    // Every request was made, and failed.
    var others = () => v.events.filter(e => e.name != 'Outbound Link: Click')
    await until(() => others().every(e => e.failed), { what: 'every request to fail' })
    for (var e of others()) {
      assert.equal(e.url, closed)
      assert.ok(e.failed, `${e.name} did not fail: ${e.status}`)
    }
    assert.ok(held < 2000, `the outbound click took ${held} ms to navigate`)
    await finish(env, t, v) // no page error, no storage
  })

  test('endpoint answering 500 (and the real one answering 400): callbacks get the status', async t => {
    var url = fx.add('/fail/500', everything())
    var v = await open(env)
    // Answers 500 in place of the collector, as a broken proxy would.
    await v.page.route(sillage.api, route =>
      route.fulfill({ status: 500, headers: { 'Access-Control-Allow-Origin': '*' }, body: 'internal error' })
    )
    await v.page.goto(url)
    await v.wait(1)
    var { results, held } = await exercise(v)
    assert.deepEqual(results, [[{ status: 500 }], [{ status: 500 }], [{ status: 500 }]])
    assert.ok(held < 2000, `the outbound click took ${held} ms to navigate`)
    await finish(env, t, v)

    // The collector itself refuses a bad event (a name over 120
    // characters): 400, still no error. (A bad revenue is no longer one:
    // it is dropped and the event kept, as Plausible does.)
    var bad = fx.add('/fail/400')
    var w = await open(env)
    await w.page.goto(bad)
    await w.wait(1)
    var got = await w.page.evaluate(() => new Promise(r => sillage('x'.repeat(121), { callback: r })))
    assert.deepEqual(got, { status: 400 })
    await finish(env, { name: t.name + ' (400)' }, w)
    // Nothing from the 500 page reached the collector; the 400 page's pageview did.
    await sillage.pollFor(
      { metrics: ['events'], dimensions: ['event:page', 'event:name'], filters: [['contains', 'event:page', ['/fail/']]] },
      { '/fail/400|pageview': [1] }
    )
  })
})
