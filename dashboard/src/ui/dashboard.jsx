// A site's dashboard: the toolbar (site, realtime, filters, period,
// comparison), the top stats, the graph and the panels. Its state is the
// URL's query string (lib/state.js); the shared-link page shows the same
// view read-only.
import { createContext, h } from 'preact'
import { useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { hourIn, needsToday, PERIODS, resolvePeriod, todayIn, zoomTo } from '../lib/dates.js'
import { dimKey, LOWER_IS_BETTER, RATE_METRICS, valueText } from '../lib/dims.js'
import { regionName, useRegions } from '../lib/regionNames.js'
import { countryCodeOf, countryName, flag, formatChange, formatCompact, formatDay, formatMetric, formatPercent } from '../lib/format.js'
import { breakdownQuery, change, exportPath, graphMetric, num, seriesFromResults, timeseriesQuery, topMetrics, topStatsQuery, withoutFilter } from '../lib/query.js'
import { OPERATORS, parseState, serializeState, updateState } from '../lib/state.js'
import { dashboardPath, route, settingsPath } from '../lib/routes.js'
import { get, headers, list, prefetch, sitePath, stats } from './api.js'
import { browserZone, ErrorBox, Icon, ImportsSkipped, importsSkipped, Modal, SkeletonRows, useApp, useLoad, useTick } from './common.jsx'
import { MESSAGES } from '../lib/i18n.js'
import { Page } from './frame.jsx'
import { Link, navigate, useLocation } from './router.jsx'
import { Graph } from './graph.jsx'
import { Snippet } from './sites.jsx'
import { Panels } from './panels.jsx'
import * as filterLib from '../lib/filters.js'
import { LazyNoteForm, useNotes } from './notes.jsx'
import { SegmentName, SegmentsButton } from './segments.jsx'

var DashContext = createContext(null)
export var useDash = () => useContext(DashContext)

// Once the session is known, a dashboard's URL asks for its top stats and
// graph before the page is drawn, when they do not depend on the site's
// time zone (see DashboardView). Not sooner: the engine would answer the
// session's check after them.
export function prefetchDashboard() {
  var r = route(location.pathname)
  if (r.name !== 'dashboard') return
  var state = parseState(location.search)
  if (needsToday(state)) return
  var today = todayIn('')
  prefetch(topStatsQuery(r.domain, state, today), 0)
  prefetch(timeseriesQuery(r.domain, state, today), 1)
}

// The logged-in dashboard: the site's time zone and role come from the
// sites API. The list of sites (for the switcher) waits for the numbers.
export function Dashboard({ domain }) {
  var { t } = useApp()
  var site = useLoad(() => get(sitePath(domain)), [domain])
  var sites = useLoad(() => get('/api/sites', { stage: 2 }).then(d => list(d, 'sites')), [])
  if (site.error) {
    return (
      <Page>
        <div class="card narrow">
          <h1>{site.error.status === 404 ? t('dash.noSite', { domain }) : t('dash.error')}</h1>
          {site.error.status !== 404 && <ErrorBox error={site.error} retry={site.reload} />}
          <p>
            <Link href="/sites">{t('notfound.back')}</Link>
          </p>
        </div>
      </Page>
    )
  }
  return (
    <DashboardView
      domain={domain}
      timezone={site.data ? site.data.timezone : ''}
      ready={!!site.data}
      canEdit={site.data && site.data.role !== 'viewer'}
      sites={sites.data}
    />
  )
}

function displayValue(dim, v, lang, t) {
  if (dim === 'visit:country' && v) return countryName(v, lang)
  if (dim === 'visit:region' && v) return regionName(v, lang)
  return valueText(dim, v, t)
}
export { displayValue }

// A country's flag as an SVG image (flag-icons, copied into dist/flags/ at
// build time): no emoji font needed, and only the flags shown are fetched.
export function Flag({ code }) {
  if (!/^[A-Za-z]{2}$/.test(code || '')) return null
  return <img class="flag" src={'/flags/' + code.toLowerCase() + '.svg'} alt="" width="16" height="12" loading="lazy" decoding="async" />
}

export function dimLabel(dim, t) {
  var k = dimKey(dim)
  return k ? t(k) : t('dim.prop', { name: dim.slice('event:props:'.length) })
}

export function DashboardView({ domain, timezone, ready = true, canEdit, sites, shared }) {
  var { t, lang } = useApp()
  var loc = useLocation()
  var state = parseState(loc.search)
  var tz = timezone || browserZone()
  var today = todayIn(tz)
  var r = resolvePeriod(state, today)
  var isLive = state.period === 'realtime'
  var tick = useTick(0)
  var [help, setHelp] = useState(false)
  // The filter the editor shows: -1 for a new one, null when closed.
  var [editing, setEditing] = useState(null)
  var [custom, setCustom] = useState(false)

  var set = change => {
    var next = updateState(state, change)
    var qs = serializeState(next)
    navigate(location.pathname + (qs ? '?' + qs : ''), { keepLang: false })
  }
  // The live view's snapshot tells the current visitors while it is open.
  var live = useLive(domain, isLive)
  var current = useRealtime(domain, !isLive)
  if (isLive) current = live.data ? live.data.current_visitors : null
  // The queries of a relative period (30d…) are the same in every time
  // zone: they need not wait for the site's.
  ready = ready || !needsToday(state)
  // A site that never received an event: no numbers, an install prompt.
  var status = useLoad(() => (shared ? null : get(sitePath(domain, '/status'), { quiet401: true, stage: 2 }).catch(() => null)), [domain])
  var empty = !!(status.data && status.data.has_events === false)
  var dash = { domain, state, today, tick, set, shared, canEdit, r, ready, current, empty, tz, edit: setEditing }

  // Keyboard shortcuts, outside of fields and dialogs.
  var latest = useRef()
  latest.current = { state, set }
  useEffect(() => {
    var f = e => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return
      var el = e.target
      if (el && (/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) || el.isContentEditable)) return
      if (document.querySelector('dialog[open]')) return
      var { state, set } = latest.current
      if (e.key === '?') {
        e.preventDefault()
        setHelp(true)
        return
      }
      var k = e.key.toLowerCase()
      if (k === 'x') {
        e.preventDefault()
        set({ compare: state.compare ? '' : 'previous_period' })
        return
      }
      var p = PERIODS.find(p => p.key === k)
      if (!p) return
      e.preventDefault()
      if (p.id === 'custom') setCustom(true)
      else {
        setCustom(false)
        set({ period: p.id })
      }
    }
    document.addEventListener('keydown', f)
    return () => document.removeEventListener('keydown', f)
  }, [])

  var head = (
    <div class="site-head">
      {sites && sites.length > 1 ? (
        <SiteSwitcher domain={domain} sites={sites} />
      ) : (
        <span class="site-title">{domain}</span>
      )}
      {canEdit && !shared && (
        <Link href={settingsPath(domain)} class="icon-btn" aria-label={t('dash.settings')} title={t('dash.settings')} data-settings>
          <Icon name="gear" size={18} />
        </Link>
      )}
    </div>
  )

  return (
    <DashContext.Provider value={dash}>
      <Page head={head} wide>
        <h1 class="sr-only">{t('dash.title', { domain })}</h1>
        {shared && <p class="shared-note">{t('share.readOnly', { domain })}</p>}
        <div class="toolbar">
          <Realtime />
          <div class="spacer" />
          <button type="button" class="btn" onClick={() => setEditing(-1)} data-add-filter>
            <Icon name="filter" /> {t('filters.add')}
          </button>
          <SegmentsButton />
          <PeriodPicker custom={custom} setCustom={setCustom} />
          <CompareMenu />
          <button type="button" class="icon-btn" onClick={() => setHelp(true)} aria-label={t('help.title')} title={t('help.title') + ' (?)'}>
            <Icon name="help" size={18} />
          </button>
        </div>
        <FilterChips />
        {empty && <InstallPrompt />}
        {isLive ? (
          <LazyLive live={live} tz={tz} filtered={state.filters.length > 0} />
        ) : (
          <>
            <TopStats />
            <GraphCard />
            <Panels />
          </>
        )}
        {editing !== null && <LazyEditor index={editing} onClose={() => setEditing(null)} />}
        {help && <HelpDialog onClose={() => setHelp(false)} />}
      </Page>
    </DashContext.Provider>
  )
}

