// What the browser tests share: the real server binary (SILLAGE_BIN,
// default ../bin/sillage) on a free port with a fresh data folder, demo
// data from its `demo` command, a second tiny server for the
// fixture page that carries the tracker, headless Chromium from Debian, and
// screenshots in test-artifacts/.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { isDeepStrictEqual } from 'node:util'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export var root = fileURLToPath(new URL('../../', import.meta.url))
export var artifacts = join(root, 'test-artifacts')
export var SITE = 'demo.example.fr'
export var USER = 'admin@example.fr'
// A browser's own user agent: the collector drops headless ones as bots.
export var VISITOR_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'

var bin = resolve(root, process.env.SILLAGE_BIN || '../bin/sillage')

export function freePort() {
  return new Promise((ok, fail) => {
    var s = createServer()
    s.on('error', fail)
    s.listen(0, '127.0.0.1', () => {
      var { port } = s.address()
      s.close(() => ok(port))
    })
  })
}

// Starts `sillage serve` (with extra flags, if any, or a function of the
// port that returns them); resolves once it answers, with its URL, the
// admin's password and a stop function.
export async function startServer(extra = []) {
  var port = await freePort()
  if (typeof extra === 'function') extra = extra(port)
  var data = mkdtempSync(join(tmpdir(), 'sillage-browser-'))
  var args = ['serve', '--listen', '127.0.0.1:' + port, '--data', data, '--bootstrap-site', SITE, '--bootstrap-user', USER, ...extra]
  // The embedded engine's library, which `make chdb` puts in tools/chdb/,
  // is found from the repository root; this runs from dashboard/.
  var env = { ...process.env }
  var chdb = resolve(root, '../tools/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so')
  if (!env.SILLAGE_CHDB_LIB && existsSync(chdb)) env.SILLAGE_CHDB_LIB = chdb
  var child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
  var out = ''
  var err = ''
  child.stdout.on('data', d => (out += d))
  child.stderr.on('data', d => (err += d))
  var exited = new Promise(ok => child.on('exit', code => ok(code)))
  var url = 'http://127.0.0.1:' + port
  var stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await Promise.race([exited, new Promise(ok => setTimeout(ok, 15000))])
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(data, { recursive: true, force: true })
  }
  // Ready once the dashboard API answers (503 while it starts).
  var deadline = Date.now() + 60000
  var password = null
  var status = 0
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${bin} serve exited with ${child.exitCode}:\n${out}\n${err.slice(-3000)}`)
    var m = /Created account \S+ with password (\S+)/.exec(out)
    if (m) password = m[1]
    if (password) {
      var res = await fetch(url + '/api/auth/setup').catch(() => null)
      status = res ? res.status : 0
      if (res && res.ok) break
    }
    if (Date.now() > deadline) {
      await stop()
      if (status === 404) throw new Error(`${bin} answers 404 on GET /api/auth/setup: this build has no dashboard API`)
      throw new Error(`${bin} serve did not get ready in 60 s (last status ${status}):\n${out}\n${err.slice(-3000)}`)
    }
    await new Promise(ok => setTimeout(ok, 200))
  }
  return { url, port, data, password, stop, log: () => out + err }
}

// Fills the demo site through the binary's `demo` command.
export function demo(data) {
  var r = spawnSync(bin, ['demo', '--site', SITE, '--events', '20000', '--days', '30', '--data', data], { encoding: 'utf8', timeout: 300000 })
  if (r.status !== 0) throw new Error(`demo failed (${r.status}): ${r.stdout}\n${r.stderr}`)
  return r.stdout
}

// A page on another origin that carries the tracker, as a site owner's
// (`src`: the script's url, by default the server's /js/script.js).
export async function fixtureServer(server, domain, src = server.url + '/js/script.js') {
  var port = await freePort()
  var html = `<!doctype html><html><head><meta charset="utf-8"><title>Fixture</title>
