// The shared harness of the real-browser tests (test/browser/*.test.js,
// `npm run test:browser`): a real `sillage serve` on a free port of
// 127.0.0.1 with a fresh data folder, a tiny HTTP server for the fixture
// pages on another port (so the tracker runs cross-origin, as on a
// customer's site), and Debian's Chromium driven by playwright-core.
//
// It builds nothing. The binary is $SILLAGE_BIN, by default ../bin/sillage
// (what `make build` makes at the repository's root); the browser is
// $CHROMIUM_PATH, by default /usr/bin/chromium (`apt-get install chromium`).
//
// Requests to the collector are observed (page.on('request')), not
// mocked: they reach the real server, and the tests then read the numbers
// back from the Stats API. Two exceptions, each said where it is used: a
// test of an endpoint answering 500 (a route), and the tap below, which
// forwards to the collector what Playwright cannot see.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual, promisify } from 'node:util'
import { chromium } from 'playwright-core'

export var HERE = fileURLToPath(new URL('../..', import.meta.url)) // tracker-js/
export var SITE = 'shop.example.test'
export var BIN = process.env.SILLAGE_BIN ? resolve(process.env.SILLAGE_BIN) : resolve(HERE, '../bin/sillage')
export var CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export var ARTIFACTS = join(HERE, 'test-artifacts')
export var DIST = readFileSync(join(HERE, 'dist/script.js'))

// The queue stub of README.md, pasted before the script tag.
export var STUB =
  'window.sillage = window.sillage || function(){(window.sillage.q = window.sillage.q || []).push(arguments)}'

export var sleep = ms => new Promise(r => setTimeout(r, ms))

// Polls `f` (sync or async) until it returns something truthy, which is
// returned; past `timeout` ms, fails with `what`.
export async function until(f, { timeout = 5000, every = 50, what = 'condition' } = {}) {
  var end = Date.now() + timeout
  for (;;) {
    var v = await f()
    if (v) return v
    if (Date.now() > end) assert.fail(`timed out after ${timeout} ms waiting for ${what}`)
    await sleep(every)
  }
}

// A TCP port free right now on 127.0.0.1 (closed again: for the server we
// start next, or as an endpoint nobody listens on).
export function freePort() {
  return new Promise((ok, ko) => {
    var s = createNetServer()
    s.on('error', ko)
    s.listen(0, '127.0.0.1', () => {
      var { port } = s.address()
      s.close(() => ok(port))
    })
  })
}

// ---------------------------------------------------------------- sillage

