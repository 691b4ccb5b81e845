// The live view and property discovery against the real binary in
// headless Chromium: events sent to the collector appear in the live view
// without a reload, with the exact counts; the properties panel lists the
// names the period's events carry, most used first, and breaks down an
// outbound-link goal by its URL by itself. Screenshots at 1440 px and
// 390 px in English and French go to test-artifacts/ (live-*).
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { call, launch, login, newPage, settle, shot, SITE, startServer, until } from './harness.js'

var server
var visitors = 3 // the fourth comes during the live view's test
var browser
var page

// Each visitor is its own browser: the cookieless id hashes the user agent.
var ua = n => `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.${n}.0 Safari/537.36`

async function send(visitor, name, path, extra = {}) {
  var res = await fetch(server.url + '/api/event', {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', 'User-Agent': ua(visitor) },
    body: JSON.stringify({ name, url: 'https://' + SITE + path, domain: SITE, ...extra }),
  })
  assert.equal(res.status, 202, `event ${name} ${path}: ${res.status} ${await res.text()}`)
}

var rows = (p, panel) =>
  p.$$eval(`[data-panel="${panel}"] tbody tr`, trs => trs.map(tr => [tr.querySelector('th').textContent.trim(), tr.querySelector('td').textContent.trim()]))

before(async () => {
  server = await startServer()
  browser = await launch()
  page = await newPage(browser, server, { viewport: { width: 1440, height: 1000 } })
  await login(page, server)
  for (var g of [{ event_name: 'Outbound Link: Click' }, { event_name: 'File Download' }, { event_name: 'Signup' }]) await call(page, 'POST', '/api/sites/' + SITE + '/goals', g)
  // Three visitors: one from Google who signs up on the pro plan, one who
  // follows an outbound link, one who reads an article and downloads a file.
  await send(1, 'pageview', '/pricing', { referrer: 'https://www.google.com/' })
  await send(1, 'Signup', '/pricing', { props: { plan: 'pro' } })
  await send(2, 'pageview', '/')
  await send(2, 'Outbound Link: Click', '/', { props: { url: 'https://partner.example/' } })
  await send(3, 'pageview', '/', { props: { author: 'ana' } })
  await send(3, 'File Download', '/', { props: { url: 'https://' + SITE + '/guide.pdf' } })
})

after(async () => {
  if (browser) await browser.close()
  if (server) {
    var errors = server.log().split('\n').filter(l => /level=ERROR|"level":"ERROR"/.test(l))
    for (var l of errors.slice(0, 20)) console.log('server: ' + l.slice(0, 300))
    await server.stop()
  }
})

afterEach(() => {
  if (page) assert.deepEqual(page.problems.splice(0), [], 'the page broke its CSP, threw, or reached another origin')
})

async function shots(name, path, ready) {
  for (var lang of ['en', 'fr']) {
    for (var width of [1440, 390]) {
      var p = await newPage(browser, server, { viewport: { width, height: 1000 }, locale: lang === 'fr' ? 'fr-FR' : 'en-GB', storageState: await page.context().storageState() })
      await p.goto(server.url + path + (path.includes('?') ? '&' : '?') + 'lang=' + lang)
      await ready(p, lang)
      await shot(p, `live-${name}-${lang}-${width}`)
      assert.deepEqual(p.problems, [])
      await p.context().close()
    }
  }
}

