// First meaningful paint of the site dashboard, timed inside the page
// (milliseconds since navigation start) in Debian's headless Chromium.
//
//   node bench/dashboard/fmp.mjs   (from the repository root, after
//   `make build`, against a running `sillage serve`)
//
// Environment: URL (default http://127.0.0.1:8080), EMAIL and PASSWORD of
// a user of the site, PAGE (default /bench.example.fr?period=30d), RUNS
// (default 6), REQS=1 to list each load's API requests.
import { chromium } from '../../dashboard/node_modules/playwright-core/index.mjs'

const base = process.env.URL || 'http://127.0.0.1:8080'
const path = process.env.PAGE || '/bench.example.fr?period=30d'
const runs = Number(process.env.RUNS || 6)
if (!process.env.EMAIL || !process.env.PASSWORD) throw new Error('set EMAIL and PASSWORD')

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
const ctx = await browser.newContext()
await ctx.addInitScript(() => {
  window.__fmp = {}
  const mark = () => {
    const now = Math.round(performance.now())
    if (!__fmp.top && document.querySelector('.top-stats .stat-value[data-value]')) __fmp.top = now
    if (!__fmp.graph && document.querySelector('.graph-card canvas')) __fmp.graph = now
    if (!__fmp.all && __fmp.top && !document.querySelector('.skeleton')) __fmp.all = now
  }
  new MutationObserver(mark).observe(document, { childList: true, subtree: true, attributes: true })
})
const page = await ctx.newPage()
await page.goto(base + '/login')
const login = await page.request.post(base + '/api/auth/login', {
  data: { email: process.env.EMAIL, password: process.env.PASSWORD },
  headers: { Origin: base },
})
if (!login.ok()) throw new Error('login: ' + login.status())
for (let i = 0; i < runs; i++) {
  await page.goto(base + path)
  await page.waitForFunction(() => window.__fmp && window.__fmp.all, null, { timeout: 90000, polling: 100 })
  const m = await page.evaluate(() => ({
    ...__fmp,
    fcp: Math.round((performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0),
    reqs: performance
      .getEntriesByType('resource')
      .filter(e => e.name.includes('/api/'))
      .map(e => [Math.round(e.startTime), Math.round(e.responseEnd), e.name.replace(location.origin, '').slice(0, 40)]),
  }))
  console.log(`run ${i}: first contentful paint ${m.fcp} ms, top stats ${m.top} ms, graph ${m.graph} ms, every panel ${m.all} ms`)
  if (process.env.REQS) for (const r of m.reqs) console.log('    ', r.join(' '))
}
await browser.close()
