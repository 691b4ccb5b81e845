// A minimal fake browser, written by hand for the tests: just enough DOM for
// dist/script.js, run in a node:vm context. It records what the tracker
// sends (fetch, sendBeacon), warns, navigates to, and every write it makes
// to cookies or storage (there must be none).
//
// Nothing runs on its own: timers wait for `runTimers()`, promise callbacks
// for `settle()`, the clock for `advance(ms)`.
import { readFileSync } from 'node:fs'
import vm from 'node:vm'

export var DIST = readFileSync(new URL('../dist/script.js', import.meta.url), 'utf8')

export var STUB =
  'window.sillage = window.sillage || function(){(window.sillage.q = window.sillage.q || []).push(arguments)}'

// A fake element. `attrs` are its attributes; anchors get href, hostname…
// from their href attribute, resolved against the page.
class Element {
  constructor(browser, tag, attrs = {}, parent = null) {
    this.browser = browser
    this.tagName = tag.toUpperCase()
    this.attrs = attrs
    this.parentElement = parent
  }
  getAttribute(k) {
    return k in this.attrs ? String(this.attrs[k]) : null
  }
  // A DOMTokenList reads as the class attribute's value ('' without one).
  get classList() {
    return { toString: () => this.getAttribute('class') || '' }
  }
  hasAttribute(k) {
    return k in this.attrs
  }
  // Selectors of the form `tag`, `[attr]`, `[attr~=word]`, `tag[attr]`,
  // comma-separated.
  matches(selector) {
    return selector.split(',').some(one => {
      var m = /^(\w*)(?:\[([\w-]+)(?:~=([\w-]+))?\])?$/.exec(one.trim())
      if (!m) throw new Error('fake DOM: unsupported selector ' + one)
      var [, tag, attr, word] = m
      if (tag && tag.toUpperCase() != this.tagName) return false
      if (attr && !this.hasAttribute(attr)) return false
      if (word && !this.getAttribute(attr).split(/\s+/).includes(word)) return false
      return true
    })
  }
  closest(selector) {
    for (var e = this; e; e = e.parentElement) if (e.matches(selector)) return e
    return null
  }
  // As in a browser, an anchor without href has empty url parts and ':'
  // for protocol.
  get url() {
    return this.hasAttribute('href')
      ? new URL(this.getAttribute('href'), this.browser.location.href)
      : { href: '', protocol: ':', hostname: '', pathname: '' }
  }
  get href() {
    return this.url.href
  }
  get protocol() {
    return this.url.protocol
  }
  get hostname() {
    return this.url.hostname
  }
  get pathname() {
    return this.url.pathname
  }
  get target() {
    return this.getAttribute('target') || ''
  }
}

// A Storage whose every write is recorded in `writes`.
function storage(name, items, writes) {
  var store = { ...items }
  var methods = {
    getItem: k => (k in store ? store[k] : null),
    setItem: k => writes.push(name + '.setItem ' + k),
    removeItem: k => writes.push(name + '.removeItem ' + k),
    clear: () => writes.push(name + '.clear'),
    key: i => Object.keys(store)[i] ?? null,
  }
  return new Proxy(store, {
    get: (t, k) => (k in methods ? methods[k] : k == 'length' ? Object.keys(t).length : t[k]),
    set: (t, k) => (writes.push(name + '.' + String(k) + ' ='), true),
    defineProperty: (t, k) => (writes.push(name + ' define ' + String(k)), true),
    deleteProperty: (t, k) => (writes.push(name + ' delete ' + String(k)), true),
  })
}