describe('live view', () => {
  test('the last 30 minutes, updated without a reload', async () => {
    await page.goto(server.url + '/' + SITE)
    // Reachable from the dashboard: the realtime button opens it.
    await page.click('[data-realtime]')
    await page.waitForURL(/period=realtime/)
    var count = () => page.$eval('[data-realtime-count] strong', e => e.textContent.trim())
    await until(count, '3', 'current visitors')
    await until(() => page.$eval('[data-live-visitors]', e => e.getAttribute('data-live-visitors')), '3', 'visitors in 30 minutes')
    await until(() => rows(page, 'live-pages'), [['/', '2'], ['/pricing', '1']], 'pages')
    await until(() => rows(page, 'live-sources'), [['Direct / None', '2'], ['Google', '1']], 'sources')
    await until(() => page.$$eval('[data-minute]', gs => gs.length), 30, 'minutes on the graph')
    await until(() => page.$$eval('[data-minute]', gs => gs.reduce((n, g) => Math.max(n, Number(g.getAttribute('data-visitors'))), 0)), 3, 'the busiest minute')
    // The toolbar tells the same number.
    assert.match(await page.$eval('[data-realtime]', e => e.getAttribute('aria-label')), /^3 current visitors$/)
    var first = await page.$eval('[data-live-updated]', e => e.getAttribute('data-live-updated'))

    // A fourth visitor arrives: the open page shows them at its next poll.
    var urlBefore = page.url()
    await send(4, 'pageview', '/blog/launch', { referrer: 'https://www.qwant.com/' })
    visitors = 4
    await until(count, '4', 'current visitors after a new one', 40000)
    await until(() => rows(page, 'live-pages'), [['/', '2'], ['/blog/launch', '1'], ['/pricing', '1']], 'pages after a new visitor')
    await until(() => rows(page, 'live-sources'), [['Direct / None', '2'], ['Google', '1'], ['Qwant', '1']], 'sources after a new visitor')
    assert.equal(page.url(), urlBefore)
    var second = await page.$eval('[data-live-updated]', e => e.getAttribute('data-live-updated'))
    assert.ok(Date.parse(second) > Date.parse(first), `updated_at ${second} after ${first}`)
    // The time shown is the snapshot's, in the site's zone.
    var shown = await page.$eval('[data-live-updated]', e => e.textContent)
    var hhmmss = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'Europe/Paris' }).format(new Date(second))
    assert.ok(shown.includes('Updated at ' + hhmmss), `${shown} names ${hhmmss}`)

    await shots('view', '/' + SITE + '?period=realtime', async (p, lang) => {
      await until(() => p.$eval('[data-realtime-count] strong', e => e.textContent.trim()), '4', 'current visitors ' + lang)
      await until(() => rows(p, 'live-pages').then(r => r.length), 3, 'pages ' + lang)
    })
  })
})

describe('property discovery', () => {
  test('the names of the period, most used first, and any one broken down', async () => {
    await page.goto(server.url + '/' + SITE + '?period=day')
    var chips = () => page.$$eval('[data-panel="props"] [data-prop-key]', bs => bs.map(b => [b.getAttribute('data-prop-key'), b.getAttribute('aria-pressed')]))
    // url: 2 visitors; author and plan: 1 each, by name.
    await until(chips, [['url', 'true'], ['author', 'false'], ['plan', 'false']], 'property names')
    // Visitors whose events lack the property count under "(none)", as in
    // the Stats API's breakdown (the live test's fourth visitor too).
    await until(() => rows(page, 'props'), [['(none)', String(visitors)], ['https://demo.example.fr/guide.pdf', '1'], ['https://partner.example/', '1']], 'url values')
    await page.click('[data-panel="props"] [data-prop-key="plan"]')
    await page.waitForURL(/prop=plan/)
    await until(() => rows(page, 'props'), [['(none)', String(visitors)], ['pro', '1']], 'plan values')
    // Names follow the filters: on the home page, no plan.
    await page.goto(server.url + '/' + SITE + '?period=day&f=is,page,/')
    await until(chips, [['url', 'true'], ['author', 'false']], 'property names on /')
  })

  test('an outbound-link goal breaks down by its URL by itself', async () => {
    var path = '/' + SITE + '?period=day&f=' + encodeURIComponent('is,goal,Outbound Link: Click')
    await page.goto(server.url + path)
    await until(() => page.$eval('#props-title', e => e.textContent), 'Outbound links', 'panel title')
    await until(() => page.$eval('[data-special-prop]', e => e.getAttribute('data-special-prop')), 'url', 'the property')
    await until(() => rows(page, 'props'), [['https://partner.example/', '1']], 'outbound URLs')
    // A download goal: its file URLs.
    await page.goto(server.url + '/' + SITE + '?period=day&f=' + encodeURIComponent('is,goal,File Download'))
    await until(() => page.$eval('#props-title', e => e.textContent), 'File downloads', 'panel title')
    await until(() => rows(page, 'props'), [['https://demo.example.fr/guide.pdf', '1']], 'downloaded files')

    await shots('props', '/' + SITE + '?period=day', async (p, lang) => {
      await until(() => p.$$eval('[data-panel="props"] [data-prop-key]', bs => bs.length), 3, 'chips ' + lang)
      await settle(p)
      await p.$eval('[data-panel="props"]', e => e.scrollIntoView())
    })
    await shots('outbound', path, async (p, lang) => {
      await until(() => rows(p, 'props'), [['https://partner.example/', '1']], 'outbound ' + lang)
      await settle(p)
    })
  })
})