// Starts `sillage serve` with a fresh data folder, waits for /readyz, and
// creates a Stats API key through the admin socket.
export async function startSillage() {
  assert.ok(
    existsSync(BIN),
    `no sillage binary at ${BIN}: run \`make build\` at the repository's root, or set SILLAGE_BIN`
  )
  var dir = mkdtempSync(join(tmpdir(), 'sillage-browser-'))
  var port = await freePort()
  var origin = `http://127.0.0.1:${port}`
  var log = ''
  var proc = spawn(
    BIN,
    [
      'serve',
      '--listen', `127.0.0.1:${port}`,
      '--data', dir,
      '--bootstrap-site', SITE,
      '--bootstrap-user', 'admin@example.test',
      '--flush-interval', '200ms',
      '--log-level', 'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  )
  proc.stdout.on('data', b => (log += b))
  proc.stderr.on('data', b => (log += b))
  var exited = new Promise(r => proc.on('exit', (code, signal) => r({ code, signal })))
  var gone = false
  exited.then(() => (gone = true))
  // Should this process end first (a timeout, say), the server goes too.
  var orphan = () => gone || proc.kill('SIGTERM')
  process.on('exit', orphan)
  exited.then(() => process.off('exit', orphan))

  var stop = async () => {
    if (!gone) {
      proc.kill('SIGTERM')
      var timer = setTimeout(() => proc.kill('SIGKILL'), 15000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    await until(
      async () => {
        if (gone) assert.fail(`sillage serve exited before it was ready:\n${log}`)
        try {
          return (await fetch(origin + '/readyz')).status == 200
        } catch (e) {
          return false
        }
      },
      { timeout: 30000, every: 100, what: `${origin}/readyz` }
    )
    var { stdout } = await promisify(execFile)(BIN, ['apikey', 'create', '--site', SITE, '--data', dir])
    var key = stdout.trim()
    assert.match(key, /^sk_\S+$/, 'apikey create printed no key')
  } catch (e) {
    await stop()
    throw e
  }

  // A Stats API v2 query for the site, by default over the days around
  // now (yesterday to tomorrow, UTC), so a run across midnight in the
  // site's time zone still finds the events it just sent.
  var day = offset => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10)
  var query = async body => {
    var r = await fetch(origin + '/api/v2/query', {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ site_id: SITE, date_range: [day(-1), day(1)], ...body }),
    })
    var text = await r.text()
    assert.equal(r.status, 200, `stats query ${JSON.stringify(body)}: ${r.status} ${text}`)
    return JSON.parse(text)
  }

  return {
    port,
    origin,
    api: origin + '/api/event',
    script: origin + '/js/script.js',
    key,
    dir,
    get log() {
      return log
    },
    query,
    // Queries until `check(rows)` holds (events show up after the flush
    // interval, 200 ms), 5 s at most; returns the rows, each as
    // {dimensions, metrics}, with `byDim`: 'dim1|dim2' → metrics.
    async poll(body, check, timeout = 5000) {
      var last
      try {
        return await until(
          async () => {
            last = (await query(body)).results
            last.byDim = Object.fromEntries(last.map(r => [r.dimensions.join('|'), r.metrics]))
            return check(last) && last
          },
          { timeout, every: 200, what: 'the Stats API' }
        )
      } catch (e) {
        assert.fail(`Stats API: ${JSON.stringify(body)} gave ${JSON.stringify(last)}, not what was expected`)
      }
    },
    // Queries until pick(rows) (by default rows.byDim) is exactly want:
    // the numbers asserted, not a row count, which can be reached while a
    // row's numbers still grow. Fails with the last rows seen.
    async pollFor(body, want, pick = r => r.byDim, timeout) {
      var rows = await this.poll(body, r => isDeepStrictEqual(pick(r), want), timeout)
      assert.deepEqual(pick(rows), want)
      return rows
    },
    // How many events reached the collector at all (accepted, dropped,
    // invalid or rejected), from /metrics.
    async received() {
      var text = await (await fetch(origin + '/metrics')).text()
      return text
        .split('\n')
        .filter(l => /^sillage_events_(accepted|dropped|invalid|rejected)_total\b/.test(l))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0)
    },
    // Calls the dashboard JSON API with the key (goals need an owner's key).
    async api2(method, path, body) {
      var r = await fetch(origin + path, {
        method,
        headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' },
        body: body && JSON.stringify(body),
      })
      return { status: r.status, body: await r.json().catch(() => null) }
    },
    // A revenue goal for the event `name`, made once: as in Plausible,
    // revenue is counted through revenue goals only.
    async revenueGoal(name, currency = 'EUR') {
      var got = await this.api2('POST', `/api/sites/${SITE}/goals`, { event_name: name, currency })
      assert.ok(got.status == 201 || got.status == 409, `revenue goal ${name}: ${got.status} ${JSON.stringify(got.body)}`)
    },
    stop,
  }
}

// --------------------------------------------------------------- fixtures

