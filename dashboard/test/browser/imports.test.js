// Importing history in headless Chromium against the real server: a zip
// of Plausible's CSV export uploaded in the site's settings, its progress
// followed to the end, the imported days on the graph with the line where
// they end, and the toggle that leaves them out.
import assert from 'node:assert/strict'
import { crc32 } from 'node:zlib'
import { after, afterEach, before, describe, test } from 'node:test'
import { launch, login, newPage, settle, shot, SITE, startServer } from './harness.js'

// A zip of stored (uncompressed) files: enough for a fixture.
function zip(files) {
  var parts = []
  var central = []
  var offset = 0
  for (var [name, text] of Object.entries(files)) {
    var data = Buffer.from(text)
    var fname = Buffer.from(name)
    var crc = crc32(data)
    var local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(fname.length, 26)
    var head = Buffer.alloc(46)
    head.writeUInt32LE(0x02014b50, 0)
    head.writeUInt16LE(20, 4)
    head.writeUInt16LE(20, 6)
    head.writeUInt32LE(crc, 16)
    head.writeUInt32LE(data.length, 20)
    head.writeUInt32LE(data.length, 24)
    head.writeUInt16LE(fname.length, 28)
    head.writeUInt32LE(offset, 42)
    parts.push(local, fname, data)
    central.push(head, fname)
    offset += 30 + fname.length + data.length
  }
  var cd = Buffer.concat(central)
  var end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(Object.keys(files).length, 8)
  end.writeUInt16LE(Object.keys(files).length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, cd, end])
}

var day = n => new Date(Date.now() - n * 86400000).toISOString().slice(0, 10)

var server
var browser
var page

before(async () => {
  server = await startServer()
  browser = await launch()
  page = await newPage(browser, server, { viewport: { width: 1100, height: 1000 } })
})

after(async () => {
  if (browser) await browser.close()
  if (server) await server.stop()
})

afterEach(() => {
  if (page) assert.deepEqual(page.problems.splice(0), [], 'the page broke its CSP, threw, or reached another origin')
})

describe('imports', () => {
  // Ten days of history, ending 10 days ago; no native events.
  var first = day(19)
  var last = day(10)
  var rows = []
  for (var i = 19; i >= 10; i--) rows.push(`"${day(i)}",${100 + i},${300 + i},40,120,6000`)
  var visitors = rows.reduce((s, r) => s + Number(r.split(',')[1]), 0)
  var files = {
    [`imported_visitors_${first.replaceAll('-', '')}_${last.replaceAll('-', '')}.csv`]:
      '"date","visitors","pageviews","bounces","visits","visit_duration"\n' + rows.join('\n') + '\n',
    [`imported_sources_${first.replaceAll('-', '')}_${last.replaceAll('-', '')}.csv`]:
      '"date","source","referrer","utm_source","utm_medium","utm_campaign","utm_content","utm_term","pageviews","visitors","visits","visit_duration","bounces"\n' +
      `"${last}","Google","google.com","","","","","",30,10,12,600,4\n`,
  }

  test('a Plausible zip uploaded in settings is imported', async () => {
    await login(page, server)
    await page.goto(server.url + '/' + SITE + '/settings/imports')
    await page.locator('[data-import-file]').setInputFiles({ name: 'plausible-export.zip', mimeType: 'application/zip', buffer: zip(files) })
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    // The list follows the job to its end.
    var item = page.locator('[data-import]').first()
    await item.locator('[data-status="completed"]').or(page.locator('[data-import][data-status="completed"]')).first().waitFor({ timeout: 60000 })
    assert.equal(await page.locator('[data-import]').count(), 1)
    assert.equal(await item.getAttribute('data-status'), 'completed')
    var text = await item.textContent()
    assert.match(text, new RegExp(`${first} to ${last}`))
    assert.match(text, /11 rows/)
    await shot(page, 'imports-settings')
  })

  test('the graph shows the imported range and the toggle leaves it out', async () => {
    await page.goto(server.url + '/' + SITE)
    await settle(page)
    var end = page.locator('[data-imports-end]')
    await end.waitFor({ timeout: 30000 })
    assert.equal(await end.getAttribute('data-imports-end'), last)
    var value = page.locator('.stat[data-metric="visitors"] .stat-value')
    assert.equal(Number(await value.getAttribute('data-value')), visitors)
    var toggle = page.locator('[data-imports-toggle]')
    assert.equal(await toggle.isChecked(), true)
    await shot(page, 'imports-graph')
    await toggle.uncheck()
    await page.waitForURL(/imports=off/)
    await settle(page)
    await end.waitFor({ state: 'detached', timeout: 30000 })
    // Without imported data the site has no visitor at all.
    var deadline = Date.now() + 20000
    while (Number(await value.getAttribute('data-value')) !== 0 && Date.now() < deadline) await new Promise(ok => setTimeout(ok, 100))
    assert.equal(Number(await value.getAttribute('data-value')), 0)
    assert.equal(await toggle.isChecked(), false)
    await toggle.check()
    await end.waitFor({ timeout: 30000 })
  })

  test('a panel whose numbers cannot take the imported history says so, in the reader’s language', async () => {
    // Channels with a source filter come from one imported table; devices
    // with a source filter would need two.
    await page.goto(server.url + '/' + SITE + '?period=28d&f=is,source,Google&lang=fr')
    var note = page.locator('[data-panel="devices"] [data-imports-skipped="unsupported_query"]')
    await note.waitFor({ timeout: 30000 })
    assert.equal((await note.innerText()).trim(), 'Les données importées ne sont pas dans ces chiffres : elles ne gardent pas ce qu’ils demandent.')
    // The world map too (countries with a source filter).
    await page.locator('[data-panel="locations"] [data-imports-skipped="unsupported_query"]').waitFor({ timeout: 30000 })
    // The channels take the history: the imported Google row got the
    // collector's channel when the import ended.
    var sources = page.locator('[data-panel="sources"]')
    await sources.locator('table.rows[aria-busy="false"] .bar-row[data-value="Organic Search"]').waitFor({ timeout: 30000 })
    assert.equal(await sources.locator('[data-imports-skipped]').count(), 0)
    assert.equal(await page.locator('[data-imports-end]').count(), 1, 'the graph took the imported history')
    await shot(page, 'imports-skipped-fr')
  })
})
