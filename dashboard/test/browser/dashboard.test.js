// The dashboard in headless Chromium against the real server binary
// (SILLAGE_BIN, default ../bin/sillage): what a marketer does, checked
// against the Stats API. One server for the whole file; the tests run in
// order and each leaves a screenshot in test-artifacts/.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, afterEach, before, describe, test } from 'node:test'
import { demo, fixtureServer, launch, login, newPage, queriesDuring, queryFromPage, settle, shot, SITE, startServer, until, VISITOR_UA } from './harness.js'

var server
var browser
var page
var TOP = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration']

before(async () => {
  server = await startServer()
  demo(server.data)
  browser = await launch()
  page = await newPage(browser, server, { viewport: { width: 1280, height: 900 } })
})

after(async () => {
  if (browser) await browser.close()
  if (server) {
    // The server's own errors, for whoever reads a failure.
    var errors = server.log().split('\n').filter(l => /level=ERROR|"level":"ERROR"/.test(l))
    for (var l of errors.slice(0, 20)) console.log('server: ' + l.slice(0, 300))
    await server.stop()
  }
})

afterEach(() => {
  if (page) assert.deepEqual(page.problems.splice(0), [], 'the page broke its CSP, threw, or reached another origin')
})

// Every panel loaded: none shows an error box (they name the failure).
async function noPanelFailed(p) {
  var errors = await p.locator('.error-box').allTextContents()
  assert.deepEqual(errors, [], 'panels failed to load')
}

// Opens a page of the app and waits for its data.
async function open(p, path) {
  await p.goto(server.url + path)
  await settle(p)
}

// The numbers of the top stats, from their data-value attributes.
async function topStats(p) {
  await p.locator('.top-stats[aria-busy="false"] .stat-value[data-value]').first().waitFor()
  await settle(p)
  await p.locator('.top-stats[aria-busy="false"] .stat-value[data-value]').first().waitFor()
  var out = {}
  for (var m of await p.locator('.stat[data-metric]').all()) {
    out[await m.getAttribute('data-metric')] = Number(await m.locator('.stat-value').getAttribute('data-value'))
  }
  return out
}

async function apiTop(p, q, shared) {
  var res = await queryFromPage(p, { site_id: SITE, metrics: TOP, ...q }, shared)
  var row = res.results[0]
  return Object.fromEntries(TOP.map((m, i) => [m, Number(row ? row.metrics[i] : 0)]))
}