// The HTML of a fixture page. `attrs` are the feature attributes of the
// script tag; `stub` pastes the queue stub, `inline` a script after it (both
// before the tracker's tag); `head` and `body` go where they say.
function page(sillage, o) {
  var tag = [
    `<script defer data-domain="${o.domain ?? SITE}"`,
    `data-api="${o.api ?? sillage.api}"`,
    o.allowLocalhost === false ? '' : 'data-allow-localhost',
    o.allowAutomation === false ? '' : 'data-allow-automation',
    o.attrs || '',
    `src="${o.src ?? sillage.script}"></script>`,
  ]
    .filter(Boolean)
    .join(' ')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${o.title}</title>
<style>body{font:16px/1.4 sans-serif;margin:2em}a,button{display:inline-block;margin:.3em 0;padding:.4em .8em;font-size:16px}</style>
${o.stub ? `<script>${STUB}</script>` : ''}
${o.inline ? `<script>${o.inline}</script>` : ''}
${o.head || ''}
${o.noTracker ? '' : tag}
</head><body>
<h1>${o.title}</h1>
${o.body || ''}
</body></html>`
}

// The fixture server, on its own port of 127.0.0.1 (also reachable as
// localhost). Pages are registered by path with `add`; any other path
// answers a plain page without the tracker (landing pages, "files").
export async function startFixtures(sillage) {
  var pages = new Map()
  var files = new Map()
  var server = createServer((req, res) => {
    var path = new URL(req.url, 'http://x').pathname
    var f = files.get(path)
    if (f) {
      res.writeHead(200, { 'Content-Type': f.type, 'Cache-Control': 'no-store' })
      return res.end(f.body)
    }
    var p = pages.get(path)
    if (p) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...p.headers })
      return res.end(p.html)
    }
    if (path == '/favicon.ico') {
      res.writeHead(204)
      return res.end()
    }
    if (/\.\w+$/.test(path)) {
      // A "file": shown as text rather than downloaded.
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
      return res.end(`The file ${path}.\n`)
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(page(sillage, { title: `Plain page ${path}`, noTracker: true }))
  })
  await new Promise(r => server.listen(0, '127.0.0.1', r))
  var port = server.address().port
  var origin = `http://127.0.0.1:${port}`
  return {
    port,
    origin,
    url: (path, host = '127.0.0.1') => `http://${host}:${port}${path}`,
    // Registers a page (see `page` for the options; `headers` are added to
    // the response) and returns its url on 127.0.0.1.
    add(path, o = {}) {
      pages.set(path, { html: page(sillage, { title: path, ...o }), headers: o.headers || {} })
      return origin + path
    },
    // Serves `body` at `path` as is, with Content-Type `type`.
    file(path, body, type = 'text/javascript; charset=utf-8') {
      files.set(path, { body, type })
      return origin + path
    },
    stop: () => new Promise(r => server.close(r)),
  }
}

// The tap: an endpoint on a port of its own that forwards each event,
// as is, to the collector (user agent and body; the collector sees the same
// client address, 127.0.0.1) and answers what the collector answered. It
// records what went through: requests a page makes while it is being left
// (the engagement event of pagehide) are seen by the network, but no longer
// by Playwright's page or context events.
export async function startTap(sillage) {
  var hits = []
  var server = createServer(async (req, res) => {
    var cors = { 'Access-Control-Allow-Origin': '*' }
    if (req.method != 'POST') {
      res.writeHead(req.method == 'OPTIONS' ? 204 : 405, cors)
      return res.end()
    }
    var chunks = []
    for await (var c of req) chunks.push(c)
    var raw = Buffer.concat(chunks).toString()
    var hit = { body: JSON.parse(raw), headers: req.headers }
    hits.push(hit)
    try {
      var r = await fetch(sillage.api, {
        method: 'POST',
        headers: { 'User-Agent': req.headers['user-agent'] || '', 'Content-Type': req.headers['content-type'] || '' },
        body: raw,
      })
      hit.status = r.status
      res.writeHead(r.status, cors)
      res.end(await r.text())
    } catch (e) {
      hit.status = 502
      res.writeHead(502, cors)
      res.end(String(e))
    }
  })
  await new Promise(r => server.listen(0, '127.0.0.1', r))
  return {
    api: `http://127.0.0.1:${server.address().port}/api/event`,
    hits,
    stop: () => new Promise(r => server.close(r)),
  }
}

// ---------------------------------------------------------------- browser