function SiteSwitcher({ domain, sites }) {
  var { t } = useApp()
  return (
    <label class="site-switch">
      <span class="sr-only">{t('dash.site')}</span>
      <select value={domain} onChange={e => navigate(dashboardPath(e.target.value) + location.search)} data-site-switch>
        {sites.map(s => (
          <option key={s.domain} value={s.domain}>
            {s.domain}
          </option>
        ))}
      </select>
    </label>
  )
}

// Visitors on the site now, asked every 10 seconds with the graph, after
// the top stats; not while the live view tells them.
function useRealtime(domain, on) {
  var tick = useTick(on ? 10000 : 0)
  var res = useLoad(() => (on ? get('/api/v1/stats/realtime/visitors?site_id=' + encodeURIComponent(domain), { stage: 1 }) : null), [domain, tick, on])
  return res.data === undefined || res.data === null ? null : num(res.data)
}

// The live view's snapshot, asked again at the pace the server gives
// (its cache's lifetime) while the view is open and the page visible. A
// failed poll keeps the last snapshot, with the error beside it, so the
// time shown stays the time of the numbers shown.
function useLive(domain, on) {
  var [s, setS] = useState({ data: null, error: null })
  var every = (s.data && s.data.refresh_seconds) || 5
  var tick = useTick(on ? every * 1000 : 0)
  useEffect(() => {
    if (!on) return
    var alive = true
    get(sitePath(domain, '/live')).then(
      data => alive && setS({ data, error: null }),
      error => alive && setS(p => ({ data: p.data, error }))
    )
    return () => {
      alive = false
    }
  }, [domain, on, tick])
  useEffect(() => setS({ data: null, error: null }), [domain])
  return s
}

