// Annotations and custom comparisons, in headless Chromium against the real
// server binary: a note added from the graph shows there (as text, never as
// markup), and a custom comparison period compares the top stats and the
// graph with exactly the numbers of that period.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { demo, launch, login, newPage, queryFromPage, settle, SITE, startServer, until } from './harness.js'

var server
var browser
var SHOTS = process.env.NOTES_SHOTS || ''
var norm = s => s.replace(/\s+/g, ' ').trim()

before(async () => {
  server = await startServer()
  demo(server.data)
  browser = await launch()
})

after(async () => {
  if (browser) await browser.close()
  if (server) await server.stop()
})

// The site's today, as the dashboard reckons it.
async function siteToday(page) {
  var site = await page.evaluate(async site => (await fetch('/api/sites/' + site)).json(), SITE)
  return new Intl.DateTimeFormat('en-CA', { timeZone: site.timezone || 'UTC' }).format(new Date())
}

function addDays(day, n) {
  var d = new Date(day + 'T00:00:00Z')
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}

// onDashboard runs fn logged in on the site's last 7 days, with the site's
// today; the page must not break its CSP, throw, or reach another origin.
async function onDashboard(fn) {
  var page = await newPage(browser, server, { viewport: { width: 1440, height: 1000 } })
  try {
    await login(page, server)
    await page.goto(server.url + '/' + SITE + '?period=7d')
    await settle(page)
    await fn(page, await siteToday(page))
    assert.deepEqual(page.problems, [], 'the page broke its CSP, threw, or reached another origin')
  } finally {
    await page.context().close()
  }
}

describe('annotations and custom comparisons', () => {
  test('a note added from the graph shows on it; a custom period compares with its exact numbers', () =>
    onDashboard(async (page, today) => {
      // A note from the graph, whose text looks like markup and a formula.
      var text = 'Spring <b>sale</b> =1+1'
      await page.locator('[data-add-note]').click()
      var form = page.locator('dialog [data-note-form]')
      await form.waitFor()
      await form.locator('[data-note-from]').fill(addDays(today, -3))
      await form.locator('[data-note-to]').fill(addDays(today, -2))
      await form.locator('[data-note-category]').selectOption('campaign')
      await form.locator('[data-note-text]').fill(text)
      await form.locator('[data-note-save]').click()
      var mark = page.locator('[data-note-mark]')
      await mark.waitFor()
      // Keyboard: the flag takes focus and says the note.
      await mark.focus()
      var tip = page.locator('[data-note-tip]')
      await tip.waitFor()
      assert.equal(norm(await tip.locator('.note-text').textContent()), text)
      assert.equal(await tip.locator('b').count(), 0, 'the note was rendered as markup')
      assert.match(await mark.getAttribute('aria-label'), /Spring <b>sale<\/b> =1\+1/)

      // A custom comparison period, chosen from the menu and kept in the URL.
      var cf = addDays(today, -20)
      var ct = addDays(today, -14)
      await page.locator('[data-compare]').selectOption('custom')
      await page.locator('[data-compare-from]').fill(cf)
      await page.locator('[data-compare-to]').fill(ct)
      await page.locator('[data-compare-apply]').click()
      await page.waitForURL(u => u.search.includes(`compare=custom&compare_from=${cf}&compare_to=${ct}`))
      await settle(page)

      // The compared numbers are those of the period itself, asked plainly.
      var plain = await queryFromPage(page, { site_id: SITE, metrics: ['visitors'], date_range: [cf, ct], include: { imports: true } })
      var visitors = plain.results[0].metrics[0]
      var vs = page.locator('[data-metric="visitors"] .stat-change .sr-only')
      await until(async () => ((await vs.count()) ? norm(await vs.textContent()) : null), 'against ' + visitors.toLocaleString('en-GB'), 'the top stat against the custom period')
      // The graph's compared column may arrive after the top stats: wait for
      // its exact numbers, day by day.
      var daily = await queryFromPage(page, { site_id: SITE, metrics: ['visitors'], date_range: [cf, ct], dimensions: ['time:day'], include: { imports: true, time_labels: true } })
      var byDay = new Map(daily.results.map(r => [r.dimensions[0], r.metrics[0]]))
      var want = daily.meta.time_labels.map(d => (byDay.get(d) || 0).toLocaleString('en-GB'))
      var col = page.locator('.graph .sr-only table tbody tr td:nth-child(3)')
      await until(async () => (await col.allTextContents()).map(norm), want, 'the graph against the custom period, day by day')
      assert.ok(visitors > 0, 'the compared period has visitors')

      if (SHOTS) {
        mkdirSync(SHOTS, { recursive: true })
        for (var [lang, width] of [['en', 1440], ['en', 390], ['fr', 1440], ['fr', 390]]) {
          await page.setViewportSize({ width, height: 1000 })
          await page.goto(server.url + '/' + SITE + `?period=7d&compare=custom&compare_from=${cf}&compare_to=${ct}&lang=${lang}`)
          await settle(page)
          await page.locator('[data-note-mark]').focus()
          await page.locator('[data-note-tip]').waitFor()
          await page.locator('.graph-card').scrollIntoViewIfNeeded()
          await page.screenshot({ path: `${SHOTS}/dashboard-${lang}-${width}.png`, fullPage: width > 400 ? false : false })
          await page.goto(server.url + '/' + SITE + `/settings/annotations?lang=${lang}`)
          await settle(page)
          await page.locator('[data-note]').first().waitFor()
          await page.screenshot({ path: `${SHOTS}/settings-${lang}-${width}.png`, fullPage: true })
        }
      }
    }))

  // A day typed the moment the fields open (autofill, a fast hand) is what
  // the period and the comparison use; no default set after the first
  // render may overwrite it.
  test('days typed as soon as the custom fields open are kept', () =>
    onDashboard(async (page, today) => {
      var typeOnOpen = (from, to, days) =>
        page.evaluate(
          ([from, to, days]) => {
            var seen = new WeakSet()
            var obs = new MutationObserver(() => {
              var a = document.querySelector(from)
              var b = document.querySelector(to)
              if (!a || !b || seen.has(a)) return
              seen.add(a)
              for (var [el, v] of [[a, days[0]], [b, days[1]]]) {
                el.value = v
                el.dispatchEvent(new Event('input', { bubbles: true }))
              }
              obs.disconnect()
            })
            obs.observe(document.body, { childList: true, subtree: true })
          },
          [from, to, days]
        )

      var cf = addDays(today, -30)
      var ct = addDays(today, -25)
      await typeOnOpen('[data-compare-from]', '[data-compare-to]', [cf, ct])
      await page.locator('[data-compare]').selectOption('custom')
      await page.locator('[data-compare-apply]').click()
      await page.waitForURL(u => u.search.includes(`compare=custom&compare_from=${cf}&compare_to=${ct}`))

      var pf = addDays(today, -12)
      var pt = addDays(today, -9)
      await typeOnOpen('[data-from]', '[data-to]', [pf, pt])
      await page.locator('[data-period]').selectOption('custom')
      await page.locator('.custom-range:not([data-compare-form]) button[type=submit]').click()
      await page.waitForURL(u => u.search.includes(`period=custom&from=${pf}&to=${pt}`))
    }))
})
