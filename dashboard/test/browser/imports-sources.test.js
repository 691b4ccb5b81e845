// The import settings in headless Chromium against the real server: the
// upload offers Umami's and GoatCounter's exports beside Plausible's (an
// Umami export is imported as events through it), and the Google
// Analytics 4 section takes a property and a service account's key, and
// offers a Google connection when ops configured an OAuth client.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, afterEach, before, describe, test } from 'node:test'
import { launch, login, newPage, root, settle, shot, SITE, startServer } from './harness.js'

var day = n => new Date(Date.now() - n * 86400000).toISOString().slice(0, 10)

var server
var browser
var page

before(async () => {
  // Google is out of reach: the key's token endpoint is a closed port.
  server = await startServer(['--ga4-client-id', 'client.apps.example', '--ga4-client-secret', 'a-secret', '--ga4-data-url', 'http://127.0.0.1:9'])
  browser = await launch()
  page = await newPage(browser, server, { viewport: { width: 1440, height: 1000 } })
})

after(async () => {
  if (browser) await browser.close()
  if (server) await server.stop()
})

afterEach(() => {
  if (page) assert.deepEqual(page.problems.splice(0), [], 'the page broke its CSP, threw, or reached another origin')
})

describe('import sources', () => {
  test('an Umami export is chosen and imported as events', async () => {
    await login(page, server)
    await page.goto(server.url + '/' + SITE + '/settings/imports')
    var select = page.locator('[data-import-source]')
    await select.waitFor()
    assert.deepEqual(await select.locator('option').evaluateAll(os => os.map(o => o.value)), ['plausible', 'umami', 'goatcounter'])
    assert.equal(await page.locator('[data-import-file]').getAttribute('accept'), '.zip,.csv')
    await select.selectOption('goatcounter')
    assert.equal(await page.locator('[data-import-file]').getAttribute('accept'), '.csv,.gz')
    await select.selectOption('umami')
    assert.equal(await page.locator('[data-import-file]').getAttribute('accept'), '.csv')
    // The fixture's days, moved into the site's retention.
    var csv = readFileSync(join(root, '../imports/testdata/umami-export.csv'), 'utf8').replace(/2024-03-0(\d)/g, (_, d) => day(12 - Number(d)))
    await page.locator('[data-import-file]').setInputFiles({ name: 'umami-export.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    var item = page.locator('[data-import][data-status="completed"]')
    await item.waitFor({ timeout: 60000 })
    assert.match(await item.textContent(), /umami-export\.csv/)
    assert.match(await item.textContent(), /6 rows/)
  })

  test('a GA4 key starts an import; a Google connection is offered', async () => {
    await page.goto(server.url + '/' + SITE + '/settings/imports')
    await settle(page)
    assert.equal(await page.locator('[data-ga4-connect]').count(), 1)
    await page.locator('[data-ga4-property]').fill('123456789')
    await page.locator('[data-ga4-key]').setInputFiles({ name: 'key.json', mimeType: 'application/json', buffer: Buffer.from('not json') })
    await page.getByRole('button', { name: 'Import from GA4' }).click()
    await page.getByText('This file is not a JSON key.').waitFor()
    var key = {
      type: 'service_account', project_id: 'p', private_key_id: 'k', client_email: 'import@p.iam.gserviceaccount.com',
      private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
      token_uri: 'http://127.0.0.1:9/token',
    }
    await page.locator('[data-ga4-key]').setInputFiles({ name: 'key.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(key)) })
    await page.getByRole('button', { name: 'Import from GA4' }).click()
    // Google cannot be reached from here: the job fails and says why.
    var item = page.locator('[data-import][data-status="failed"]')
    await item.waitFor({ timeout: 60000 })
    assert.match(await item.textContent(), /properties\/123456789/)
    await settle(page)
    for (var lang of ['en', 'fr']) {
      await page.goto(server.url + '/' + SITE + '/settings/imports?lang=' + lang)
      await settle(page)
      for (var width of [1440, 390]) {
        await page.setViewportSize({ width, height: 1000 })
        await settle(page, 300)
        await shot(page, `imports-${lang}-${width}`)
      }
    }
    await page.setViewportSize({ width: 1440, height: 1000 })
  })
})
