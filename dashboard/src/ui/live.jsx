/** @jsxRuntime classic */
/** @jsx h */
// The live view (period "realtime"): the site's last 30 minutes, minute by
// minute, with their pages, sources and countries. The dashboard polls
// GET /api/sites/{domain}/live (useLive in dashboard.jsx); the server
// answers every open view of a site from one shared statement, so the
// time shown is the server's: when the numbers were computed.
//
// It imports nothing of the dashboard's: what it needs comes from the
// dashboard (ui), so that the first load keeps its chunks as they are.
export { MESSAGES } from '../i18n/live.js'

var ui
var useApp = () => ui.app
// Classic JSX through the dashboard's own createElement: this chunk
// imports no module of the first load, which keeps its chunks intact.
var h = (...args) => ui.h(...args)

function clock(iso, lang, tz, seconds) {
  try {
    return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined, timeZone: tz || undefined }).format(new Date(iso))
  } catch {
    return new Date(iso).toLocaleTimeString(lang)
  }
}

export function LiveView({ live, tz, filtered, kit }) {
  ui = kit
  var { formatCompact, countryName, flag, ErrorBox, SkeletonRows } = ui
  var { t, lang } = useApp()
  var s = live.data
  if (!s && live.error) return <ErrorBox error={live.error} />
  return (
    <div class="live" data-live>
      <div class="card realtime-banner">
        <div>
          <h2>{t('live.title')}</h2>
          {s ? (
            <p class="muted" data-live-updated={s.updated_at}>
              {t('live.updated', { time: clock(s.updated_at, lang, tz, true) })}
              {' · '}
              <span data-live-visitors={s.visitors}>{t('live.visitors30', { count: s.visitors, n: formatCompact(s.visitors, lang) })}</span>
              {' · '}
              {t('live.pageviews30', { count: s.pageviews, n: formatCompact(s.pageviews, lang) })}
            </p>
          ) : (
            <p class="muted">…</p>
          )}
          {live.error && s && (
            <p class="error" role="alert" data-live-stale>
              {t('live.stale', { message: live.error.message || String(live.error), time: clock(s.updated_at, lang, tz, true) })}
            </p>
          )}
          {filtered && <p class="panel-note">{t('live.filtersIgnored')}</p>}
        </div>
        <p class="realtime-big" data-realtime-count>
          <strong>{s ? formatCompact(s.current_visitors, lang) : '…'}</strong>
          <span>{t('live.current', { count: s ? s.current_visitors : 0 })}</span>
        </p>
      </div>
      <div class="card live-graph">{s ? <Bars minutes={s.minutes} tz={tz} /> : <SkeletonRows rows={4} />}</div>
      <div class="panels live-panels">
        <List id="live-pages" title={t('live.pages')} rows={s && s.pages} show={v => v} />
        <List id="live-sources" title={t('live.sources')} rows={s && s.sources} show={v => v} />
        <List id="live-countries" title={t('live.countries')} rows={s && s.countries} show={v => (v ? (flag(v) + ' ' + countryName(v, lang)).trim() : t('value.notSet'))} />
      </div>
    </div>
  )
}

// Thirty bars, one a minute, the running minute last.
function Bars({ minutes, tz }) {
  var { t, lang } = useApp()
  var max = Math.max(1, ...minutes.map(m => m.visitors))
  var W = 600,
    H = 160,
    pad = 18,
    bw = W / minutes.length
  return (
    <figure class="live-bars">
      <figcaption class="sr-only">{t('live.graph')}</figcaption>
      <svg viewBox={`0 0 ${W} ${H + pad}`} preserveAspectRatio="none" role="img" aria-label={t('live.graph')}>
        {minutes.map((m, i) => {
          var barH = (m.visitors / max) * (H - 8)
          var label = t('live.minute', { time: clock(m.time, lang, tz), visitors: m.visitors, pageviews: m.pageviews })
          return (
            <g key={m.time} data-minute={m.time} data-visitors={m.visitors}>
              <title>{label}</title>
              <rect x={i * bw + 1.5} y={H - barH} width={bw - 3} height={Math.max(barH, m.visitors ? 1 : 0)} rx="2" class="live-bar" />
              <rect x={i * bw} y="0" width={bw} height={H} fill="transparent" />
            </g>
          )
        })}
        <line x1="0" x2={W} y1={H + 0.5} y2={H + 0.5} class="live-axis" />
      </svg>
      <div class="live-ticks" aria-hidden="true">
        <span>{t('live.ago', { n: 30 })}</span>
        <span>{t('live.ago', { n: 15 })}</span>
        <span>{t('live.now')}</span>
      </div>
    </figure>
  )
}

function List({ id, title, rows, show }) {
  var { t, lang } = useApp()
  var { formatCompact, SkeletonRows } = ui
  var body
  if (!rows) body = <SkeletonRows rows={5} />
  else if (!rows.length) body = <p class="empty-panel">{t('live.none')}</p>
  else {
    var max = Math.max(1, ...rows.map(r => r.visitors))
    body = (
      <table class="rows">
        <thead>
          <tr>
            <th scope="col">{title}</th>
            <th scope="col" class="num">
              {t('metric.visitors')}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(r => (
            <tr key={r.name} data-value={r.name}>
              <th scope="row">
                <span class="bar-row static">
                  <span class="bar" style={{ width: Math.max(0.5, (r.visitors / max) * 100) + '%' }} />
                  <span class="bar-label">{show(r.name)}</span>
                </span>
              </th>
              <td class="num">{formatCompact(r.visitors, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )
  }
  return (
    <section class="card panel live-panel" aria-labelledby={id + '-title'} data-panel={id}>
      <div class="panel-head">
        <h2 id={id + '-title'}>{title}</h2>
      </div>
      <div class="panel-body">{body}</div>
    </section>
  )
}