export var LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export function launchBrowser({ args = [], ...options } = {}) {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`)
  return chromium.launch({ executablePath: CHROMIUM, args: [...LAUNCH_ARGS, ...args], ...options })
}

// Everything a test file needs: sillage, the fixture server, the browser.
// `name` prefixes the screenshots.
export async function setup(name) {
  var sillage = await startSillage()
  var fx, tap, browser
  try {
    fx = await startFixtures(sillage)
    tap = await startTap(sillage)
    browser = await launchBrowser()
  } catch (e) {
    await fx?.stop()
    await tap?.stop()
    await sillage.stop()
    throw e
  }
  mkdirSync(ARTIFACTS, { recursive: true })
  for (var f of readdirSync(ARTIFACTS)) if (f.startsWith(name + '--')) rmSync(join(ARTIFACTS, f)) // last run's
  return {
    name,
    sillage,
    fx,
    tap,
    browser,
    visitors: 0,
    open: new Set(), // the visitors not finished yet
    async close() {
      // Visitors of failed tests: their browsers would keep node running.
      for (var v of this.open) await v.browser?.close().catch(() => {})
      await browser.close().catch(() => {})
      await fx.stop()
      await tap.stop()
      await sillage.stop()
    },
  }
}

// Opens a browser context as a new visitor and returns a recorder:
//
// - events: the POSTs to any `/api/event` (the collector's or another
//   endpoint), each {name, body (parsed), request, status (once answered),
//   failed (once failed), url};
// - errors: uncaught errors and unhandled rejections of the page;
// - warnings: the console's warnings ("Ignoring Event: …").
//
// Each visitor gets a user agent of its own (a desktop Chrome one, since
// the collector drops headless ones as bots, and rightly so): the server
// gives each a visitor id and a session of its own, so the tests' numbers
// do not mix.
//
// `own: true` launches a browser of the visitor's own, with the user agent
// set on its command line rather than per context: Playwright's per-context
// user agent does not reach the requests a page makes while it is being
// left (they would go out as HeadlessChrome, which the collector drops as a
// bot). `launch` adds launch options to it.
// `headless: true` (with `own`) keeps the browser's own HeadlessChrome
// user agent.
export async function open(env, { own = false, launch = {}, headless = false, ...contextOptions } = {}) {
  var n = ++env.visitors
  var major = env.browser.version().split('.')[0]
  var userAgent = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.${n}.0 Safari/537.36`
  var uaArgs = headless ? [] : [`--user-agent=${userAgent}`]
  var browser = own ? await launchBrowser({ ...launch, args: [...uaArgs, ...(launch.args || [])] }) : null
  var context = await (browser || env.browser).newContext({
    ...(own ? {} : { userAgent }),
    viewport: { width: 800, height: 600 },
    ...contextOptions,
  })
  var page = await context.newPage()
  var v = {
    env,
    browser,
    userAgent,
    context,
    page,
    events: [],
    requests: [],
    errors: [],
    warnings: [],
    // Names of the events sent so far, in order.
    names: () => v.events.map(e => e.name),
    // The events named `name`.
    named: name => v.events.filter(e => e.name == name),
    // Waits until `pred(events)` holds (by default: at least `n` events).
    async wait(pred, timeout = 5000) {
      if (typeof pred == 'number') {
        var count = pred
        pred = es => es.length >= count
      }
      await until(() => pred(v.events), { timeout, what: `events (have ${JSON.stringify(v.names())})` })
      return v.events
    },
    // Waits until the event `name` has had an answer (or failed).
    answered: (name, timeout = 5000) =>
      until(() => v.events.find(e => e.name == name && (e.status || e.failed)), {
        timeout,
        what: `an answer to ${name}`,
      }),
  }
  env.open.add(v)
  page.on('request', r => {
    v.requests.push(r)
    if (r.method() == 'POST' && new URL(r.url()).pathname == '/api/event') {
      var body = JSON.parse(r.postData())
      v.events.push({ name: body.n, body, request: r, url: r.url() })
    }
  })
  // The status is the response's, as soon as its headers are in (a page
  // that navigates away then may abort the rest, which Playwright reports
  // as a failure); `failed` is for requests that got no response at all.
  var entry = r => v.events.find(e => e.request === r)
  page.on('response', r => {
    var e = entry(r.request())
    if (e) e.status = r.status()
  })
  page.on('requestfailed', r => {
    var e = entry(r)
    if (e && !e.status) e.failed = r.failure()?.errorText || 'failed'
  })
  page.on('pageerror', e => v.errors.push(String(e)))
  page.on('console', m => {
    if (m.type() == 'warning') v.warnings.push(m.text())
    if (m.type() == 'error' && !/Failed to load resource/.test(m.text())) v.errors.push('console: ' + m.text())
  })
  await context.addInitScript(() =>
    addEventListener('unhandledrejection', e => console.error('unhandled rejection: ' + e.reason))
  )
  return v
}

