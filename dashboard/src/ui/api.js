// Requests to the Sillage server. Every change (POST, PATCH, DELETE) carries
// the session's CSRF token; on a shared link's page every request carries
// the link's slug instead of a session.

var csrf = ''
var shared = ''
var onUnauthorized = null

export function setCsrf(token) {
  csrf = token || ''
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
  return h
}

export async function api(method, path, body, { quiet401 = false } = {}) {
  var res
  try {
    res = await fetch(path, {
      method,
      headers: headers(method, body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    })
  } catch (e) {
    throw new ApiError(0, e.message || 'network')
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
    var msg = (data && (data.error || data.message)) || res.statusText || 'HTTP ' + res.status
    throw new ApiError(res.status, typeof msg === 'string' ? msg : JSON.stringify(msg), data)
  }
  return data
}

export var get = (path, opts) => api('GET', path, undefined, opts)
export var post = (path, body, opts) => api('POST', path, body === undefined ? {} : body, opts)
export var patch = (path, body) => api('PATCH', path, body)
export var del = path => api('DELETE', path)

export var stats = q => post('/api/v2/query', q)

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
