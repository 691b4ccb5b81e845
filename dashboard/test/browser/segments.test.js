// Saved segments in headless Chromium against the real binary: filter the
// dashboard, save the filters as a segment, apply it from the menu and
// see the top stats change to exactly what the Stats API answers for
// ["is", "segment", [id]]; rename and delete it; a shared segment is
// listed through a shared link. Screenshots at 1440 px and 390 px in
// English and French go to test-artifacts/ (and SHOTS_DIR when set).
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, afterEach, before, describe, test } from 'node:test'
import { artifacts, demo, launch, login, newPage, queryFromPage, settle, shot, SITE, startServer, until } from './harness.js'

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
  if (server) await server.stop()
})

afterEach(() => {
  if (page) assert.deepEqual(page.problems.splice(0), [], 'the page broke its CSP, threw, or reached another origin')
})

var visitorsShown = p => p.locator('.top-stats[aria-busy="false"] .stat[data-metric="visitors"] .stat-value').getAttribute('data-value', { timeout: 2000 })

function keep(name) {
  if (!process.env.SHOTS_DIR) return
  mkdirSync(process.env.SHOTS_DIR, { recursive: true })
  copyFileSync(join(artifacts, name + '.png'), join(process.env.SHOTS_DIR, name + '.png'))
}

describe('segments', () => {
  var segmentID

  test('save the filters as a segment, apply it, see the numbers of the API', async () => {
    var all = (await queryFromPage(page, { site_id: SITE, metrics: ['visitors'], date_range: '28d' })).results[0].metrics[0]
    await page.goto(server.url + '/' + SITE + '?period=28d&f=is,device,Mobile')
    await settle(page)
    await page.locator('[data-segments]').click()
    var form = page.locator('[data-save-segment]')
    await form.locator('[data-segment-name-input]').fill('Mobile visitors')
    await form.locator('[data-segment-shared]').check()
    await form.getByRole('button', { name: 'Save' }).click()
    // Saved and applied: the URL names the segment, the chip its name.
    await until(async () => /[?&]f=is,segment,\d+/.test(new URL(page.url()).search), true, 'the segment in the URL')
    segmentID = /f=is,segment,(\d+)/.exec(new URL(page.url()).search)[1]
    await until(async () => (await page.locator('.chip[data-filter="segment"]').innerText({ timeout: 2000 })).trim(), 'Segment Mobile visitors', 'the chip')
    var bySegment = (await queryFromPage(page, { site_id: SITE, metrics: ['visitors'], date_range: '28d', filters: [['is', 'segment', [Number(segmentID)]]] })).results[0].metrics[0]
    var written = (await queryFromPage(page, { site_id: SITE, metrics: ['visitors'], date_range: '28d', filters: [['is', 'visit:device', ['Mobile']]] })).results[0].metrics[0]
    assert.equal(bySegment, written, 'the segment counts what its filters count')
    assert.ok(bySegment > 0 && bySegment < all, `the segment (${bySegment}) is a part of all visitors (${all})`)
    await until(() => visitorsShown(page), String(bySegment), 'the visitors shown under the segment')

    // Removing the segment gives every visitor back; applying it from the
    // menu narrows them again.
    await page.locator('.chip[data-filter="segment"] .chip-x').click()
    await until(() => visitorsShown(page), String(all), 'the visitors without the segment')
    await page.locator('[data-segments]').click()
    await page.locator('[data-apply-segment="Mobile visitors"]').click()
    await until(() => visitorsShown(page), String(bySegment), 'the visitors once the segment is applied from the menu')
    await settle(page)
    await shot(page, 'segments-applied')
  })

  test('screenshots of the menu and the chip, 1440 and 390 px, EN and FR', async () => {
    var state = await page.context().storageState()
    for (var lang of ['en', 'fr']) {
      for (var width of [1440, 390]) {
        var p = await newPage(browser, server, { viewport: { width, height: 1000 }, locale: lang === 'fr' ? 'fr-FR' : 'en-GB', storageState: state })
        await p.goto(server.url + '/' + SITE + '?period=28d&f=is,segment,' + segmentID + '&f=is,country,FR&lang=' + lang)
        await settle(p)
        await until(async () => (await p.locator('.chip[data-filter="segment"] [data-segment-name]').innerText({ timeout: 2000 })).trim(), 'Mobile visitors', 'the chip ' + lang)
        // Every panel has drawn its rows.
        await until(() => p.locator('[aria-busy="true"], .skeleton-rows').count(), 0, 'the panels loaded ' + lang + ' ' + width, 60000)
        await settle(p)
        await shot(p, `segments-dashboard-${lang}-${width}`)
        keep(`segments-dashboard-${lang}-${width}`)
        await p.locator('[data-segments]').click()
        await p.locator('[data-apply-segment="Mobile visitors"]').waitFor()
        await p.locator('[data-save-segment] [data-segment-name-input]').fill(lang === 'fr' ? 'Mobiles de France' : 'Mobile from France')
        await shot(p, `segments-menu-${lang}-${width}`)
        keep(`segments-menu-${lang}-${width}`)
        assert.deepEqual(p.problems, [])
        await p.context().close()
      }
    }
  })

  test('a shared link lists the shared segment and applies it, read-only', async () => {
    var link = await page.evaluate(async site => {
      var csrf = (await (await fetch('/api/auth/me')).json()).csrf_token
      var res = await fetch('/api/sites/' + site + '/shared-links', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify({ name: 'press' }) })
      return res.json()
    }, SITE)
    var slug = link.slug || (link.url || '').split('/').pop()
    var p = await newPage(browser, server, { viewport: { width: 1440, height: 1000 } })
    await p.goto(server.url + '/share/' + slug + '?period=28d')
    await settle(p)
    await p.locator('[data-segments]').click()
    await p.locator('[data-apply-segment="Mobile visitors"]').click()
    var want = (await queryFromPage(page, { site_id: SITE, metrics: ['visitors'], date_range: '28d', filters: [['is', 'segment', [Number(segmentID)]]] })).results[0].metrics[0]
    await until(() => visitorsShown(p), String(want), 'the visitors under the segment through the shared link')
    await p.locator('[data-segments]').click()
    assert.equal(await p.locator('[data-save-segment]').count(), 0, 'no saving through a shared link')
    assert.equal(await p.locator('[data-rename-segment], [data-delete-segment]').count(), 0, 'no change through a shared link')
    assert.deepEqual(p.problems, [])
    await p.context().close()
  })

  test('rename and delete from the menu', async () => {
    await page.goto(server.url + '/' + SITE + '?period=28d&f=is,segment,' + segmentID)
    await settle(page)
    await page.locator('[data-segments]').click()
    await page.locator('[data-segment="' + segmentID + '"] [data-rename-segment]').click()
    var rename = page.locator('[data-rename-form]')
    await rename.getByLabel('Name').fill('Phones')
    await rename.getByRole('button', { name: 'Save' }).click()
    await page.locator('[data-apply-segment="Phones"]').waitFor()
    await until(async () => (await page.locator('.chip[data-filter="segment"] [data-segment-name]').innerText({ timeout: 2000 })).trim(), 'Phones', 'the chip after renaming')
    await page.locator('[data-segment="' + segmentID + '"] [data-delete-segment]').click()
    await page.locator('[data-delete-form]').getByRole('button', { name: 'Delete' }).click()
    await page.locator('[data-apply-segment="Phones"]').waitFor({ state: 'detached' })
    // The deleted segment's filter leaves the view.
    await until(async () => new URL(page.url()).search.includes('segment'), false, 'the segment left the URL')
  })
})