// Options:
//   href      the page's url
//   data      the script tag's data-* attributes, without "data-" ({domain: 'example.fr', 'props-plan': 'pro'})
//   src       the script's src
//   before    code run in the page before the script (e.g. STUB and calls)
//   storage   localStorage items
//   navigator extra navigator fields (webdriver, userAgent…)
//   globals   extra window fields (Cypress…)
//   fetch     'ok' (202), 'pending' (never settles), 'reject', 'throw', 'missing'
//   noScript  document.currentScript is null
//   attrs     other attributes of the script tag ({'event-author': 'Ana'})
//   code      the script to run (default: dist/script.js)
export function browser(opt = {}) {
  var b = {
    sent: [], // {via: 'fetch'|'beacon', url, options, body: parsed JSON}
    warnings: [],
    writes: [], // cookie and storage writes: must stay empty
    navigations: [],
    timers: [],
    listeners: {},
    clock: 1_700_000_000_000,
  }
  var url = new URL(opt.href || 'https://example.fr/page')
  var location = {
    get href() {
      return url.href
    },
    set href(v) {
      b.navigations.push(String(v))
    },
    get hostname() {
      return url.hostname
    },
    get host() {
      return url.host
    },
    get pathname() {
      return url.pathname
    },
    get protocol() {
      return url.protocol
    },
    get origin() {
      return url.origin
    },
    get search() {
      return url.search
    },
    get hash() {
      return url.hash
    },
    toString() {
      return url.href
    },
  }
  b.location = location
  // Moves the page to a url without a navigation (what history.pushState does).
  b.goTo = u => {
    url = new URL(u, url)
  }

  var data = { domain: 'example.fr', ...opt.data }
  for (var k in data) if (data[k] === undefined) delete data[k]
  var attrs = { src: opt.src || 'https://stats.example.fr/js/script.js', defer: '' }
  for (var k in data) attrs['data-' + k] = data[k]
  Object.assign(attrs, opt.attrs)
  var dataset = {}
  for (var k in data) dataset[k.replace(/-(\w)/g, (_, c) => c.toUpperCase())] = String(data[k])
  var script = {
    src: attrs.src,
    dataset,
    attributes: Object.entries(attrs).map(([name, value]) => ({ name, value: String(value) })),
    getAttribute: k => (k in attrs ? String(attrs[k]) : null),
    hasAttribute: k => k in attrs,
  }

  var document = {
    currentScript: opt.noScript ? null : script,
    referrer: opt.referrer || '',
    hidden: false,
    focused: true,
    hasFocus: () => document.focused,
    documentElement: { scrollHeight: 2000 },
    get visibilityState() {
      return document.hidden ? 'hidden' : 'visible'
    },
    get cookie() {
      return ''
    },
    set cookie(v) {
      b.writes.push('document.cookie = ' + v)
    },
  }
  b.document = document

  var history = {
    pushState: (s, t, u) => u != null && b.goTo(u),
    replaceState: (s, t, u) => u != null && b.goTo(u),
  }

  var navigator = {
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
    webdriver: false,
    sendBeacon: (u, body) => (b.sent.push({ via: 'beacon', url: u, body: JSON.parse(body) }), true),
    ...opt.navigator,
  }

  var fetchMode = opt.fetch || 'ok'
  // `answers`: the answers to the next requests, in order (then 202): a
  // status, [status, Retry-After], or 'reject' (a network error).
  b.answers = opt.answers || []
  var fetch = (u, options) => {
    if (fetchMode == 'throw') throw new TypeError('fetch failed')
    b.sent.push({ via: 'fetch', url: u, options, body: JSON.parse(options.body) })
    if (fetchMode == 'pending') return new Promise(() => {})
    var a = b.answers.length ? b.answers.shift() : fetchMode == 'reject' ? 'reject' : 202
    if (a == 'reject') return Promise.reject(new TypeError('network'))
    var [status, after = null] = [].concat(a)
    var headers = { get: k => (k.toLowerCase() == 'retry-after' && after != null ? String(after) : null) }
    return Promise.resolve({ status, headers })
  }

  var win = {
    document,
    location,
    history,
    navigator,
    localStorage: storage('localStorage', opt.storage, b.writes),
    sessionStorage: storage('sessionStorage', {}, b.writes),
    console: { warn: m => void b.warnings.push(m), log() {}, error() {} },
    URL,
    Date: { now: () => b.clock },
    setTimeout: (f, ms) => b.timers.push({ f, ms }),
    scrollY: 0,
    innerHeight: 500,
    addEventListener: (type, f) => (b.listeners[type] ||= []).push(f),
  }
  Object.defineProperties(win, Object.getOwnPropertyDescriptors(opt.globals || {}))
  if (fetchMode != 'missing') win.fetch = fetch
  for (var k of ['indexedDB', 'caches', 'openDatabase', 'cookieStore'])
    Object.defineProperty(win, k, {
      get: () => b.writes.push('touched ' + k),
    })
  win.window = win
  b.window = vm.createContext(win)

  b.run = code => vm.runInContext(code, b.window)
  if (opt.before) b.run(opt.before)
  b.run(opt.code || DIST)

  b.bodies = () => b.sent.map(s => s.body)
  b.names = () => b.sent.map(s => s.body.n)
  b.settle = () => new Promise(r => setImmediate(r))
  b.advance = ms => (b.clock += ms)
  b.runTimers = () => b.timers.splice(0).forEach(t => t.f())
  b.dispatch = (type, ev = {}) => {
    ev.type = type
    ev.defaultPrevented ??= false
    ev.preventDefault = () => (ev.defaultPrevented = true)
    for (var f of b.listeners[type] || []) f(ev)
    return ev
  }
  b.element = (tag, attrs, parent) => new Element(b, tag, attrs, parent)
  b.click = (target, ev = {}) => b.dispatch('click', { target, button: 0, ...ev })
  b.hide = () => ((document.hidden = true), b.dispatch('visibilitychange'))
  b.show = () => ((document.hidden = false), b.dispatch('visibilitychange'))
  b.sillage = (...a) => b.window.sillage(...a)
  return b
}
