// The dashboard tells the truth: what it shows under a goal filter, on a
// new site, in French and to a viewer is what the Stats API answers, in
// the reader's words. Headless Chromium against the real binary; each test
// waits for the exact text it asserts and leaves screenshots at 1440 px and
// 390 px in English and French in test-artifacts/.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { call, demo, launch, login, newPage, queryFromPage, settle, shot, SITE, startServer, until } from './harness.js'

var server
var browser
var page

before(async () => {
  server = await startServer()
  demo(server.data)
  browser = await launch()
  page = await newPage(browser, server, { viewport: { width: 1440, height: 1000 } })
  await login(page, server)
  // Goals from the demo's custom events and a page, and a funnel of them.
  var ids = {}
  for (var g of [{ event_name: 'Signup' }, { event_name: 'Purchase' }, { page_path: '/panier' }]) {
    ids[g.event_name || g.page_path] = (await call(page, 'POST', '/api/sites/' + SITE + '/goals', g)).id
  }
  await call(page, 'POST', '/api/sites/' + SITE + '/funnels', { name: 'Achat', steps: [ids['/panier'], ids.Purchase], window_seconds: 3600 })
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
      await shot(p, `truth-${name}-${lang}-${width}`)
      assert.deepEqual(p.problems, [])
      await p.context().close()
    }
  }
}

function pct(v, lang) {
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(v / 100)
}

// The cells of a panel's row: [label, ...metric texts].
async function rowTexts(p, panel, value) {
  var row = p.locator(`[data-panel="${panel}"] table.rows[aria-busy="false"] tr`, { has: p.locator(`.bar-row[data-value="${value}"]`) })
  return (await row.locator('th, td').allInnerTexts({ timeout: 2000 })).map(s => s.trim())
}

// The top stats shown: metric → value text.
async function topStats(p) {
  var out = {}
  for (var m of await p.locator('.top-stats[aria-busy="false"] .stat[data-metric]').all({ timeout: 2000 })) out[await m.getAttribute('data-metric')] = (await m.locator('.stat-value').innerText({ timeout: 2000 })).trim()
  return out
}

// In the page: what the elements of the selectors show cut. A word split
// across lines (a header broken inside a word), a name shown in fewer than
// 8 characters' room (or its own width, if shorter), a menu narrower than
// its chosen option. Returns one line per fault.
function cutWords(selectors) {
  var faults = []
  var ctx = document.createElement('canvas').getContext('2d')
  var textWidth = (el, text) => {
    ctx.font = getComputedStyle(el).font
    return ctx.measureText(text).width
  }
  for (var sel of selectors) {
    for (var el of document.querySelectorAll(sel)) {
      var cs = getComputedStyle(el)
      var inner = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)
      if (el.tagName === 'SELECT') {
        // The browser's own arrow takes about 20 px beside the padding.
        var shown = inner - (cs.appearance === 'none' ? 0 : 20)
        var chosen = el.options[el.selectedIndex].text
        if (textWidth(el, chosen) > shown + 1) faults.push(`${sel}: "${chosen}" in ${Math.round(shown)} px`)
        continue
      }
      // Measured in the font of the text itself (a header's sort button
      // is smaller than its cell's), as shown (uppercase headers).
      var text = el.innerText.trim()
      var first = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, n => (n.data.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP)).nextNode()
      var fontEl = first ? first.parentElement : el
      var room = Math.min(textWidth(fontEl, text), textWidth(fontEl, 'Abcdefgh'))
      if (inner + 1 < room) faults.push(`${sel}: "${text}" in ${Math.round(inner)} px`)
      var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT)
      for (var node = walker.nextNode(); node; node = walker.nextNode()) {
        for (var m of node.data.matchAll(/\S+/g)) {
          var r = document.createRange()
          r.setStart(node, m.index)
          r.setEnd(node, m.index + m[0].length)
          var lines = new Set([...r.getClientRects()].map(q => Math.round(q.top)))
          if (lines.size > 1) faults.push(`${sel}: "${m[0]}" split over ${lines.size} lines`)
        }
      }
    }
  }
  return faults
}

