// Sillage's tracker, built by esbuild and terser (build.js) into every
// variant of dist/: dist/core.js, dist/script.js (every feature) and the
// compositions between. Each `F_*` name is a feature's compile-time flag
// (src/features.js): a variant without the feature has its code dropped.
// Configured by the data-* attributes of its own <script> tag, by options
// baked in by the server (the `_o: 0` member below, which the collector
// replaces with JSON members for /js/script.<ext>.js) and by Plausible's `plausible.init(options)`, called before the
// script loads; README.md documents them, the payload and the JS API.
//
// Rules: never throw into the page (every entry point runs in try/catch);
// never write a cookie or any storage; no eval, no inline code (strict CSP);
// stay small (test/size.test.js): no repeated long names, few branches;
// measure any change with `npm test` (gzip favours repeating the same
// text: four on('x', () => engage()) lines are smaller than a loop).
import { DOWNLOADS, exclusion, extensions, tagged, taggedRevenue } from './lib.js'
import { init } from './features/init.js'

// f, made to swallow whatever it throws (entry points take two arguments
// at most).
var safe = f => (a, b) => {
  try {
    f(a, b)
  } catch (e) {}
}

// Everything runs in this try: a script without document.currentScript
// (loaded as a module, say) sets up nothing and throws nothing.
try {
  let w = window,
    d = document,
    l = location,
    n = navigator,
    s = d.currentScript,
    // The settings: the options the server baked in (the member _o:0,
    // replaced by the collector with JSON members of data-* names:
    // "hash":"","domain":"example.fr"), under the tag's data-* attributes. With
    // F_INIT, Plausible's plausible.init(options), called before load
    // (its stub keeps them in plausible.o), read in the same names.
    P = w.plausible,
    D = F_INIT ? init(P && P.o, { _o: 0, ...s.dataset }) : { _o: 0, ...s.dataset },
    // Every listener is on window: click, submit and visibilitychange bubble.
    on = (e, f) => addEventListener(e, safe(f)),
    hash = F_HASH && 'hash' in D,
    // Engagement and tagged elements need no attribute; a variant served in
    // place of a smaller one that lacks them has them turned off by the
    // server (settings noEngagement, noTagged).
    engaged = F_ENGAGEMENT && !('noEngagement' in D),
    tags = F_TAGGED && !('noTagged' in D),
    exclude = exclusion(D.exclude || ''),
    include = exclusion(D.include || '**'),
    downloads = F_DOWNLOADS && 'fileDownloads' in D && extensions(D.fileDownloads || DOWNLOADS),
    api = D.api || new URL('/api/event', s.src).href,
    dataProps = {},
    // Why nothing is sent from this browser, whatever the page (or falsy);
    // the opt-out is read below, where localStorage may throw.
    off =
      !('allowLocalhost' in D) && /^(localhost$|127\.|\[::1\]|$)/.test(l.hostname)
        ? 'localhost'
        : !('allowAutomation' in D) &&
          (n.webdriver || w._phantom || w.__nightmare || w.Cypress || /HeadlessChrome/.test(n.userAgent)) &&
          'automation',
    // The current page's engagement: its url (falsy when not tracked), the
    // visible-and-focused ms not reported yet, when that time started to
    // run (falsy while hidden or blurred), the max scroll depth in % and
    // the depth last reported. Each pageview resets them; before the first
    // one, `page` is unset and nothing is reported.
    page,
    time,
    since,
    depth,
    sent,
    // The url of the last automatic pageview.
    last,
    // Sends an event (parameters after `p` are locals): `o` holds the
    // options of sillage(), `p` properties that `o.props` override.
    // `Object` is a callback that takes anything and does nothing.
    track = (
      name,
      o = {},
      p,
      cb = o.callback || Object,
      // Plausible's current scripts name the url option `url`.
      u = new URL(o.u || (F_INIT && o.url) || l, l),
      why,
      body,
      c,
      k = 0,
      // The payload, in JSON, is `j`: see `body` below.
      go = (j = JSON.stringify(body).replace(',"p":{}', '')) => {
        try {
          // No Content-Type: a string body goes as text/plain;charset=UTF-8.
          // A failed request has no status: 0.
          fetch(api, { method: 'POST', body: j, keepalive: !0 }).then(
            F_RETRY ? r => done(r.status, r.headers.get('Retry-After')) : r => done(r.status),
            e => done(0)
          )
        } catch (e) {
          // Where fetch throws (a browser that runs this script has it):
          // with the delivery feature, sendBeacon.
          if (F_RETRY) n.sendBeacon(api, j)
          cb({})
        }
      },
      // A 502, 503 or 504 (the server, or the proxy in front of it, while
      // it restarts), a 429 or a network error: sent again after
      // Retry-After (10 s at most), else after 1, 2, then 3 s. Any other
      // answer is final (a 2xx is never sent twice): the callback gets it.
      done = F_RETRY
        ? (status, after, again = !status || status == 429 || (status > 501 && status < 505)) =>
            again && k++ < tries
              ? held
                ? held.push(go)
                : setTimeout(() => (held.map(f => f()), (held = 0)), Math.min(10, after || k) * 1e3, (held = [go]))
              : ((tries = again ? 0 : 3), cb({ status }))
        : status => cb({ status })
    ) => {
      why = off || ((exclude.test(u.pathname) || !include.test(u.pathname)) && 'excluded')
      u = u.href
      // The payload, sent in JSON (go) with short keys (README.md,
      // "Payload"): `p` only when not empty, `h` only in hash mode, `i`
      // only when false, `sd` and `e` (engagement's internal option `x`)
      // only for engagement. Keys left undefined are dropped by
      // JSON.stringify, and an empty `p` by the replace (no string value
      // can hold `,"p":{}`: JSON escapes its quotes). Inlined here rather
      // than a helper of lib.js: its seven arguments cost 20 bytes
      // gzipped. An object until sent, for transformRequest.
      body = {
        n: name,
        u,
        d: D.domain || l.hostname,
        r: d.referrer || null,
        p: { ...(F_PROPS && dataProps), ...(F_INIT && (typeof (c = D.cp) == 'function' ? c(name) : c)), ...p, ...o.props },
        ...(F_REVENUE && { $: o.revenue }),
        ...(F_HASH && hash && { h: 1 }),
        i: o.interactive !== !1 && void 0,
        ...(F_ENGAGEMENT && o.x),
      }
      // Plausible's transformRequest: the payload it returns is sent, and
      // none (a falsy value) ignores the event.
      if (F_INIT && !why && D.tr && !(body = D.tr(body))) why = 'transformRequest'
      if (F_ENGAGEMENT && engaged && name == 'pageview') {
        engage(1)
        page = !why && u
        time = sent = depth = 0
      }
      // Plausible's logging: false keeps the console quiet.
      if (why) return cb(F_INIT && 'L' in D ? void 0 : console.warn('Ignoring Event: ' + why))
      // Sends it, or, while earlier events wait to be sent again, puts it
      // in line behind them: the collector gets a pageview before the
      // events that follow it.
      F_RETRY && held ? held.push(go) : go()
    },
    // While events wait to be sent again: they and the events sent
    // meanwhile, oldest first (each a function that sends it), all sent
    // again, in order, when the first one's wait is over.
    held,
    // How many times an event is sent again: 3; 0 once one gave up (the
    // endpoint is blocked or down: later events then fail at once, nothing
    // waits behind them) until an event gets another answer.
    tries = 3,
    // Counts the ms since the last call if the page was visible and focused
    // meanwhile, notes whether it is now, measures the scroll depth; then,
    // when `now` is truthy (pagehide's event, a new SPA page) or the page is
    // hidden, reports what is new. Every other call only measures (so
    // visibilitychange, focus, blur and scroll call it without their event).
    engage = (now, t = Date.now(), y = Math.round(((scrollY + innerHeight) * 100) / d.documentElement.scrollHeight)) => {
      time += since && t - since
      since = !d.hidden && d.hasFocus() && t
      depth = Math.max(depth, Math.min(100, y))
      if ((now || d.hidden) && page && (time >= 1e3 || depth > sent)) {
        track('engagement', { u: page, x: { i: !1, sd: (sent = depth), e: time } })
        time = 0
      }
    },
    // For visibilitychange, focus, blur and scroll (their event must not
    // count as `now`).

    // A pageview, unless the url did not change.
    nav = safe(k => {
      k = l.href.replace(F_HASH && hash ? '' : /#.*/, '')
      if (k != last) {
        last = k
        track('pageview')
      }
    }),
    // At most one event a click: a tagged element's, else a file
    // download's, else an outbound link's. A click that navigates this tab
    // to an http(s) link waits for the request, 150 ms at most. `a` is the
    // closest link, kept when http(s) (an <a> without href has protocol
    // ':'), tags are looked for on the target and three levels above. A
    // click in a label is left to the click the browser then sends to its
    // control, which would otherwise count it a second time.
    // With revenue, the tagged element's revenue classes
    // (plausible-revenue-amount=…, -currency=…), read in the same pass as
    // its event classes, give the event's revenue: `o`, the options of the
    // event, takes it (and the callback that releases a held link).
    click = (e, t = e.target, a = t.closest('a'), name, props, i = 4, o = {}, done, b) => {
      if (F_TAGGED && tags) {
        if ((b = t.closest('label')) && b.control && b.control != t) return
        for (; !name && t && i--; t = t.parentElement)
          name = F_REVENUE ? taggedRevenue(t.classList, (props = {}), (o = {})) : tagged(t.classList, (props = {}))
      }
      a = /^http/.test(a && a.protocol) && a
      if ((F_DOWNLOADS || F_OUTBOUND) && !name && a) {
        name =
          F_DOWNLOADS && downloads && downloads.test(a.pathname)
            ? 'File Download'
            : F_OUTBOUND && 'outboundLinks' in D && a.hostname != l.hostname && 'Outbound Link: Click'
        props = { url: a.href }
        // Revenue classes count only on the tagged element.
        if (F_REVENUE) o = {}
      }
      if (name && e.button < 2) {
        if (
          a &&
          !(
            e.defaultPrevented ||
            e.button ||
            e.ctrlKey ||
            e.metaKey ||
            e.shiftKey ||
            e.altKey ||
            a.matches('[target],[download],[rel~=noreferrer]')
          )
        ) {
          e.preventDefault()
          setTimeout((o.callback = () => done || (done = l.href = a.href)), 150)
        }
        track(name, o, props)
      }
    },
    // The JS API: sillage(name, options); '404' comes with the page's path.
    // (safe passes two arguments: track's `p` is then undefined.)
    sillage = safe(F_NOTFOUND ? (name, o) => track(name, o, name == '404' && { path: l.pathname }) : track),
    queue = [w.sillage, P]

  try {
    off = off || (localStorage.sillage_ignore == 'true' && 'opt-out')
  } catch (e) {}

  // data-props-NAME="value" and Plausible's event-NAME="value": NAME as
  // written (dataset would camel-case it).
  if (F_PROPS) for (var a of s.attributes) a.name.replace(/^(data-props|event)-(.+)/, (_, $, k) => (dataProps[k] = a.value))

  // Plausible's API is the same function; plausible.init(options) after
  // load adds options for the events to come.
  // (Unless plausible.init said bindToWindow: false.)
  w.sillage = F_INIT && 'B' in D ? sillage : (w.plausible = sillage)
  if (F_INIT) sillage.init = o => init(o, D)

  if (F_ENGAGEMENT && engaged) {
    on('visibilitychange', () => engage())
    on('focus', () => engage())
    on('blur', () => engage())
    on('scroll', () => engage())
    on('pagehide', engage)
  }
  if (F_TAGGED || F_OUTBOUND || F_DOWNLOADS) {
    on('click', click)
    on('auxclick', click)
  }
  if (F_FORMS && 'forms' in D)
    on('submit', () => track('Form: Submission', {}, { path: l.pathname }))

  if (!('manual' in D)) {
    for (let k of ['pushState', 'replaceState']) {
      let f = history[k]
      history[k] = function (...a) {
        f.apply(this, a)
        nav()
      }
    }
    on('popstate', nav)
    // Without data-hash, nav drops the hash: a hash change sends nothing
    // (nor is listened to without the feature).
    if (F_HASH) on('hashchange', nav)
    // A page restored from the back/forward cache runs no script again:
    // it is shown anew, so it is a pageview (even for the same url).
    on('pageshow', e => e.persisted && nav((last = 0)))
    nav()
  }

  for (var x of queue) for (var q of (x && x.q) || []) sillage(...q)
} catch (e) {}
