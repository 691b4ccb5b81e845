// Requests to the Sillage server. Every change (POST, PATCH, DELETE) carries
// the session's CSRF token; on a shared link's page every request carries
// the link's slug instead of a session.

var csrf = ''
var shared = ''
var onUnauthorized = null
var lang = ''

export function setCsrf(token) {
  csrf = token || ''
}

import { errorSentence } from '../lib/errors.js'
import { makeT } from '../lib/i18n.js'

// The dashboard's language, sent as Accept-Language: the server writes the
// emails a request causes (an invitation, a reset link) in it.
export function setLang(l) {
  lang = l || ''
}

export function setShared(slug) {
  shared = slug || ''
}

// Called when the server answers 401: the session ended or the shared
// link needs its password.
export function setUnauthorizedHandler(f) {
  onUnauthorized = f
}

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message)
    this.status = status
    this.body = body
  }
}

export function headers(method, json) {
  var h = { Accept: 'application/json' }
  if (json) h['Content-Type'] = 'application/json'
  if (method !== 'GET' && csrf) h['X-CSRF-Token'] = csrf
  if (shared) h['X-Shared-Link'] = shared
  if (lang) h['Accept-Language'] = lang
  return h
}

export async function api(method, path, body, { quiet401 = false, stage } = {}) {
  if (stage === undefined) return send(method, path, body, quiet401)
  await turn(stage)
  try {
    return await send(method, path, body, quiet401)
  } finally {
    done(stage)
  }
}

async function send(method, path, body, quiet401) {
  var res
  try {
    res = await fetch(path, {
      method,
      headers: headers(method, body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    })
  } catch {
    throw new ApiError(0, errorSentence(0, '', null, makeT(lang || 'en')))
  }
  var text = await res.text()
  var data = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !quiet401 && onUnauthorized) onUnauthorized()
    var said = data && (data.error || data.message || errorsText(data.errors))
    if (said && typeof said !== 'string') said = JSON.stringify(said)
    throw new ApiError(res.status, errorSentence(res.status, said || '', res.headers.get('Retry-After'), makeT(lang || 'en')), data)
  }
  return data
}

// Plausible's {"errors": {field: [message]}} as one line.
function errorsText(errors) {
  if (!errors || typeof errors !== 'object') return ''
  return Object.keys(errors)
    .map(k => k + ': ' + [].concat(errors[k]).join(', '))
    .join('; ')
}

export var get = (path, opts) => api('GET', path, undefined, opts)
export var post = (path, body, opts) => api('POST', path, body === undefined ? {} : body, opts)
export var patch = (path, body) => api('PATCH', path, body)
export var del = (path, body) => api('DELETE', path, body)

// A Stats API query. `stage` orders the dashboard's first requests (see
// turn); a query asked by prefetch and not yet taken is answered from it.
export function stats(q, stage) {
  var key = JSON.stringify(q)
  var p = early.get(key)
  if (p) {
    early.delete(key)
    if (Date.now() - p.at < EARLY_FOR) return p.answer
  }
  return post('/api/v2/query', q, { stage })
}

// Asks a query before the page that shows it is drawn (the dashboard's top
// stats and graph, while the session is checked). Its answer is kept for
// the first stats(q) with the same query within EARLY_FOR ms; a failure is
// forgotten, so that call asks again and shows its own error.
var early = new Map()
var EARLY_FOR = 10000
export function prefetch(q, stage) {
  var key = JSON.stringify(q)
  var p = { at: Date.now() }
  p.answer = post('/api/v2/query', q, { stage, quiet401: true })
  p.answer.catch(() => early.get(key) === p && early.delete(key))
  early.set(key, p)
}

// The embedded engine runs one query at a time, in no set order, so the
// dashboard's requests take turns by stage: the top stats (0) reach it
// first, then the graph (1), then the panels and the rest (2). A request
// waits while one of an earlier stage is waiting or answering, at most
// MAX_WAIT ms in case one hangs. Not less: with 10 M events on 2 busy
// cores, letting the panels in after 1 s made the top stats twice as slow
// (2.3-3.7 s against 0.9-1.7 s) and every panel later too. Requests
// without a stage (a dialog, a form) go at once.
var MAX_WAIT = 4000
var waiting = []
var busy = new Map()
var timer = 0

function turn(stage) {
  return new Promise(go => {
    waiting.push({ stage, until: Date.now() + MAX_WAIT, go })
    // Not now: the other requests of the same render are not asked yet.
    wake(0)
  })
}

function done(stage) {
  busy.set(stage, busy.get(stage) - 1)
  if (waiting.length) wake(0)
}

function wake(ms) {
  clearTimeout(timer)
  timer = setTimeout(pump, ms)
}

function pump() {
  var now = Date.now()
  var first = Infinity
  for (var w of waiting) first = Math.min(first, w.stage)
  for (var [s, n] of busy) if (n > 0) first = Math.min(first, s)
  var next = Infinity
  waiting = waiting.filter(w => {
    if (w.stage > first && w.until > now) {
      next = Math.min(next, w.until)
      return true
    }
    busy.set(w.stage, (busy.get(w.stage) || 0) + 1)
    w.go()
    return false
  })
  if (waiting.length) wake(next - now)
}

// A list answer: the server may send the array itself or wrap it in an
// object ({sites: [...]}, {goals: [...]}…).
export function list(data, key) {
  if (Array.isArray(data)) return data
  if (data && Array.isArray(data[key])) return data[key]
  return []
}

export function sitePath(domain, rest = '') {
  return '/api/sites/' + encodeURIComponent(domain) + rest
}
