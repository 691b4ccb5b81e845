// Email reports in headless Chromium against the real server binary: the
// settings tab without SMTP (it says so, and keeps subscriptions), a
// weekly report's HTML at desktop and phone widths in English and French,
// and, with a real SMTP server (Mailpit), a report that arrives and whose
// unsubscribe link works without logging in.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { demo, launch, login, newPage, settle, shot, SITE, startMailpit, startServer, USER } from './harness.js'

var browser
var pages = []

before(async () => {
  browser = await launch()
})

after(async () => {
  for (var p of pages) assert.deepEqual(p.problems, [], 'a page broke its CSP, threw, or reached another origin')
  if (browser) await browser.close()
})

async function fresh(server, options) {
  var p = await newPage(browser, server, { viewport: { width: 1440, height: 900 }, ...options })
  pages.push(p)
  return p
}

describe('reports without SMTP', () => {
  var server
  before(async () => {
    server = await startServer()
    demo(server.data)
  })
  after(async () => {
    if (server) await server.stop()
  })

  test('the settings say reports need SMTP, and keep what is chosen', async () => {
    var p = await fresh(server)
    await login(p, server)
    await p.goto(server.url + '/' + SITE + '/settings/reports')
    await p.locator('[data-reports-no-smtp]').getByText('need an SMTP server').waitFor()
    await p.locator('input[name=weekly]').check()
    await p.getByLabel('Language of the emails').first().selectOption('fr')
    await p.getByRole('button', { name: 'Save' }).first().click()
    await p.getByText('Saved.').first().waitFor()
    // An owner adds a client's address.
    await p.locator('input[name=recipient]').fill('boss@client.fr')
    await p.getByRole('button', { name: 'Add a recipient' }).click()
    var list = p.locator('[data-report-recipients]')
    await list.getByText('boss@client.fr').waitFor()
    await list.getByText(USER).waitFor()
    // Alerts: a spike threshold, to the admin.
    var alerts = p.locator('[data-alerts]')
    await alerts.locator('input[name=spike]').check()
    await alerts.locator('input[name=spike_visitors]').fill('40')
    await alerts.getByLabel(USER).check()
    await alerts.getByRole('button', { name: 'Save' }).click()
    await settle(p)
    await shot(p, 'reports-01-settings-no-smtp')

    // What was saved is what a new page shows.
    var again = await fresh(server)
    await login(again, server)
    await again.goto(server.url + '/' + SITE + '/settings/reports')
    await again.locator('[data-report-recipients]').getByText('boss@client.fr').waitFor()
    assert.equal(await again.locator('input[name=weekly]').isChecked(), true)
    assert.equal(await again.locator('input[name=monthly]').isChecked(), false)
    assert.equal(await again.locator('[data-alerts] input[name=spike_visitors]').inputValue(), '40')
    assert.equal(await again.locator('[data-alerts]').getByLabel(USER).isChecked(), true)
  })

  test("a weekly report's HTML, at 1440 and 390 px, in English and French", async () => {
    for (var lang of ['en', 'fr']) {
      for (var width of [1440, 390]) {
        var p = await fresh(server, { viewport: { width, height: 900 } })
        await login(p, server)
        await p.goto(server.url + '/api/sites/' + SITE + '/reports/preview?kind=weekly&lang=' + lang)
        var title = lang === 'fr' ? 'Rapport hebdomadaire' : 'Weekly report'
        await p.getByText(title, { exact: true }).waitFor()
        await p.getByText(lang === 'fr' ? 'Principales sources' : 'Top sources').waitFor()
        // Nothing wider than the window: no sideways scrolling on a phone.
        var overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
        assert.ok(overflow <= 0, `${lang} at ${width} px: ${overflow} px wider than the window`)
        await shot(p, `reports-02-weekly-${lang}-${width}`)
      }
    }
  })
})

describe('reports through SMTP', () => {
  var mailpit
  var server
  before(async () => {
    mailpit = await startMailpit()
    server = await startServer(port => ['--smtp-url', mailpit.smtpURL, '--smtp-from', 'Sillage <stats@example.fr>', '--public-url', 'http://127.0.0.1:' + port])
    demo(server.data)
  })
  after(async () => {
    if (server) await server.stop()
    if (mailpit) await mailpit.stop()
  })

  test('a subscriber gets the weekly report and unsubscribes in one click', async () => {
    var p = await fresh(server)
    await login(p, server)
    await p.goto(server.url + '/' + SITE + '/settings/reports')
    await p.locator('input[name=weekly]').waitFor()
    assert.equal(await p.locator('[data-reports-no-smtp]').count(), 0)
    await p.locator('input[name=weekly]').check()
    await p.getByRole('button', { name: 'Save' }).first().click()
    await p.getByText('Saved.').first().waitFor()
    // The scheduler ticks every minute: the last finished week's report.
    var m = await mailpit.waitFor(USER, 'Weekly report for ' + SITE, 150000)
    assert.match(m.Text, /Unique visitors\s+\d/)
    var link = m.Text.match(/http:\/\/\S+\/unsubscribe\/[A-Za-z0-9_-]+/)
    assert.ok(link, 'no unsubscribe link in ' + m.Text)

    var anon = await fresh(server)
    await anon.goto(link[0])
    await anon.getByText('Stop sending the weekly report of ' + SITE).waitFor()
    await shot(anon, 'reports-03-unsubscribe')
    await anon.getByRole('button', { name: 'Unsubscribe' }).click()
    await anon.getByText('Done: no more reports of ' + SITE).waitFor()

    await p.reload()
    await p.locator('input[name=weekly]').waitFor()
    assert.equal(await p.locator('input[name=weekly]').isChecked(), false)
  })
})