// The live view loads on demand: most visits never open it.
var liveModule = null
function LazyLive(props) {
  var app = useApp()
  var [mod, setMod] = useState(liveModule)
  useEffect(() => {
    if (mod) return
    import('./live.jsx').then(m => {
      for (var l in m.MESSAGES) Object.assign(MESSAGES[l], m.MESSAGES[l])
      setMod((liveModule = m))
    })
  }, [])
  var kit = { app, h, formatCompact, countryName, flag, ErrorBox, SkeletonRows }
  return mod ? <mod.LiveView {...props} kit={kit} /> : null
}

// The count of visitors now; a click opens the realtime view.
function Realtime() {
  var { t, lang } = useApp()
  var { set, state, current: n } = useDash()
  return (
    <button
      type="button"
      class={'realtime' + (state.period === 'realtime' ? ' on' : '')}
      onClick={() => set({ period: 'realtime' })}
      aria-label={n === null ? t('realtime.title') : t('realtime.current', { count: n, n: formatCompact(n, lang) })}
      data-realtime
    >
      <span class="pulse" aria-hidden="true" />
      <span aria-hidden="true">{n === null ? '…' : t('realtime.current', { count: n, n: formatCompact(n, lang) })}</span>
    </button>
  )
}

// The period menu; a custom range opens two date fields.
function PeriodPicker({ custom, setCustom }) {
  var { t, lang } = useApp()
  var { state, set, r, today } = useDash()
  var choose = id => {
    if (id === 'custom') return setCustom(true)
    setCustom(false)
    set({ period: id })
  }
  var apply = (a, b) => {
    setCustom(false)
    set({ period: 'custom', from: a, to: b > today ? today : b })
  }
  return (
    <div class="period">
      <label>
        <span class="sr-only">{t('period.label')}</span>
        <select value={custom ? 'custom' : r.id} onChange={e => choose(e.target.value)} data-period>
          {PERIODS.filter(p => !p.hidden || p.id === r.id).map(p => (
            <option key={p.id} value={p.id}>
              {t('period.' + p.id) + (p.key ? ' (' + p.key.toUpperCase() + ')' : '')}
            </option>
          ))}
        </select>
      </label>
      {r.id === 'custom' && !custom && (
        <span class="range-text">
          {formatDay(r.from, lang)} – {formatDay(r.to, lang)}
        </span>
      )}
      {custom && <RangeForm from={r.from || state.from || today} to={r.to || state.to || today} max={today} onApply={apply} onCancel={() => setCustom(false)} />}
    </div>
  )
}