describe('the dashboard tells the truth', () => {
  test('under a goal filter, a breakdown row shows its own conversion rate', async () => {
    var filters = [['is', 'event:goal', ['Purchase']]]
    var api = await queryFromPage(page, { site_id: SITE, metrics: ['visitors', 'group_conversion_rate', 'conversion_rate'], date_range: '28d', dimensions: ['visit:country'], filters, include: { imports: true } })
    var fr = api.results.find(r => r.dimensions[0] === 'FR')
    assert.ok(fr, 'France converts in the demo data')
    // The two rates differ, so the test tells them apart.
    assert.notEqual(pct(fr.metrics[1], 'en'), pct(fr.metrics[2], 'en'))
    await page.goto(server.url + '/' + SITE + '?period=28d&f=is,goal,Purchase')
    await page.locator('[data-panel="locations"]').getByRole('tab', { name: 'Countries' }).click()
    var visitors = new Intl.NumberFormat('en', { maximumFractionDigits: 1 }).format(fr.metrics[0])
    await until(() => rowTexts(page, 'locations', 'FR'), ['France', visitors, pct(fr.metrics[1], 'en')], 'the France row')
    // The details list says the same.
    await page.locator('[data-panel="locations"] [data-details]').click()
    var dialog = page.getByRole('dialog')
    var rate = async () => (await dialog.locator('table.details[aria-busy="false"] tr', { has: page.getByRole('button', { name: /France$/ }) }).locator('td').last().innerText({ timeout: 2000 })).trim()
    await until(rate, pct(fr.metrics[1], 'en'), 'the France row of the details')
    await page.keyboard.press('Escape')
    await shots('goal-rows', '/' + SITE + '?period=28d&f=is,goal,Purchase', async p => {
      await p.locator('[data-panel="locations"] [role=tab]').nth(1).click()
      await p.locator('[data-panel="locations"] .rows[aria-busy="false"]').first().waitFor()
    })
  })

  test('under a property filter, the top stats do not contradict each other', async () => {
    var filters = [['is', 'event:props:plan', ['artisan']]]
    var api = await queryFromPage(page, { site_id: SITE, metrics: ['visitors', 'pageviews'], date_range: '28d', filters, include: { imports: true } })
    // The demo sets plan on purchases and signups only: no pageview has it.
    assert.ok(api.results[0].metrics[0] > 0, 'visitors with the property')
    assert.equal(api.results[0].metrics[1], 0)
    await page.goto(server.url + '/' + SITE + '?period=28d&f=is,props:plan,artisan')
    // Pageviews 0 beside views per visit 2 would contradict: views per
    // visit (whole visits) is not shown.
    var shown = async () => {
      var stats = await topStats(page)
      return [Object.keys(stats), stats.pageviews]
    }
    await until(shown, [['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], '0'], 'the top stats under a property filter')
    await shots('prop-filter', '/' + SITE + '?period=28d&f=is,props:plan,artisan', p => p.locator('.top-stats[aria-busy="false"]').waitFor())
  })

  test('the exit pages details show the exit rate of each page', async () => {
    var api = await queryFromPage(page, { site_id: SITE, metrics: ['visitors', 'visits', 'exit_rate'], date_range: '28d', dimensions: ['visit:exit_page'], order_by: [['visitors', 'desc']], pagination: { limit: 1 }, include: { imports: true } })
    var [name] = api.results[0].dimensions
    var [visitors, visits, rate] = api.results[0].metrics
    assert.ok(rate > 0 && rate < 100, `an exit rate between 0 and 100 %: ${rate}`)
    await page.goto(server.url + '/' + SITE + '?period=28d')
    await page.locator('[data-panel="pages"]').getByRole('tab', { name: 'Exit pages' }).click()
    await page.locator('[data-panel="pages"] [data-details]').click()
    var dialog = page.getByRole('dialog')
    var row = async () => (await dialog.locator('table.details[aria-busy="false"] tr', { has: page.getByRole('button', { name, exact: true }) }).locator('td').allInnerTexts({ timeout: 2000 })).map(s => s.trim())
    var n = v => new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(v)
    await until(row, [n(visitors), n(visits), pct(rate, 'en')], 'the exit rate of ' + name)
    assert.deepEqual((await dialog.locator('thead th').allTextContents()).map(s => s.trim()), ['Exit page', 'Unique visitors', 'Visits', 'Exit rate'])
    await page.keyboard.press('Escape')
  })

  test('the funnels panel reports under a goal filter', async () => {
    var report = await call(page, 'POST', '/api/sites/' + SITE + '/funnels/' + (await call(page, 'GET', '/api/sites/' + SITE + '/funnels')).funnels[0].id + '/report', { date_range: '28d', filters: [['has_done', ['is', 'event:goal', ['Purchase']]]] })
    var first = report.steps[0]
    assert.ok(first.visitors > 0, 'visits that purchased went to the basket first')
    await page.goto(server.url + '/' + SITE + '?period=28d&f=is,goal,Purchase')
    var step = page.locator('[data-panel="funnels"] .funnel[aria-busy="false"] li').first()
    var want = `1. Visit /panier ${new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(first.visitors)} · ${pct(first.conversion_rate, 'en')}`
    await until(async () => (await step.locator('.funnel-top').innerText({ timeout: 2000 })).replace(/\s+/g, ' ').trim(), want, 'the first step')
    assert.equal(await page.locator('[data-panel="funnels"] .error-box').count(), 0)
    await shots('funnel-goal', '/' + SITE + '?period=28d&f=is,goal,Purchase', p => p.locator('[data-panel="funnels"] .funnel[aria-busy="false"]').waitFor())
  })

  test('a new site shows no numbers it does not have, and an install prompt', async () => {
    var domain = 'vide.example.fr'
    await call(page, 'POST', '/api/sites', { domain, timezone: 'Europe/Paris' })
    await page.goto(server.url + '/' + domain + '?period=28d')
    var dash = { visitors: '–', visits: '–', pageviews: '–', views_per_visit: '–', bounce_rate: '–', visit_duration: '–' }
    await until(() => topStats(page), dash, 'the top stats of a site without events')
    // The install prompt carries the site's own snippet.
    await until(async () => (await page.locator('[data-install] .snippet pre code').innerText({ timeout: 2000 })).includes('/js/s/'), true, 'the install prompt')
    // An empty graph counts 0 and 1, not 0.2 visitors.
    await until(() => page.locator('.graph-box[data-y-ticks]').getAttribute('data-y-ticks', { timeout: 2000 }), '0|1', 'the y axis of an empty graph')
    await shots('new-site', '/' + domain + '?period=28d', p => p.locator('[data-install] .snippet pre code', { hasText: '/js/s/' }).waitFor())
  })

  test('year over year without last year shows no rate change', async () => {
    await page.goto(server.url + '/' + SITE + '?period=28d&compare=year_over_year')
    var changes = async () => {
      var out = {}
      for (var m of await page.locator('.top-stats[aria-busy="false"] .stat[data-metric]').all({ timeout: 2000 })) {
        out[await m.getAttribute('data-metric')] = (await m.locator('.stat-change > span:not(.sr-only)').first().innerText({ timeout: 2000 })).trim()
      }
      return out
    }
    var none = { visitors: '–', visits: '–', pageviews: '–', views_per_visit: '–', bounce_rate: '–', visit_duration: '–' }
    await until(changes, none, 'the changes against an empty last year')
    await shots('yoy-empty', '/' + SITE + '?period=28d&compare=year_over_year', p => p.locator('.top-stats[aria-busy="false"] .stat-change').first().waitFor())
  })

  test('French throughout: channels, goal names, durations, changes', async () => {
    var TOP = ['visitors', 'visit_duration']
    var api = await queryFromPage(page, { site_id: SITE, metrics: TOP, date_range: '28d', include: { imports: true, comparisons: { mode: 'previous_period' } } })
    var [visitors, duration] = api.results[0].metrics
    var prev = api.results[0].comparison.metrics[0]
    var c = Math.round(((visitors - prev) / prev) * 1000) / 10
    var fr = (n, d = 1) => new Intl.NumberFormat('fr', { maximumFractionDigits: d }).format(n)
    var d = Math.round(duration)
    var wantDuration = Math.floor(d / 60) ? `${Math.floor(d / 60)} min` + (d % 60 ? ` ${d % 60} s` : '') : `${d} s`
    var wantChange = (c > 0 ? '↑ ' : '↓ ') + fr(Math.abs(c)) + '\u202f%'
    var channels = await queryFromPage(page, { site_id: SITE, metrics: ['visitors'], date_range: '28d', dimensions: ['visit:channel'], include: { imports: true } })
    var organic = channels.results.find(r => r.dimensions[0] === 'Organic Search')
    await page.goto(server.url + '/' + SITE + '?period=28d&compare=previous_period&lang=fr')
    await page.locator('[data-panel="sources"] [role=tab]').first().click()
    var stat = m => page.locator(`.top-stats[aria-busy="false"] .stat[data-metric="${m}"]`)
    // Units keep to their number with no-break spaces.
    var plain = s => s.replace(/[\u00a0\u202f]/g, ' ').trim()
    await until(async () => plain(await stat('visit_duration').locator('.stat-value').innerText({ timeout: 2000 })), wantDuration, 'the visit duration in French')
    await until(async () => plain(await stat('visitors').locator('.stat-change > span:not(.sr-only)').first().innerText({ timeout: 2000 })), plain(wantChange), 'the change of visitors')
    await until(() => rowTexts(page, 'sources', 'Organic Search'), ['Recherche naturelle', fr(organic.metrics[0])], 'the Organic Search row')
    var step = page.locator('[data-panel="funnels"] .funnel[aria-busy="false"] li .funnel-name').first()
    await until(async () => (await step.innerText({ timeout: 2000 })).trim(), '1. Visite de /panier', 'a goal named after its page')
    await until(() => rowTexts(page, 'goals', 'Visit /panier').then(r => r[0]), 'Visite de /panier', 'the page goal in the goals panel')
    await shots('french', '/' + SITE + '?period=28d&compare=previous_period', p => p.locator('.top-stats[aria-busy="false"] .stat-change').first().waitFor())
  })

  test('on a phone (390 px), the goals, the period and comparison menus and the details read in whole words', async () => {
    for (var lang of ['en', 'fr']) {
      var p = await newPage(browser, server, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, storageState: await page.context().storageState() })
      await p.goto(server.url + '/' + SITE + '?period=28d&compare=previous_period&lang=' + lang)
      await p.locator('[data-panel="goals"] table.rows[aria-busy="false"]').waitFor()
      assert.deepEqual(await p.evaluate(cutWords, ['[data-panel="goals"] .bar-label', '[data-period]', '[data-compare]']), [], lang + ': the goals panel and the menus')
      await p.locator('[data-panel="goals"] [data-details]').click()
      await p.locator('dialog table.details[aria-busy="false"]').waitFor()
      assert.deepEqual(await p.evaluate(cutWords, ['dialog thead th', 'dialog tbody th']), [], lang + ': the goals details')
      await shot(p, `truth-phone-goal-details-${lang}-390`)
      assert.deepEqual(p.problems, [])
      await p.context().close()
    }
  })

  test('a server that stops answering is told in the reader’s language', async () => {
    var gone = await startServer()
    var p = await newPage(browser, gone, { viewport: { width: 1440, height: 1000 } })
    try {
      await login(p, gone)
      await p.goto(gone.url + '/' + SITE + '?period=28d&lang=fr')
      await p.locator('.top-stats[aria-busy="false"]').waitFor()
      await gone.stop()
      // Seven days (the "w" key): new queries, and nobody to answer them.
      await p.keyboard.press('w')
      var said = async () => (await p.locator('.error-box p').first().innerText({ timeout: 2000 })).trim()
      await until(said, 'Chargement impossible : Le serveur est injoignable. Vérifiez votre connexion, puis réessayez.', 'the error of a lost server')
    } finally {
      await p.context().close()
      await gone.stop()
    }
  })

  test('a viewer sees no edit controls; a refused action says why in a sentence', async () => {
    var email = 'lecteur@client.fr'
    // Invited as an administrator: the goals page offers to delete.
    var { link } = await call(page, 'POST', '/api/sites/' + SITE + '/members', { email, role: 'admin' })
    var ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'en-GB' })
    var p = await ctx.newPage()
    await p.goto(link)
    await p.getByLabel('New password').fill('the reader chose this')
    await p.getByLabel('Repeat the password').fill('the reader chose this')
    await p.getByRole('button', { name: 'Create my account and join' }).click()
    await p.waitForURL(new RegExp('/' + SITE.replace(/\./g, '\\.') + '$'))
    await p.goto(server.url + '/' + SITE + '/settings/goals')
    var remove = p.getByRole('button', { name: /Delete/ }).first()
    await remove.waitFor()
    // Made a viewer meanwhile: the click is refused by the server.
    assert.equal((await call(page, 'POST', '/api/sites/' + SITE + '/members', { email, role: 'viewer' })).member?.role ?? 'viewer', 'viewer')
    await remove.click()
    await p.getByRole('dialog').locator('[data-confirm]').click()
    await until(async () => (await p.getByRole('dialog').getByRole('alert').innerText({ timeout: 2000 })).trim(), 'Your role on this site does not allow this. Ask one of its administrators.', 'the refusal')
    await shot(p, 'truth-refused-en-1440')
    // Once reloaded, a viewer sees no control that edits or deletes.
    var controls = async path => {
      await p.goto(server.url + path)
      await p.locator('[data-viewer-note]').waitFor({ timeout: 5000 })
      return p.locator('main').getByRole('button', { name: /^(Add|Delete|Save|Remove|Create|Revoke|Invite)/ }).count()
    }
    await until(() => controls('/' + SITE + '/settings/goals'), 0, 'controls on the goals settings')
    await until(async () => (await p.locator('[data-viewer-note]').innerText({ timeout: 2000 })).trim(), 'You can read the statistics of this site; its settings are in the hands of its administrators.', 'the note to a viewer')
    for (var path of ['/' + SITE + '/settings/funnels', '/' + SITE + '/settings/shared-links', '/' + SITE + '/settings/general', '/' + SITE + '/settings/danger']) {
      await until(() => controls(path), 0, 'controls on ' + path)
    }
    await p.goto(server.url + '/' + SITE + '?period=28d')
    await p.locator('.top-stats[aria-busy="false"] .stat-value[data-value]').first().waitFor()
    assert.equal(await p.locator('a[href$="/settings"], a[href*="/settings/"]').count(), 0, 'no link to the settings')
    await p.goto(server.url + '/sites')
    await p.locator('.site-card', { hasText: SITE }).waitFor()
    assert.equal(await p.locator('a[href*="/settings"]').count(), 0, 'no link to the settings from the sites')
    var state = await ctx.storageState()
    await ctx.close()
    for (var lang of ['en', 'fr']) {
      for (var width of [1440, 390]) {
        var v = await newPage(browser, server, { viewport: { width, height: 1000 }, locale: lang === 'fr' ? 'fr-FR' : 'en-GB', storageState: state })
        await v.goto(server.url + '/' + SITE + '/settings/goals?lang=' + lang)
        await v.locator('[data-viewer-note]').waitFor()
        await shot(v, `truth-viewer-${lang}-${width}`)
        await v.context().close()
      }
    }
  })
})