<script defer data-domain="${domain}" data-api="${server.url}/api/event" data-allow-localhost data-allow-automation src="${src}"></script>
</head><body><h1>A site with Sillage</h1></body></html>`
  var s = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(html)
  })
  await new Promise(ok => s.listen(port, '127.0.0.1', ok))
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise(ok => s.close(ok)) }
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

// A page that records what must never happen: CSP violations, uncaught
// errors, requests to other origins.
export async function newPage(browser, server, options = {}) {
  var context = await browser.newContext({ acceptDownloads: true, locale: 'en-GB', timezoneId: 'Europe/Paris', ...options })
  var page = await context.newPage()
  page.problems = []
  page.on('console', m => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) page.problems.push('CSP: ' + m.text())
  })
  page.on('pageerror', e => page.problems.push('error: ' + e.message))
  page.on('request', r => {
    var u = r.url()
    if (!u.startsWith(server.url) && !u.startsWith('blob:') && !u.startsWith('data:')) page.problems.push('request to another origin: ' + u)
  })
  // API requests in flight, for settle().
  page.pending = 0
  page.lastActivity = Date.now()
  var api = r => r.url().startsWith(server.url + '/api/')
  page.on('request', r => api(r) && (page.pending++, (page.lastActivity = Date.now())))
  var done = r => api(r) && (page.pending--, (page.lastActivity = Date.now()))
  page.on('requestfinished', done)
  page.on('requestfailed', done)
  return page
}

// Waits until the page has had no API request in flight for quietMs (the
// realtime poll aside, the dashboard is then showing what it loaded).
export async function settle(page, quietMs = 600, timeoutMs = 20000) {
  // What was just clicked may start its requests after the next render.
  await new Promise(ok => setTimeout(ok, 200))
  var end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (page.pending <= 0 && Date.now() - page.lastActivity >= quietMs) return
    await new Promise(ok => setTimeout(ok, 50))
  }
  throw new Error(`the page still had ${page.pending} API requests in flight after ${timeoutMs} ms`)
}

export async function shot(page, name) {
  mkdirSync(artifacts, { recursive: true })
  await page.screenshot({ path: join(artifacts, name + '.png'), fullPage: true })
}

export async function login(page, server) {
  await page.goto(server.url + '/login')
  await page.getByLabel('Email').fill(USER)
  await page.getByLabel('Password').fill(server.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.waitForURL(/\/sites$/)
}

// POST /api/v2/query from inside the page, as the dashboard does, with the
// session's CSRF token or a shared link's header.
export function queryFromPage(page, q, shared) {
  return page.evaluate(
    async ([q, shared]) => {
      var headers = { 'Content-Type': 'application/json' }
      if (shared) headers['X-Shared-Link'] = shared
      else headers['X-CSRF-Token'] = (await (await fetch('/api/auth/me')).json()).csrf_token
      var res = await fetch('/api/v2/query', { method: 'POST', headers, body: JSON.stringify(q) })
      if (!res.ok) throw new Error('query: ' + res.status + ' ' + (await res.text()))
      return res.json()
    },
    [q, shared]
  )
}

// The Stats API queries the page sends while fn runs.
export async function queriesDuring(page, fn) {
  var seen = []
  var on = r => {
    if (r.url().endsWith('/api/v2/query') && r.method() === 'POST') seen.push(JSON.parse(r.postData()))
  }
  page.on('request', on)
  try {
    await fn()
    var end = Date.now() + 10000
    while (!seen.length && Date.now() < end) await new Promise(ok => setTimeout(ok, 50))
    await settle(page)
  } finally {
    page.off('request', on)
  }
  return seen
}

// Starts Mailpit, a real SMTP server with an HTTP API, built once by the Go
// test harness (internal/mailtest); resolves with its SMTP URL for
// --smtp-url, a poll for a message, and a stop function.
export async function startMailpit() {
  var repo = resolve(root, '..')
  var built = spawnSync('go', ['run', './internal/mailtest/mailpitbin'], { cwd: repo, encoding: 'utf8', timeout: 600000 })
  if (built.status !== 0) throw new Error(`building Mailpit failed: ${built.stdout}\n${built.stderr}`)
  var smtp = await freePort()
  var http = await freePort()
  var db = mkdtempSync(join(tmpdir(), 'sillage-mailpit-'))
  var child = spawn(built.stdout.trim(), ['--smtp', '127.0.0.1:' + smtp, '--listen', '127.0.0.1:' + http, '--database', join(db, 'mailpit.db'),
    '--smtp-auth-accept-any', '--smtp-auth-allow-insecure', '--disable-version-check', '--quiet'], { stdio: 'ignore' })
  var exited = new Promise(ok => child.on('exit', ok))
  var api = 'http://127.0.0.1:' + http
  var stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await Promise.race([exited, new Promise(ok => setTimeout(ok, 10000))])
    rmSync(db, { recursive: true, force: true })
  }
  var deadline = Date.now() + 60000
  for (;;) {
    var res = await fetch(api + '/api/v1/info').catch(() => null)
    if (res && res.ok) break
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error('Mailpit did not start')
    }
    await new Promise(ok => setTimeout(ok, 100))
  }
  // Polls until a message to `to` whose subject contains `subject` has
  // arrived, and returns it in full (Subject, To, Text, HTML).
  var waitFor = async (to, subject, timeoutMs = 30000) => {
    var end = Date.now() + timeoutMs
    for (;;) {
      var list = await (await fetch(api + '/api/v1/messages')).json()
      var m = (list.messages || []).find(m => m.Subject.includes(subject) && m.To.some(a => a.Address === to))
      if (m) return (await fetch(api + '/api/v1/message/' + m.ID)).json()
      if (Date.now() > end) throw new Error(`no email "${subject}" to ${to} after ${timeoutMs} ms; arrived: ${JSON.stringify((list.messages || []).map(m => m.Subject))}`)
      await new Promise(ok => setTimeout(ok, 100))
    }
  }
  return { smtpURL: 'smtp+plain://127.0.0.1:' + smtp, api, waitFor, stop }
}

// A call of the dashboard API from inside the page, with the session's
// CSRF token; its parsed answer (or null for an empty one).
export async function call(p, method, path, body) {
  return p.evaluate(
    async ([method, path, body]) => {
      var csrf = (await (await fetch('/api/auth/me')).json()).csrf_token
      var res = await fetch(path, { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: body ? JSON.stringify(body) : undefined })
      if (!res.ok) throw new Error(method + ' ' + path + ': ' + res.status + ' ' + (await res.text()))
      var text = await res.text()
      return text ? JSON.parse(text) : null
    },
    [method, path, body]
  )
}

// Polls until fn() returns want (deep-equal), or fails with the last value.
export async function until(fn, want, what, timeoutMs = 30000) {
  var end = Date.now() + timeoutMs
  var got
  for (;;) {
    got = await fn().catch(e => 'error: ' + e.message)
    if (isDeepStrictEqual(got, want)) return
    if (Date.now() > end) assert.fail(`${what}: waited ${timeoutMs} ms for ${JSON.stringify(want)}, last saw ${JSON.stringify(got)}`)
    await new Promise(ok => setTimeout(ok, 100))
  }
}