// RangeForm asks for two days. Its fields hold their first values from the
// first render, so a day typed at once is never overwritten by a default.
function RangeForm({ from: from0, to: to0, max, onApply, onCancel, label, compare }) {
  var { t } = useApp()
  var [from, setFrom] = useState(from0)
  var [to, setTo] = useState(to0)
  var fromRef = useRef()
  useEffect(() => fromRef.current && fromRef.current.focus(), [])
  var submit = e => {
    e.preventDefault()
    if (!from || !to) return
    onApply(from <= to ? from : to, from <= to ? to : from)
  }
  return (
    <form class="custom-range" onSubmit={submit} aria-label={label} data-compare-form={compare || undefined}>
      <label>
        <span>{t('period.from')}</span>
        <input type="date" ref={fromRef} value={from} max={max} required onInput={e => setFrom(e.target.value)} data-from={!compare || undefined} data-compare-from={compare || undefined} />
      </label>
      <label>
        <span>{t('period.to')}</span>
        <input type="date" value={to} max={max} required onInput={e => setTo(e.target.value)} data-to={!compare || undefined} data-compare-to={compare || undefined} />
      </label>
      <button type="submit" class="btn primary small" data-compare-apply={compare || undefined}>
        {t('common.apply')}
      </button>
      <button type="button" class="btn small" onClick={onCancel}>
        {t('common.cancel')}
      </button>
    </form>
  )
}

// The filter editor loads on demand: most visits never open it. It gets
// what it uses of the first load's modules through `kit`.
var editorModule = null
var kit = { ...filterLib, breakdownQuery, countryCodeOf, get, OPERATORS, sitePath, stats }
function LazyEditor(props) {
  var { t, lang } = useApp()
  var dash = useDash()
  var [mod, setMod] = useState(editorModule)
  useEffect(() => {
    if (!mod) import('./filters.jsx').then(m => setMod((editorModule = m)))
  }, [])
  return mod ? <mod.FilterEditor {...props} dash={dash} kit={kit} show={(d, v) => displayValue(d, v, lang, t)} /> : null
}
// The comparison menu; a custom period opens two date fields, kept in the
// URL as compare_from and compare_to.
function CompareMenu() {
  var { t, lang } = useApp()
  var { state, set, r, today } = useDash()
  var [open, setOpen] = useState(false)
  var choose = v => {
    if (v === 'custom') return setOpen(true)
    setOpen(false)
    set({ compare: v })
  }
  var apply = (a, b) => {
    setOpen(false)
    set({ compare: 'custom', compare_from: a, compare_to: b })
  }
  return (
    <div class="period">
      <label class="compare">
        <span class="sr-only">{t('compare.label')}</span>
        <select value={open ? 'custom' : state.compare} onChange={e => choose(e.target.value)} disabled={state.period === 'realtime'} data-compare>
          <option value="">{t('compare.off')}</option>
          <option value="previous_period">{t('compare.previous_period')}</option>
          <option value="year_over_year">{t('compare.year_over_year')}</option>
          <option value="custom">{t('compare.custom')}</option>
        </select>
      </label>
      {state.compare === 'custom' && !open && (
        <button type="button" class="btn ghost small range-text" onClick={() => setOpen(true)} aria-label={t('compare.change')} data-compare-range>
          {formatDay(state.compare_from, lang)} – {formatDay(state.compare_to, lang)}
        </button>
      )}
      {open && (
        <RangeForm
          from={state.compare_from || r.from || today}
          to={state.compare_to || r.to || today}
          max={today}
          onApply={apply}
          onCancel={() => setOpen(false)}
          label={t('compare.custom')}
          compare
        />
      )}
    </div>
  )
}

var OP_KEYS = { is: 'op.is', is_not: 'op.is_not', contains: 'op.contains', contains_not: 'op.contains_not' }

// Each filter in words; a click opens it in the editor, the cross removes
// it. A filter the editor cannot show (a segment) is only removed.
function FilterChips() {
  var { t, lang } = useApp()
  var { state, set, edit } = useDash()
  useRegions(state.filters.some(f => f[1] === 'visit:region'))
  if (!state.filters.length) return null
  var dim = d => dimLabel(d, t)
  var value = (d, v) => displayValue(d, v, lang, t)
  return (
    <div class="chips-row">
      <ul class="chips" aria-label={t('filters.active')}>
        {state.filters.map((f, i) => {
          if (f[1] === 'segment') return <SegmentChip key={i} ids={f[2]} onRemove={() => set({ filters: withoutFilter(state.filters, i) })} />
          var parts = filterLib.describe(f, t, dim, value)
          var text = filterLib.describeText(parts)
          var words = parts.map((p, j) => (p.w === undefined ? <strong key={j}>{p.v}</strong> : p.w))
          return (
            <li key={i} class="chip" data-filter={typeof f[1] === 'string' ? f[1] : f[0]} title={text}>
              {filterLib.toEditor(f) ? (
                <button type="button" class="chip-text" onClick={() => edit(i)} aria-label={t('filters.edit', { filter: text })}>
                  {words}
                </button>
              ) : (
                <span>{words}</span>
              )}
              <button type="button" class="chip-x" onClick={() => set({ filters: withoutFilter(state.filters, i) })} aria-label={t('filters.remove', { filter: text })}>
                <Icon name="close" size={14} />
              </button>
            </li>
          )
        })}
      </ul>
      {state.filters.length > 1 && (
        <button type="button" class="btn ghost small" onClick={() => set({ filters: [] })}>
          {t('filters.clear')}
        </button>
      )}
    </div>
  )
}

