// Plausible parity in the dashboard: scroll-depth goals made in the goal
// form and read in the goals panel, region names, flags, the unfinished
// bucket of the graph. Headless Chromium against the real binary; each
// test waits for the exact text it asserts and leaves screenshots at
// 1440 px and 390 px in English and French in test-artifacts/.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { demo, launch, login, newPage, queryFromPage, settle, shot, SITE, startServer, until } from './harness.js'

var server
var browser
var page

before(async () => {
  server = await startServer()
  demo(server.data)
  browser = await launch()
  page = await newPage(browser, server, { viewport: { width: 1440, height: 1000 } })
  await login(page, server)
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

// Screenshots at 1440 px and 390 px, in English and French, of path.
async function shots(name, path, ready) {
  for (var lang of ['en', 'fr']) {
    for (var width of [1440, 390]) {
      var p = await newPage(browser, server, { viewport: { width, height: 1000 }, locale: lang === 'fr' ? 'fr-FR' : 'en-GB', storageState: await page.context().storageState() })
      await p.goto(server.url + path + (path.includes('?') ? '&' : '?') + 'lang=' + lang)
      await settle(p)
      if (ready) await ready(p, lang)
      await shot(p, `parity-${name}-${lang}-${width}`)
      assert.deepEqual(p.problems, [])
      await p.context().close()
    }
  }
}

// The cells of a panel's row: [label, ...metric texts].
async function rowTexts(p, panel, value) {
  var row = p.locator(`[data-panel="${panel}"] table.rows[aria-busy="false"] tr`, { has: p.locator(`.bar-row[data-value="${value}"]`) })
  return (await row.locator('th, td').allInnerTexts({ timeout: 2000 })).map(s => s.trim())
}

var num = (n, lang = 'en') => new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(n)

describe('Plausible parity in the dashboard', () => {
  test('a scroll-depth goal is made in the goal form and counted in the goals panel', async () => {
    await page.goto(server.url + '/' + SITE + '/settings/goals')
    await page.getByLabel('Scroll depth').check()
    await page.getByLabel('Page path (* for any part)').fill('/blog')
    await page.getByLabel('Scrolled at least (%)').fill('60')
    await page.locator('main form button[type=submit]').click()
    await page.getByRole('dialog').locator('[data-confirm]').click()
    await until(async () => (await page.locator('main li', { hasText: 'Scroll 60% on /blog' }).first().locator('.muted').innerText({ timeout: 2000 })).trim(),
      'Scroll depth 60 % · /blog', 'the new goal in the list')
    var name = 'Scroll 60% on /blog'
    var api = await queryFromPage(page, { site_id: SITE, metrics: ['visitors', 'conversion_rate'], date_range: '28d', dimensions: ['event:goal'], filters: [['is', 'event:goal', [name]]] })
    var [visitors, rate] = api.results[0].metrics
    assert.ok(visitors > 0, 'the demo scrolls /blog past 60 %')
    await page.goto(server.url + '/' + SITE + '?period=28d')
    await until(() => rowTexts(page, 'goals', name).then(r => r.slice(0, 2)), [name, num(visitors)], 'the scroll goal in the goals panel')
    await page.goto(server.url + '/' + SITE + '?period=28d&lang=fr')
    await until(() => rowTexts(page, 'goals', name).then(r => r.slice(0, 2)), ['Défilement de 60\u202f% sur /blog', num(visitors, 'fr')], 'the scroll goal in French')
    assert.ok(rate > 0)
    await shots('scroll-goal', '/' + SITE + '?period=28d', p => p.locator(`[data-panel="goals"] .bar-row[data-value="${name}"]`).waitFor())
    await shots('scroll-goal-form', '/' + SITE + '/settings/goals', async (p, lang) => {
      await p.locator('input[type=radio]').nth(2).check()
    })
  })

  test('regions by their ISO 3166-2 name, countries with an SVG flag', async () => {
    var api = await queryFromPage(page, { site_id: SITE, metrics: ['visitors'], date_range: '28d', dimensions: ['visit:region'], filters: [['is', 'visit:region', ['BE-BRU']]] })
    var n = api.results[0].metrics[0]
    var named = await queryFromPage(page, { site_id: SITE, metrics: ['visitors'], date_range: '28d', dimensions: ['visit:region_name'], filters: [['is', 'visit:region', ['BE-BRU']]] })
    assert.deepEqual(named.results[0].dimensions, ['Brussels Hoofdstedelijk Gewest'])
    for (var [lang, name] of [['en', 'Brussels Hoofdstedelijk Gewest'], ['fr', 'Région de Bruxelles-Capitale']]) {
      await page.goto(server.url + '/' + SITE + '?period=28d&lang=' + lang)
      await page.locator('[data-panel="locations"] [role=tab]').nth(2).click()
      await until(() => rowTexts(page, 'locations', 'BE-BRU'), [name, num(n, lang)], 'the Brussels row in ' + lang)
    }
    // Countries: a flag drawn from an SVG file, not an emoji, beside the name.
    await page.goto(server.url + '/' + SITE + '?period=28d')
    await page.locator('[data-panel="locations"] [role=tab]').nth(1).click()
    var fr = page.locator('[data-panel="locations"] .bar-row[data-value="FR"]')
    await until(async () => (await fr.innerText({ timeout: 2000 })).trim(), 'France', 'the France row, no emoji')
    var img = fr.locator('img.flag')
    await until(() => img.getAttribute('src', { timeout: 2000 }), '/flags/fr.svg', 'the flag')
    await until(() => img.evaluate(i => i.complete && i.naturalWidth > 0), true, 'the flag loaded')
    await shots('regions', '/' + SITE + '?period=28d', p => p.locator('[data-panel="locations"] [role=tab]').nth(2).click())
    await shots('countries', '/' + SITE + '?period=28d', async p => {
      await p.locator('[data-panel="locations"] [role=tab]').nth(1).click()
      await p.locator('[data-panel="locations"] .bar-row[data-value="FR"] img.flag').waitFor()
    })
  })

  test('the graph: the hour still filling is dashed, hours to come are not drawn, a cut week is marked', async () => {
    await page.goto(server.url + '/' + SITE + '?period=day')
    // The hour now in the site's zone.
    var tz = await page.evaluate(async site => (await (await fetch('/api/sites/' + site)).json()).timezone, SITE)
    var now = await page.evaluate(tz => new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', hourCycle: 'h23' }).format(new Date()), tz)
    var box = page.locator('.graph[aria-busy="false"] .graph-box[data-current]')
    var attrs = async () => {
      var b = await box.elementHandle({ timeout: 2000 })
      return [await b.getAttribute('data-current'), await b.getAttribute('data-future'), await b.getAttribute('data-points')]
    }
    // Today has 24 hours (no clock change in December).
    var h = Number(now)
    await until(attrs, [String(h), String(h + 1), '24'], 'the current hour and the hours to come')
    await shots('graph-day', '/' + SITE + '?period=day', p => p.locator('.graph[aria-busy="false"] .graph-box[data-current]').waitFor())
    // This month by week: its first week begins before the month.
    var today = await page.evaluate(tz => new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date()), tz)
    var first = today.slice(0, 8) + '01'
    var monday = new Date(first + 'T00:00:00Z').getUTCDay() === 1
    await page.goto(server.url + '/' + SITE + '?period=month&interval=week')
    await until(async () => (await box.elementHandle({ timeout: 2000 })).getAttribute('data-partial'), monday ? '' : '0', 'the first week marked partial')
    await shots('graph-month', '/' + SITE + '?period=month&interval=week', p => p.locator('.graph[aria-busy="false"] .graph-box[data-current]').waitFor())
  })
})