describe('the dashboard', () => {
  test('logs in and lists the sites with their last 7 days', async () => {
    await page.goto(server.url + '/')
    await page.waitForURL(/\/login$/)
    await page.getByLabel('Email').fill('admin@example.fr')
    await page.getByLabel('Password').fill('not the password')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('alert').getByText('Wrong email or password.').waitFor()
    await login(page, server)
    var card = page.locator('.site-card', { hasText: SITE })
    await card.waitFor()
    await card.locator('.site-total strong').waitFor()
    await card.locator('.sparkline polyline').waitFor()
    await shot(page, '01-sites')
  })

  test('adds a site and sees its first event arrive from a page carrying the tracker', async () => {
    var domain = 'fixture.example.fr'
    await page.goto(server.url + '/sites/new')
    await page.getByLabel('Domain').fill(domain)
    var tz = await page.locator('#tz').inputValue()
    assert.equal(tz, 'Europe/Paris', 'the time zone defaults to the browser’s')
    await page.getByRole('button', { name: 'Add the site' }).click()
    await page.waitForURL(/\/sites\/new\?domain=fixture\.example\.fr/)
    // The snippet loads the site's own script, its domain baked in.
    var snippet = page.locator('.snippet pre code')
    await assert.doesNotReject(() => snippet.filter({ hasText: '/js/s/' }).waitFor())
    var src = (await snippet.textContent()).match(/^<script defer src="([^"]+\/js\/s\/[0-9a-f]{24}\.js)"><\/script>$/)?.[1]
    assert.ok(src, 'snippet: ' + (await snippet.textContent()))
    var status = page.locator('[data-site-status]')
    assert.equal(await status.getAttribute('data-site-status'), 'waiting')
    await shot(page, '02-new-site-waiting')

    var fixture = await fixtureServer(server, domain, src)
    var visitor = await browser.newContext({ userAgent: VISITOR_UA })
    try {
      var vp = await visitor.newPage()
      var sent = vp.waitForRequest(r => r.url() === server.url + '/api/event')
      await vp.goto(fixture.url)
      await sent
      await page.locator('[data-site-status="ok"]').waitFor({ timeout: 30000 })
      await shot(page, '02-new-site-first-event')
    } finally {
      await visitor.close()
      await fixture.close()
    }
  })

  test('shows top stats that match POST /api/v2/query', async () => {
    await open(page, '/' + SITE + '?period=28d')
    var shown = await topStats(page)
    var api = await apiTop(page, { date_range: '28d' })
    assert.deepEqual(shown, api)
    assert.ok(api.visitors > 0, 'the demo data shows')
    await page.locator('.graph-box[data-points]').waitFor()
    await shot(page, '03-dashboard')
    await noPanelFailed(page)
    assert.equal(await page.locator('.stat-sample').count(), 0, 'no sampling note for a small site')
  })

  test('says when the top stats are estimated from a sample', async () => {
    // A site this small is never sampled: the server's own answer is
    // marked as read from 12.5 % of the visitors on its way to the page.
    var p = await newPage(browser, server)
    await login(p, server)
    await p.route('**/api/v2/query', async route => {
      var res = await route.fetch()
      var body = await res.json()
      if (body.results && body.results.length == 1 && body.query.dimensions.length == 0) body.meta.sample_percent = 12.5
      await route.fulfill({ response: res, json: body })
    })
    await open(p, '/' + SITE + '?period=28d')
    var note = p.locator('.top-stats .stat-sample[role=note]')
    await note.waitFor()
    assert.match(await note.textContent(), /12\.5\s?%/)
    assert.deepEqual(p.problems, [])
    await p.context().close()
  })

  test('a click on a source filters every panel', async () => {
    await open(page, '/' + SITE + '?period=28d')
    var panel = page.locator('[data-panel="sources"]')
    await panel.getByRole('tab', { name: 'Sources' }).click()
    var row = panel.locator('.bar-row').first()
    await row.waitFor()
    var source = await row.getAttribute('data-value')
    var sent = await queriesDuring(page, () => row.click())
    await page.waitForURL(u => new URL(u).searchParams.getAll('f').includes('is,source,' + source))
    await page.locator('.chip[data-filter="visit:source"]').waitFor()
    // Every panel asked again, and every query carries the filter.
    var asked = new Set(sent.map(q => (q.dimensions && q.dimensions[0] ? q.dimensions[0].replace(/^time:.*/, 'time') : 'top')))
    for (var d of ['top', 'time', 'visit:source', 'event:page', 'visit:country', 'visit:browser', 'event:goal']) assert.ok(asked.has(d), `no query by ${d} after the click: ${[...asked]}`)
    for (var q of sent) assert.deepEqual(q.filters && q.filters.find(f => f[1] === 'visit:source'), ['is', 'visit:source', [source]], JSON.stringify(q))
    await until(() => topStats(page), await apiTop(page, { date_range: '28d', filters: [['is', 'visit:source', [source]]] }), 'the top stats under the source filter')
    await shot(page, '04-filtered-by-source')
    await noPanelFailed(page)
    // The chip removes it.
    await page.getByRole('button', { name: /Remove the filter/ }).click()
    await page.waitForURL(u => !new URL(u).searchParams.has('f'))
  })

  test('changes the period and the comparison, by menu and by keyboard', async () => {
    await open(page, '/' + SITE)
    await queriesDuring(page, () => page.locator('[data-period]').selectOption('7d'))
    await page.waitForURL(/period=7d/)
    var sent = await queriesDuring(page, () => page.locator('[data-compare]').selectOption('previous_period'))
    await page.waitForURL(/compare=previous_period/)
    var top = sent.find(q => !q.dimensions)
    assert.deepEqual(top.include, { imports: true, comparisons: { mode: 'previous_period' } })
    assert.equal(top.date_range, '7d')
    var series = sent.find(q => q.dimensions && q.dimensions[0].startsWith('time:'))
    assert.deepEqual(series.include, { imports: true, time_labels: true, comparisons: { mode: 'previous_period' } })
    await page.locator('.stat-change').first().waitFor()
    await until(() => topStats(page), await apiTop(page, { date_range: '7d' }), 'the top stats of 7d, compared')
    await shot(page, '05-7d-compared')

    // Keyboard: D is today (hours), X stops comparing, ? shows the help.
    await page.locator('body').press('d')
    await page.waitForURL(/period=day/)
    assert.equal(await page.locator('[data-interval]').inputValue(), 'hour')
    await page.locator('body').press('x')
    await page.waitForURL(u => !new URL(u).searchParams.has('compare'))
    await page.locator('body').press('?')
    var help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
    await help.waitFor()
    await shot(page, '05-shortcuts')
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'hidden' })

    // A custom range, then a click on the graph zooms to a day.
    await page.locator('[data-period]').selectOption('custom')
    await page.locator('[data-from]').fill('2024-01-01')
    await page.locator('[data-to]').fill('2024-01-31')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.waitForURL(/period=custom&from=2024-01-01&to=2024-01-31/)
    var box = page.locator('.graph-box[data-points="31"] .u-over')
    await box.waitFor()
    await settle(page)
    var b = await box.boundingBox()
    await page.mouse.move(b.x + b.width * 0.5, b.y + b.height / 2)
    await page.mouse.click(b.x + b.width * 0.5, b.y + b.height / 2)
    await page.waitForURL(/period=custom&from=2024-01-16&to=2024-01-16/)
    assert.equal(await page.locator('[data-interval]').inputValue(), 'hour')
  })

  test('the details list sorts, searches and pages', async () => {
    await open(page, '/' + SITE + '?period=28d')
    var panel = page.locator('[data-panel="pages"]')
    await panel.getByRole('tab', { name: 'Top pages' }).click()
    var sent = await queriesDuring(page, () => panel.locator('[data-details]').click())
    var dialog = page.getByRole('dialog')
    await dialog.waitFor()
    assert.ok(sent.some(q => q.dimensions && q.dimensions[0] === 'event:page' && q.pagination.limit === 20 && q.include.total_rows))
    sent = await queriesDuring(page, () => dialog.getByRole('button', { name: 'Pageviews' }).click())
    assert.deepEqual(sent.at(-1).order_by, [['pageviews', 'desc']])
    // The demo site has far more than a page of 20 paths.
    sent = await queriesDuring(page, () => dialog.locator('[data-next]').click())
    assert.deepEqual(sent.at(-1).pagination, { limit: 20, offset: 20 })
    await dialog.locator('.pager .muted').filter({ hasText: /^21\D+40\D/ }).waitFor()
    sent = await queriesDuring(page, async () => {
      await dialog.locator('[data-details-search]').fill('blog')
      await page.waitForTimeout(500)
    })
    assert.deepEqual(sent.at(-1).filters.at(-1), ['contains', 'event:page', ['blog']])
    await shot(page, '06-details')
    await page.keyboard.press('Escape')
  })

  test('opens a shared link logged out, and one with a password', async () => {
    await open(page, '/' + SITE + '/settings/shared-links')
    await page.getByLabel('Name').fill('Press')
    await page.getByRole('button', { name: 'Create a shared link' }).click()
    await page.getByRole('dialog').locator('[data-confirm]').click()
    var link = await page.locator('[data-new-link]').getAttribute('href')
    assert.match(link, /\/share\/[^/?#]+/)
    await shot(page, '07-shared-link-created')

    await page.getByLabel('Name').fill('Board')
    await page.getByLabel('Password (optional)').fill('s3cret-board')
    await page.getByRole('button', { name: 'Create a shared link' }).click()
    await page.getByRole('dialog').locator('[data-confirm]').click()
    await page.locator('[data-new-link]').filter({ hasNotText: link }).waitFor()
    var protectedLink = await page.locator('[data-new-link]').getAttribute('href')

    var outsider = await newPage(browser, server, { viewport: { width: 1280, height: 900 } })
    try {
      await outsider.goto(link)
      await outsider.getByText('read-only').waitFor()
      var slug = new URL(link).pathname.split('/').pop()
      await until(() => topStats(outsider), await apiTop(outsider, { date_range: '28d' }, slug), 'the shared view\'s top stats')
      assert.equal(await outsider.locator('[data-settings]').count(), 0)
      await shot(outsider, '07-shared-view')
      await noPanelFailed(outsider)

      await outsider.goto(protectedLink)
      await outsider.locator('[data-share-password]').fill('wrong')
      await outsider.getByRole('button', { name: 'See the statistics' }).click()
      await outsider.getByRole('alert').getByText('Wrong password.').waitFor()
      await outsider.locator('[data-share-password]').fill('s3cret-board')
      await outsider.getByRole('button', { name: 'See the statistics' }).click()
      await outsider.getByText('read-only').waitFor()
      await topStats(outsider)
      await shot(outsider, '07-shared-view-password')
      assert.deepEqual(outsider.problems, [])
    } finally {
      await outsider.context().close()
    }
  })

  test('switches language and theme, and keeps them', async () => {
    await open(page, '/' + SITE + '?period=7d')
    await page.locator('[data-lang-switch]').click()
    await page.waitForURL(/lang=fr/)
    // Like the theme, the page's language is set after the render.
    await page.waitForFunction(() => document.documentElement.lang === 'fr')
    await page.getByText('Visiteurs uniques').first().waitFor()
    // The attribution DB-IP's licence asks for, in the page's language.
    var credit = page.locator('footer a[data-geoip-credit]')
    assert.equal(await credit.textContent(), 'Géolocalisation IP par DB-IP')
    assert.equal(await credit.getAttribute('href'), 'https://db-ip.com')
    var before = await page.locator('html').getAttribute('data-theme')
    await page.locator('[data-theme-toggle]').click()
    // The theme is applied after the render the click causes.
    await page.waitForFunction(b => document.documentElement.getAttribute('data-theme') !== b, before)
    var theme = await page.locator('html').getAttribute('data-theme')
    await page.reload()
    await page.getByText('Visiteurs uniques').first().waitFor()
    assert.equal(await page.locator('html').getAttribute('data-theme'), theme)
    // Numbers follow the language too.
    await topStats(page)
    var duration = await page.locator('[data-metric="visit_duration"] .stat-value').textContent()
    assert.match(duration, /min|\bs\b/)
    await shot(page, '08-french-' + theme)
    // A link within the app keeps the language.
    await page.goto(server.url + '/sites?lang=fr')
    await page.getByRole('heading', { name: 'Vos sites' }).waitFor()
    await page.locator('[data-theme-toggle]').click()
    await page.locator('[data-lang-switch]').click()
    await page.getByRole('heading', { name: 'Your sites' }).waitFor()
    await page.getByRole('link', { name: 'IP Geolocation by DB-IP' }).waitFor()
  })

  test('exports the view as CSV', async () => {
    await open(page, '/' + SITE + '?period=30d&f=is,device,Desktop')
    var a = page.locator('[data-export]')
    var href = await a.getAttribute('href')
    assert.ok(href.startsWith('/api/sites/' + SITE + '/export?period=30d&f=is,device,Desktop&query='), href)
    assert.deepEqual(JSON.parse(new URL(href, server.url).searchParams.get('query')), { date_range: '30d', filters: [['is', 'visit:device', ['Desktop']]] })
    var [download] = await Promise.all([page.waitForEvent('download'), a.click()])
    var file = await download.path()
    var zip = readFileSync(file)
    assert.equal(zip.subarray(0, 2).toString(), 'PK', 'a zip file')
    assert.match(zip.toString('latin1'), /\.csv/)
    await shot(page, '09-export')
  })

  test('fits a 360 px wide phone', async () => {
    var phone = await newPage(browser, server, { viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true })
    try {
      await login(phone, server)
      await phone.goto(server.url + '/' + SITE + '?period=28d&f=is,country,FR')
      await topStats(phone)
      var width = await phone.evaluate(() => document.documentElement.scrollWidth)
      assert.ok(width <= 360, `the page is ${width} px wide`)
      await shot(phone, '10-phone')
      assert.deepEqual(phone.problems, [])
    } finally {
      await phone.context().close()
    }
  })

  test("settings: ticking a script feature changes the site's script, not its snippet", async () => {
    await open(page, '/' + SITE + '/settings/general')
    var snippet = page.locator('.snippet pre code')
    await snippet.filter({ hasText: '/js/s/' }).waitFor()
    var before = await snippet.textContent()
    var form = page.locator('[data-tracker-features]')
    await form.getByLabel('Scroll depth and time on page').waitFor()
    assert.equal(await form.getByLabel('Scroll depth and time on page').isChecked(), true)
    await form.getByLabel('File downloads').check()
    await form.getByRole('button', { name: 'Save' }).click()
    await page.getByText('Script features saved').waitFor()
    await shot(page, '11-settings-script-features')
    var script = await page.evaluate(s => fetch('/api/sites/' + s + '/script').then(r => r.json()), SITE)
    assert.deepEqual(script.features, ['downloads', 'engagement', 'retry'])
    assert.ok(before.includes(script.path), 'the snippet names the same script')
    await page.reload()
    await snippet.filter({ hasText: '/js/s/' }).waitFor()
    assert.equal(await snippet.textContent(), before)
    assert.equal(await form.getByLabel('File downloads').isChecked(), true)
  })

  test('settings: a goal, confirmed, then the account menu logs out', async () => {
    await open(page, '/' + SITE + '/settings/goals')
    await page.getByLabel('Event name').fill('Signup')
    await page.getByRole('button', { name: 'Add a goal' }).click()
    var dialog = page.getByRole('dialog')
    await dialog.getByText('Add the goal “Signup”?').waitFor()
    await dialog.locator('[data-confirm]').click()
    await page.locator('.items').getByText('Signup').first().waitFor()
    await shot(page, '11-settings-goals')
    // Deleting is confirmed too, and the list follows.
    await page.locator('.items .item').filter({ hasText: 'Signup' }).getByRole('button').click()
    await dialog.getByText('Delete the goal “Signup”?').waitFor()
    await dialog.locator('[data-confirm]').click()
    await page.locator('.items .item').filter({ hasText: 'Signup' }).waitFor({ state: 'detached' })
    await page.locator('[data-account]').click()
    await page.locator('[data-logout]').click()
    await page.waitForURL(/\/login$/)
    var res = await page.evaluate(() => fetch('/api/auth/me').then(r => r.status))
    assert.equal(res, 401)
  })
})

