// Sillage's tracker, built by esbuild (build.js) into dist/script.js.
// Configured by the data-* attributes of its own <script> tag; README.md
// documents them, the payload and the JS API.
//
// Rules: never throw into the page (every entry point runs in try/catch);
// never write a cookie or any storage; no eval, no inline code (strict CSP);
// stay small (test/size.test.js): no repeated long names, few branches.
import { DOWNLOADS, exclusion, extensions, payload, tagged } from './lib.js'

// f, made to swallow whatever it throws.
var safe =
  f =>
  (...a) => {
    try {
      return f(...a)
    } catch (e) {}
  }

safe(() => {
  var w = window,
    d = document,
    l = location,
    n = navigator,
    s = d.currentScript,
    D = s.dataset,
    // Every listener is on window: click, submit and visibilitychange bubble.
    on = (e, f) => addEventListener(e, safe(f)),
    hash = 'hash' in D,
    exclude = exclusion(D.exclude || ''),
    downloads = 'fileDownloads' in D && extensions(D.fileDownloads || DOWNLOADS),
    api = D.api || new URL(s.src).origin + '/api/event',
    props = {},
    // Why nothing is sent from this browser, whatever the page (or falsy).
    off =
      !('allowLocalhost' in D) && /^(localhost$|127\.|\[::1\]|$)/.test(l.hostname)
        ? 'localhost'
        : !('allowAutomation' in D) &&
            (n.webdriver || w._phantom || w.__nightmare || w.Cypress || /HeadlessChrome/.test(n.userAgent))
          ? 'automation'
          : safe(() => localStorage.sillage_ignore == 'true')() && 'opt-out',
    // Engagement of the current page: its url (falsy when not tracked),
    // the visible-and-focused ms not reported yet, when that time started
    // to run (0 while hidden or blurred), the max scroll depth in % and the
    // depth last reported.
    page,
    time = 0,
    since = 0,
    depth = 0,
    sent = 0,
    // The url of the last automatic pageview.
    last,
    track = (name, o, u, why, cb, body) => {
      o = o || {}
      u = new URL(o.u || l, l)
      why = off || (exclude.test(u.pathname) && 'excluded')
      u = u.href
      cb = o.callback || (() => {})
      if (name == 'pageview') {
        engage()
        page = !why && u
        time = sent = depth = 0
        scroll()
      }
      if (why) return cb(console.warn('Ignoring Event: ' + why))
      body = payload(name, u, o, D.domain || l.hostname, d.referrer, props, hash)
      try {
        fetch(api, { method: 'POST', body, keepalive: !0, headers: { 'Content-Type': 'text/plain' } }).then(
          r => cb({ status: r.status }),
          () => cb({ status: 0 })
        )
      } catch (e) {
        n.sendBeacon(api, body)
        cb({})
      }
    },
    // Adds the ms since the last call to `time` if the page was visible and
    // focused meanwhile, and notes whether it is now.
    tick = t => {
      t = Date.now()
      time += since && t - since
      since = !d.hidden && d.hasFocus() && t
    },
    scroll = () => {
      depth = Math.max(
        depth,
        Math.min(100, Math.round(((scrollY + innerHeight) * 100) / d.documentElement.scrollHeight))
      )
    },
    engage = () => {
      tick()
      scroll()
      if (page && (time >= 1e3 || depth > sent)) {
        track('engagement', { u: page, interactive: !1, sd: depth, e: time })
        time = 0
        sent = depth
      }
    },
    // A pageview, unless the url did not change.
    nav = safe(k => {
      k = hash ? l.href : l.href.split('#')[0]
      if (k != last) {
        last = k
        track('pageview')
      }
    }),
    // At most one event a click: a tagged element's, else a file
    // download's, else an outbound link's. A click that navigates this tab
    // to an http(s) link waits for the request, 150 ms at most.
    click = (e, t, a, x, go, done, i) => {
      t = e.target
      a = t.closest('a[href]')
      if (a && !/^http/.test(a.protocol)) a = 0
      for (i = 4; !x && t && i--; t = t.parentElement) x = tagged(t.getAttribute('class'))
      if (!x && a)
        x =
          (x =
            downloads && downloads.test(a.pathname)
              ? 'File Download'
              : 'outboundLinks' in D && a.hostname != l.hostname && 'Outbound Link: Click') && [x, { url: a.href }]
      if (x && e.button < 2) {
        if (
          a &&
          !e.defaultPrevented &&
          !(
            e.button ||
            e.ctrlKey ||
            e.metaKey ||
            e.shiftKey ||
            e.altKey ||
            a.matches('[target],[download],[rel~=noreferrer]')
          )
        ) {
          e.preventDefault()
          go = () => done || (done = l.href = a.href)
          setTimeout(go, 150)
        }
        track(x[0], { props: x[1], callback: go })
      }
    },
    // The JS API: sillage(name, options).
    sillage = safe((name, o) => {
      o = o || {}
      if (name == '404') o.props = Object.assign({ path: l.pathname }, o.props)
      track(name, o)
    }),
    queue = (w.sillage || {}).q || []

  for (var a of s.attributes) if (/^data-props-/.test(a.name)) props[a.name.slice(11)] = a.value

  w.sillage = sillage

  on('visibilitychange', () => (d.hidden ? engage() : tick()))
  on('pagehide', engage)
  on('focus', tick)
  on('blur', tick)
  on('scroll', scroll)
  on('click', click)
  on('auxclick', click)
  if ('forms' in D) on('submit', () => track('Form: Submission', { props: { path: l.pathname } }))

  if (!('manual' in D)) {
    for (let k of ['pushState', 'replaceState']) {
      let f = history[k]
      history[k] = function (...a) {
        f.apply(this, a)
        nav()
      }
    }
    on('popstate', nav)
    if (hash) on('hashchange', nav)
    nav()
  }

  for (var q of queue) sillage(...q)
})()
