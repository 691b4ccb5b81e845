// A new site's retention in its settings, in headless Chromium against the
// real server binary: 25 months by default, 13 months offered, and the page
// says why (the CNIL's conditions) and what "forever" means, in EN and FR.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { launch, newPage, settle, shot, startServer, USER } from './harness.js'

var server
var browser
// Intl puts a no-break space between a number and its unit.
var norm = s => s.replace(/\s+/g, ' ').trim()

before(async () => {
  server = await startServer()
  browser = await launch()
})

after(async () => {
  if (browser) await browser.close()
  if (server) await server.stop()
})

describe('retention of a new site', () => {
  for (const [locale, want] of [
    ['en-GB', { selected: '25 months', thirteen: '13 months', forever: 'Forever', cnil: /CNIL.*25 months at most/, means: /“Forever” deletes nothing/ }],
    ['fr-FR', { selected: '25 mois', thirteen: '13 mois', forever: 'Sans limite', cnil: /CNIL.*plus de 25 mois/, means: /« Sans limite » ne supprime rien/ }],
  ]) {
    test(`defaults to 25 months and says why (${locale})`, async () => {
      var page = await newPage(browser, server, { locale, viewport: { width: 1280, height: 900 } })
      try {
        // Logged in through the API (the context's cookies), then a site added
        // from the page as the dashboard does.
        var res = await page.request.post(server.url + '/api/auth/login', { data: { email: USER, password: server.password } })
        assert.equal(res.status(), 200)
        await page.goto(server.url + '/sites')
        await settle(page)
        var domain = 'retention-' + locale.toLowerCase() + '.example.fr'
        var status = await page.evaluate(async domain => {
          var csrf = (await (await fetch('/api/auth/me')).json()).csrf_token
          var r = await fetch('/api/sites', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
            body: JSON.stringify({ domain, timezone: 'Europe/Paris' }),
          })
          return r.status
        }, domain)
        assert.equal(status, 201)
        await page.goto(server.url + '/' + domain + '/settings/retention')
        await settle(page)
        var select = page.locator('select').first()
        await select.waitFor()
        assert.equal(await select.inputValue(), '758')
        assert.equal(norm(await select.locator('option:checked').textContent()), want.selected)
        var options = (await select.locator('option').allTextContents()).map(norm)
        assert.ok(options.includes(want.thirteen), 'no 13-month choice: ' + options)
        assert.ok(options.includes(want.forever), 'no forever choice: ' + options)
        assert.match(await page.locator('[data-testid="retention-cnil"]').textContent(), want.cnil)
        assert.match(await page.locator('[data-testid="retention-forever"]').textContent(), want.means)
        await shot(page, 'retention-' + locale)
        assert.deepEqual(page.problems, [], 'the page broke its CSP, threw, or reached another origin')
      } finally {
        await page.context().close()
      }
    })
  }
})