function SegmentChip({ ids, onRemove }) {
  var { t } = useApp()
  return (
    <li class="chip" data-filter="segment">
      <span>
        {t('segments.chip')} <SegmentName ids={ids} />
      </span>
      <button type="button" class="chip-x" onClick={onRemove} aria-label={t('segments.remove')}>
        <Icon name="close" size={14} />
      </button>
    </li>
  )
}

// Shown while the site has never received an event: its snippet (to
// whoever may install it) and the status, which turns once one arrives.
function InstallPrompt() {
  var { t } = useApp()
  var { domain, canEdit } = useDash()
  return (
    <section class="card install stack" aria-labelledby="install-title" data-install>
      <h2 id="install-title">{t('install.title', { domain })}</h2>
      <p>{canEdit ? t('install.intro') : t('install.askAdmin')}</p>
      {canEdit && <Snippet domain={domain} />}
    </section>
  )
}

// Metrics that are a ratio over visits: without a visit they have no value.
var PER_VISIT = { views_per_visit: true, bounce_rate: true, visit_duration: true, conversion_rate: true }

function TopStats() {
  var { t, lang } = useApp()
  var { domain, state, today, tick, set, ready, empty } = useDash()
  var q = topStatsQuery(domain, state, today)
  var res = useLoad(() => (ready ? stats(q, 0) : new Promise(() => {})), [JSON.stringify(q), tick, ready])
  var metrics = topMetrics(state.filters)
  var chosen = graphMetric(state)
  var row = res.data && res.data.results && res.data.results[0]
  var vi = metrics.indexOf('visitors')
  var none = row && vi >= 0 && num(row.metrics[vi]) === 0
  var prevNone = row && row.comparison && vi >= 0 && num(row.comparison.metrics[vi]) === 0
  if (res.error) return <ErrorBox error={res.error} retry={res.reload} />
  return (
    <section class="top-stats" aria-label={t('stats.title')} aria-busy={res.loading ? 'true' : 'false'}>
      {metrics.map((m, i) => {
        var v = row ? row.metrics[i] : null
        var prev = row && row.comparison ? row.comparison.metrics[i] : null
        var rate = RATE_METRICS[m]
        // Nothing to show: a site that never had an event, a rate of no
        // visit, a change from a period without visitors.
        var blank = none && (empty || PER_VISIT[m])
        var c = prev === null || prev === undefined || (prevNone && PER_VISIT[m]) ? null : change(m, v, prev, rate)
        var good = c === null || c === 0 ? '' : (c > 0) !== !!LOWER_IS_BETTER[m] ? 'good' : 'bad'
        return (
          <button
            key={m}
            type="button"
            class={'stat' + (m === chosen ? ' on' : '')}
            aria-pressed={m === chosen ? 'true' : 'false'}
            onClick={() => set({ metric: m })}
            data-metric={m}
          >
            <span class="stat-label">{t('metric.' + m)}</span>
            {row ? (
              <span class="stat-value" data-value={blank ? '' : String(num(v))}>
                {blank ? '–' : formatMetric(m, v, lang)}
              </span>
            ) : (
              <span class="stat-value skeleton" aria-hidden="true">
                &nbsp;
              </span>
            )}
            {state.compare && row && (
              <span class={'stat-change ' + good}>
                <span>{c === null ? '–' : formatChange(c, lang, rate, true) + (rate ? ' ' + t('stats.points') : '')}</span>
                <span class="sr-only">
                  {' '}
                  {t('stats.vs', { value: formatMetric(m, prev, lang) })}
                </span>
              </span>
            )}
          </button>
        )
      })}
      {res.data && res.data.meta && res.data.meta.sample_percent > 0 && (
        <p class="stat-sample" role="note">
          {t('stats.sampled', { percent: formatPercent(res.data.meta.sample_percent, lang) })}
        </p>
      )}
    </section>
  )
}