describe('deleting a site', () => {
  test('takes the domain typed again, then the site is gone', async () => {
    await page.goto(server.url + '/')
    if ((await page.evaluate(() => fetch('/api/auth/me').then(r => r.status))) === 401) await login(page, server)
    var sites = () => page.evaluate(async () => (await (await fetch('/api/sites')).json()).sites.map(s => s.domain))
    var added = await page.evaluate(async () => {
      var csrf = (await (await fetch('/api/auth/me')).json()).csrf_token
      var res = await fetch('/api/sites', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ domain: 'closing.example.fr', timezone: 'Europe/Paris' }),
      })
      return res.status
    })
    assert.equal(added, 201)
    await open(page, '/closing.example.fr/settings/danger')
    await page.getByRole('button', { name: 'Delete the site' }).click()
    var dialog = page.getByRole('dialog')
    var confirm = dialog.locator('[data-confirm]')
    await dialog.getByLabel('Type closing.example.fr to confirm').fill('closing.example')
    assert.equal(await confirm.isDisabled(), true, 'a wrong domain enables the button')
    await dialog.getByLabel('Type closing.example.fr to confirm').fill('closing.example.fr')
    await shot(page, '12-delete-site')
    await confirm.click()
    await page.waitForURL(/\/sites$/)
    var left = await sites()
    assert.ok(left.includes(SITE) && !left.includes('closing.example.fr'), 'sites left: ' + left)
  })
})