var slug = s =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 120)

// Ends a visit: saves a screenshot to test-artifacts/, checks that the page
// got no error and that nothing was stored (no cookie for any origin of the
// context, nothing in the current page's storage), and closes the context.
// `storage: false` skips the storage check (a test that wrote itself).
export async function finish(env, t, v, { storage = true, errors = true } = {}) {
  try {
    // What the collector was sent, shown on the page for the screenshot.
    var lines = v.events.map(e => `${e.status || e.failed || '…'}  ${JSON.stringify(e.body)}`)
    await v.page
      .evaluate(lines => {
        var pre = document.createElement('pre')
        pre.style.cssText =
          'position:fixed;left:0;right:0;bottom:0;margin:0;padding:6px;max-height:50%;overflow:hidden;' +
          'background:#102030;color:#d0f0d0;font:11px/1.35 monospace;white-space:pre-wrap;z-index:99999'
        pre.textContent = `POSTs to /api/event: ${lines.length}\n` + lines.join('\n')
        document.documentElement.appendChild(pre)
      }, lines)
      .catch(() => {})
    await v.page.screenshot({ path: join(ARTIFACTS, `${env.name}--${slug(t.name)}.png`) }).catch(e => {
      // A screenshot is evidence, not the test: say so and go on.
      console.log(`# screenshot of ${t.name} failed: ${e.message}`)
    })
    if (errors) assert.deepEqual(v.errors, [], 'errors thrown into the page')
    if (storage) {
      assert.deepEqual(await v.context.cookies(), [], 'cookies in the browser context')
      var stored = await v.page.evaluate(async () => ({
        cookie: document.cookie,
        localStorage: localStorage.length,
        sessionStorage: sessionStorage.length,
        indexedDB: (await indexedDB.databases()).length,
        caches: self.caches ? (await caches.keys()).length : 0,
      }))
      assert.deepEqual(stored, { cookie: '', localStorage: 0, sessionStorage: 0, indexedDB: 0, caches: 0 })
      // No request to the collector carried a cookie.
      for (var e of v.events) assert.equal(e.request.headers()['cookie'], undefined)
    }
  } finally {
    env.open.delete(v)
    await v.context.close()
    await v.browser?.close()
  }
}

// After each test: the visitors a failed test left open get their
// screenshot (named …--failed) and are closed.
export async function leftovers(env, t) {
  for (var v of env?.open || []) {
    env.open.delete(v)
    await v.page.screenshot({ path: join(ARTIFACTS, `${env.name}--${slug(t.name)}--failed.png`) }).catch(() => {})
    await v.context.close().catch(() => {})
    await v.browser?.close().catch(() => {})
  }
}

// The versioned name and the integrity values of dist/script.js.
export function versioned() {
  var sha = a => createHash(a).update(DIST)
  return {
    path: `/js/script.${sha('sha256').digest('hex').slice(0, 12)}.js`,
    sha384: 'sha384-' + sha('sha384').digest('base64'),
  }
}

export var fileName = url => basename(fileURLToPath(url), '.test.js')