function GraphCard() {
  var { t, lang } = useApp()
  var { domain, state, today, tick, set, r, shared, ready, canEdit, tz } = useDash()
  var [noting, setNoting] = useState(false)
  var notes = useNotes(domain)
  var metric = graphMetric(state)
  var q = timeseriesQuery(domain, state, today)
  var res = useLoad(() => (ready ? stats(q, 1) : new Promise(() => {})), [JSON.stringify(q), tick, ready])
  // Kept while the answer is the same: a new object would rebuild the
  // graph (and lose its cursor) at every render, as each live tick makes.
  var series = useMemo(() => (res.data ? seriesFromResults(res.data, res.data.meta && res.data.meta.time_labels) : null), [res.data])
  var meta = (res.data && res.data.meta) || {}
  var zoom = label => {
    var z = zoomTo(label, r.interval, today, r.to)
    if (z) set(z)
  }
  var href = exportPath(domain, state, today)
  var download = async e => {
    if (!shared) return
    // A shared link's export needs the link's header: fetch it, then save.
    e.preventDefault()
    var res = await fetch(href, { headers: headers('GET') })
    if (!res.ok) return
    var url = URL.createObjectURL(await res.blob())
    var a = document.createElement('a')
    a.href = url
    a.download = domain + '.zip'
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }
  return (
    <section class="card graph-card" aria-labelledby="graph-title">
      <div class="graph-head">
        <h2 id="graph-title">{t('metric.' + metric)}</h2>
        <div class="graph-tools">
          <label>
            <span class="sr-only">{t('interval.label')}</span>
            <select value={r.interval} onChange={e => set({ interval: e.target.value })} disabled={r.intervals.length < 2} data-interval>
              {r.intervals.map(i => (
                <option key={i} value={i}>
                  {t('interval.' + i)}
                </option>
              ))}
            </select>
          </label>
          {(state.imports === 'off' || (meta.imports_included !== undefined && meta.imports_skip_reason !== 'no_imported_data')) && (
            <label class="check small" title={importsSkipped(meta, t)}>
              <input type="checkbox" checked={state.imports !== 'off'} onChange={e => set({ imports: e.target.checked ? '' : 'off' })} data-imports-toggle />{' '}
              {t('graph.imports')}
            </label>
          )}
          {canEdit && !shared && (
            <button type="button" class="btn small" onClick={() => setNoting(true)} data-add-note>
              <Icon name="plus" /> {t('notes.add')}
            </button>
          )}
          <a class="btn small" href={href} download onClick={download} data-export>
            <Icon name="download" /> {t('export.csv')}
          </a>
        </div>
      </div>
      {res.error ? (
        <ErrorBox error={res.error} retry={res.reload} />
      ) : (
        <Graph series={series} metric={metric} interval={r.interval} lang={lang} onZoom={zoom} busy={res.loading} compare={state.compare} importsEnd={meta.imports_included ? meta.imports_end : ''} notes={notes.data} now={r.interval === 'hour' ? hourIn(tz) : today} from={r.from} to={r.to} />
      )}
      {noting && (
        <Modal title={t('notes.add')} onClose={() => setNoting(false)}>
          <LazyNoteForm
            domain={domain}
            today={r.to || today}
            onCancel={() => setNoting(false)}
            onDone={() => {
              setNoting(false)
              notes.reload()
            }}
          />
        </Modal>
      )}
      {meta.imports_included && meta.imports_end && (
        <p class="muted small imports-end" data-imports-end={meta.imports_end}>
          <i class="swatch sw-imports" /> {t('graph.importsEnd')} ({formatDay(meta.imports_end, lang)})
        </p>
      )}
      <ImportsSkipped meta={meta} />
    </section>
  )
}

function HelpDialog({ onClose }) {
  var { t } = useApp()
  var rows = PERIODS.filter(p => p.key).map(p => [p.key.toUpperCase(), t('period.' + p.id)])
  rows.push(['X', t('help.compare')], ['?', t('help.title')], ['Esc', t('help.close')])
  return (
    <Modal title={t('help.title')} onClose={onClose}>
      <p>{t('help.intro')}</p>
      <table class="keys">
        <thead>
          <tr>
            <th scope="col">{t('help.key')}</th>
            <th scope="col">{t('help.action')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  )
}
