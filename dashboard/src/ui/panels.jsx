// The dashboard's panels: a top-9 list per dimension whose rows filter the
// dashboard, a details dialog with the whole list (sorted, searched,
// paged), the map, goals, custom properties and funnels.
import { useEffect, useState } from 'preact/hooks'
import { detailMetrics, longDim } from '../lib/dims.js'
import { useRegions } from '../lib/regionNames.js'
import { countryCodeOf, formatMetric, formatNumber, formatPercent } from '../lib/format.js'
import { breakdownQuery, chosen, filtersOnEvents, funnelFilters, hasGoalFilter, withFilter } from '../lib/query.js'
import { settingsPath } from '../lib/routes.js'
import { get, list, post, sitePath, stats } from './api.js'
import { ErrorBox, Icon, ImportsSkipped, Modal, SkeletonRows, store, Tabs, useApp, useLoad } from './common.jsx'
import { Link } from './router.jsx'
import { dimLabel, displayValue, Flag, useDash } from './dashboard.jsx'
import { WorldMap } from './map.jsx'

export function Panels() {
  return (
    <div class="panels">
      <SourcesPanel />
      <PagesPanel />
      <LocationsPanel />
      <DevicesPanel />
      <GoalsPanel />
      <PropsPanel />
      <FunnelsPanel />
    </div>
  )
}

// A panel's chosen tab is the reader's preference, kept in this browser.
function useTab(panel, tabs) {
  var [tab, setTab] = useState(() => {
    var saved = store.get('tab.' + panel)
    return tabs.includes(saved) ? saved : tabs[0]
  })
  return [
    tab,
    t => {
      store.set('tab.' + panel, t)
      setTab(t)
    },
  ]
}

function Panel({ id, title, tabs, tab, onTab, onDetails, children, extra }) {
  var { t } = useApp()
  return (
    <section class="card panel" aria-labelledby={id + '-title'} data-panel={id}>
      <div class="panel-head">
        <h2 id={id + '-title'}>{title}</h2>
        {tabs && <Tabs tabs={tabs} value={tab} onChange={onTab} label={title} />}
      </div>
      {extra}
      <div class="panel-body" role={tabs ? 'tabpanel' : undefined} aria-label={tabs ? tabs.find(x => x.id === tab).label : undefined}>
        {children}
      </div>
      {onDetails && (
        <div class="panel-foot">
          <button type="button" class="btn ghost small" onClick={onDetails} data-details>
            <Icon name="expand" /> {t('panel.details')}
          </button>
        </div>
      )}
    </section>
  )
}

// The columns of a panel's short list: the first metric draws the bar.
// Under a goal filter a row's rate is its own (converted visitors of that
// row over all that row's visitors), as Plausible shows it, not its share
// of all visitors.
function panelMetrics(dim, filters) {
  if (hasGoalFilter(filters) && dim !== 'event:goal') return ['visitors', 'group_conversion_rate']
  return ['visitors']
}

// A breakdown list; clicking a row filters the dashboard on its value.
function Breakdown({ dim, metrics, limit = 9, label }) {
  var { t, lang } = useApp()
  var { domain, state, today, tick, set, ready } = useDash()
  metrics = metrics || panelMetrics(dim, state.filters)
  var q = breakdownQuery(domain, state, today, { dimension: dim, metrics, limit })
  var res = useLoad(() => (ready ? stats(q, 2) : new Promise(() => {})), [JSON.stringify(q), tick, ready])
  if (res.error) return <ErrorBox error={res.error} retry={res.reload} />
  if (!res.data) return <SkeletonRows rows={limit} />
  return (
    <>
      <Rows dim={dim} metrics={metrics} results={res.data.results || []} busy={res.loading} label={label} pick={v => set({ filters: withFilter(state.filters, dim, v) })} />
      <ImportsSkipped meta={res.data.meta} />
    </>
  )
}

function Rows({ dim, metrics, results, busy, label, pick }) {
  var { t, lang } = useApp()
  var max = Math.max(1, ...results.map(r => Number(r.metrics[0]) || 0))
  var show = label || (v => displayValue(dim, v, lang, t))
  if (!results.length) return <p class="empty-panel">{t('panel.empty')}</p>
  return (
    <table class={'rows' + (busy ? ' busy' : '')} aria-busy={busy ? 'true' : 'false'}>
      <thead>
        <tr>
          <th scope="col">{dimLabel(dim, t)}</th>
          {metrics.map(m => (
            <th scope="col" class="num" key={m}>
              {t('metric.' + m)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {results.map(r => {
          var v = r.dimensions[0]
          return (
            <tr key={String(v)}>
              <th scope="row">
                <button type="button" class="bar-row" onClick={() => pick(v)} title={t('panel.filterBy', { value: show(v) })} data-value={String(v)}>
                  <span class="bar" style={{ width: Math.max(0.5, ((Number(r.metrics[0]) || 0) / max) * 100) + '%' }} />
                  <span class="bar-label">
                    {dim === 'visit:country' && <Flag code={v} />}
                    {show(v)}
                  </span>
                </button>
              </th>
              {metrics.map((m, i) => (
                <td class="num" key={m}>
                  {formatMetric(m, r.metrics[i], lang)}
                </td>
              ))}
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

function SourcesPanel() {
  var { t } = useApp()
  var [tab, setTab] = useTab('sources', ['channel', 'source', 'referrer', 'utm'])
  var [utm, setUtm] = useState(() => store.get('utm') || 'utm_medium')
  var [details, setDetails] = useState(false)
  var dim = 'visit:' + (tab === 'utm' ? utm : tab)
  var tabs = [
    { id: 'channel', label: t('tab.channels') },
    { id: 'source', label: t('tab.sources') },
    { id: 'referrer', label: t('tab.referrers') },
    { id: 'utm', label: t('tab.utm') },
  ]
  var extra = tab === 'utm' && (
    <label class="panel-select">
      <span class="sr-only">{t('tab.utm')}</span>
      <select
        value={utm}
        onChange={e => {
          store.set('utm', e.target.value)
          setUtm(e.target.value)
        }}
      >
        {['utm_medium', 'utm_source', 'utm_campaign', 'utm_term', 'utm_content'].map(u => (
          <option key={u} value={u}>
            {t('dim.' + u)}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <Panel id="sources" title={t('panel.sources')} tabs={tabs} tab={tab} onTab={setTab} onDetails={() => setDetails(true)} extra={extra}>
      <Breakdown key={dim} dim={dim} />
      {details && <Details dim={dim} title={dimLabel(dim, t)} onClose={() => setDetails(false)} />}
    </Panel>
  )
}

function PagesPanel() {
  var { t } = useApp()
  var [tab, setTab] = useTab('pages', ['page', 'entry_page', 'exit_page'])
  var [details, setDetails] = useState(false)
  var dim = longDim(tab)
  var tabs = [
    { id: 'page', label: t('tab.topPages') },
    { id: 'entry_page', label: t('tab.entryPages') },
    { id: 'exit_page', label: t('tab.exitPages') },
  ]
  return (
    <Panel id="pages" title={t('panel.pages')} tabs={tabs} tab={tab} onTab={setTab} onDetails={() => setDetails(true)}>
      <Breakdown key={dim} dim={dim} />
      {details && <Details dim={dim} title={dimLabel(dim, t)} onClose={() => setDetails(false)} />}
    </Panel>
  )
}

function LocationsPanel() {
  var { t } = useApp()
  var [tab, setTab] = useTab('locations', ['map', 'country', 'region', 'city'])
  var [details, setDetails] = useState(false)
  // Cities by name: the server's visit:city is a GeoNames id.
  var dim = 'visit:' + ({ map: 'country', city: 'city_name' }[tab] || tab)
  useRegions(tab === 'region')
  var tabs = [
    { id: 'map', label: t('tab.map') },
    { id: 'country', label: t('tab.countries') },
    { id: 'region', label: t('tab.regions') },
    { id: 'city', label: t('tab.cities') },
  ]
  return (
    <Panel id="locations" title={t('panel.locations')} tabs={tabs} tab={tab} onTab={setTab} onDetails={() => setDetails(true)}>
      {tab === 'map' ? <MapView /> : <Breakdown key={dim} dim={dim} />}
      {details && <Details dim={dim} title={dimLabel(dim, t)} onClose={() => setDetails(false)} />}
    </Panel>
  )
}

function MapView() {
  var { domain, state, today, tick, set, ready } = useDash()
  var q = breakdownQuery(domain, state, today, { dimension: 'visit:country', metrics: ['visitors'], limit: 300 })
  var res = useLoad(() => (ready ? stats(q, 2) : new Promise(() => {})), [JSON.stringify(q), tick, ready])
  if (res.error) return <ErrorBox error={res.error} retry={res.reload} />
  var data = new Map()
  for (var r of (res.data && res.data.results) || []) data.set(String(r.dimensions[0]).toUpperCase(), Number(r.metrics[0]) || 0)
  return (
    <>
      <WorldMap data={data} busy={!res.data || res.loading} onPick={c => set({ filters: withFilter(state.filters, 'visit:country', c) })} />
      <ImportsSkipped meta={res.data && res.data.meta} />
    </>
  )
}

// Browsers and operating systems; once one is chosen (a filter on it), its
// versions.
function DevicesPanel() {
  var { t } = useApp()
  var { state } = useDash()
  var [tab, setTab] = useTab('devices', ['browser', 'os', 'device'])
  var [details, setDetails] = useState(false)
  var version = tab !== 'device' && chosen(state.filters, 'visit:' + tab)
  var dim = 'visit:' + tab + (version ? '_version' : '')
  var tabs = [
    { id: 'browser', label: t('tab.browsers') },
    { id: 'os', label: t('tab.os') },
    { id: 'device', label: t('tab.devices') },
  ]
  var extra = version && <p class="panel-note">{t('panel.versionsOf', { name: version })}</p>
  return (
    <Panel id="devices" title={t('panel.devices')} tabs={tabs} tab={tab} onTab={setTab} onDetails={() => setDetails(true)} extra={extra}>
      <Breakdown key={dim} dim={dim} />
      {details && <Details dim={dim} title={dimLabel(dim, t)} onClose={() => setDetails(false)} />}
    </Panel>
  )
}

// Goals with conversions and, where the server has it, revenue. A server
// that refuses revenue metrics (no revenue goal) gets the query again
// without them.
function GoalsPanel() {
  var { t } = useApp()
  var { domain, state, today, tick, set, ready } = useDash()
  var [details, setDetails] = useState(false)
  var withRevenue = ['visitors', 'events', 'conversion_rate', 'total_revenue']
  var q = breakdownQuery(domain, state, today, { dimension: 'event:goal', metrics: withRevenue, limit: 9 })
  var res = useLoad(async () => {
    if (!ready) return new Promise(() => {})
    try {
      return { metrics: withRevenue, res: await stats(q, 2) }
    } catch (e) {
      if (e.status !== 400) throw e
      var plain = withRevenue.slice(0, 3)
      return { metrics: plain, res: await stats({ ...q, metrics: plain, order_by: [['visitors', 'desc']] }, 2) }
    }
  }, [JSON.stringify(q), tick, ready])
  var body
  if (res.error) body = <ErrorBox error={res.error} retry={res.reload} />
  else if (!res.data) body = <SkeletonRows />
  else {
    var { metrics, res: r } = res.data
    var results = r.results || []
    // Revenue columns only when some goal brought money.
    if (metrics.length === 4 && !results.some(x => Number(x.metrics[3] && x.metrics[3].value !== undefined ? x.metrics[3].value : x.metrics[3]) > 0)) {
      metrics = metrics.slice(0, 3)
      results = results.map(x => ({ ...x, metrics: x.metrics.slice(0, 3) }))
    }
    body = results.length ? (
      <Rows dim="event:goal" metrics={metrics} results={results} busy={res.loading} pick={v => set({ filters: withFilter(state.filters, 'event:goal', v) })} />
    ) : (
      <GoalsEmpty />
    )
  }
  return (
    <Panel id="goals" title={t('panel.goals')} onDetails={() => setDetails(true)}>
      {body}
      {details && <Details dim="event:goal" title={t('panel.goals')} onClose={() => setDetails(false)} />}
    </Panel>
  )
}

function GoalsEmpty() {
  var { t } = useApp()
  var { canEdit, shared, domain } = useDash()
  return (
    <p class="empty-panel">
      {t('goals.none')}{' '}
      {canEdit && !shared && <Link href={settingsPath(domain, 'goals')}>{t('goals.add')}</Link>}
    </p>
  )
}

// Plausible's goals whose events carry the one property that tells them
// apart: under a filter on one of them, the properties panel breaks it
// down by that property by itself.
var SPECIAL_GOALS = {
  'Outbound Link: Click': ['url', 'props.outbound'],
  'Cloaked Link: Click': ['url', 'props.cloaked'],
  'File Download': ['url', 'props.downloads'],
  404: ['path', 'props.notFound'],
  'Form: Submission': ['path', 'props.forms'],
  'WP Form Completions': ['path', 'props.forms'],
}

export function specialGoal(filters) {
  var goals = filters.filter(f => f[1] === 'event:goal')
  if (goals.length !== 1 || goals[0][0] !== 'is' || goals[0][2].length !== 1) return null
  var s = SPECIAL_GOALS[goals[0][2][0]]
  return s ? { prop: s[0], title: s[1] } : null
}

// Custom properties: the names the period's events carry (with the
// dashboard's filters), most used first, from the server; the reader
// picks one, or names any other. The first is shown until one is picked.
function PropsPanel() {
  var { t, lang } = useApp()
  var { domain, state, today, tick, set, ready } = useDash()
  var [details, setDetails] = useState(false)
  var [text, setText] = useState(state.prop)
  useEffect(() => setText(state.prop), [state.prop])
  var special = specialGoal(state.filters)
  var q = breakdownQuery(domain, state, today, { dimension: 'event:page', metrics: ['visitors'] })
  delete q.dimensions
  delete q.order_by
  delete q.pagination
  delete q.site_id
  var keys = useLoad(
    () => (ready ? get(sitePath(domain, '/props?limit=20&query=' + encodeURIComponent(JSON.stringify(q))), { stage: 2 }) : new Promise(() => {})),
    [domain, JSON.stringify(q), tick, ready]
  )
  var found = (keys.data && keys.data.keys) || []
  var prop = special ? special.prop : state.prop || (found[0] && found[0].key) || ''
  var choose = e => {
    e.preventDefault()
    set({ prop: text.trim() })
  }
  var dim = prop ? 'event:props:' + prop : ''
  var extra = special ? (
    <p class="panel-note" data-special-prop={special.prop}>
      {t('props.by', { name: special.prop })}
    </p>
  ) : (
    <div class="prop-keys">
      {found.length > 0 && (
        <div class="prop-chips" role="group" aria-label={t('props.keys')}>
          {found.slice(0, 8).map(k => (
            <button
              type="button"
              key={k.key}
              class={'prop-chip' + (k.key === prop ? ' on' : '')}
              aria-pressed={k.key === prop ? 'true' : 'false'}
              onClick={() => set({ prop: k.key })}
              title={t('props.used', { visitors: formatNumber(k.visitors, lang), events: formatNumber(k.events, lang) })}
              data-prop-key={k.key}
            >
              {k.key} <span class="muted">{formatNumber(k.visitors, lang)}</span>
            </button>
          ))}
        </div>
      )}
      <form class="prop-form" onSubmit={choose}>
        <label for="prop-name">{t('props.name')}</label>
        <input id="prop-name" list="prop-names" value={text} onInput={e => setText(e.target.value)} placeholder={prop || 'plan'} autocomplete="off" spellcheck={false} />
        <datalist id="prop-names">
          {found.map(k => (
            <option key={k.key} value={k.key} />
          ))}
        </datalist>
        <button type="submit" class="btn small">
          {t('common.show')}
        </button>
      </form>
    </div>
  )
  var body
  if (dim) body = <Breakdown key={dim} dim={dim} metrics={['visitors', 'events']} />
  else if (keys.error) body = <ErrorBox error={keys.error} retry={keys.reload} />
  else if (!keys.data) body = <SkeletonRows />
  else body = <p class="empty-panel">{t('props.none')}</p>
  return (
    <Panel id="props" title={special ? t(special.title) : t('panel.props')} extra={extra} onDetails={dim ? () => setDetails(true) : null}>
      {body}
      {details && dim && <Details dim={dim} title={dimLabel(dim, t)} onClose={() => setDetails(false)} />}
    </Panel>
  )
}

function FunnelsPanel() {
  var { t, lang } = useApp()
  var { domain, state, r, tick, canEdit, shared } = useDash()
  var funnels = useLoad(() => get(sitePath(domain, '/funnels'), { quiet401: true, stage: 2 }).then(d => list(d, 'funnels')), [domain])
  var [id, setId] = useState(() => store.get('funnel.' + domain) || '')
  var all = funnels.data || []
  var current = all.find(f => String(f.id) === String(id)) || all[0]
  var report = useLoad(
    () => (current ? post(sitePath(domain, '/funnels/' + encodeURIComponent(current.id) + '/report'), { date_range: r.dateRange, filters: funnelFilters(state.filters) }, { stage: 2 }) : null),
    [current && current.id, JSON.stringify(r.dateRange), JSON.stringify(state.filters), tick]
  )
  // Readers of a shared link may not see funnels: no panel then.
  if (funnels.error && [401, 403, 404].includes(funnels.error.status)) return null
  var body
  if (funnels.error) body = <ErrorBox error={funnels.error} retry={funnels.reload} />
  else if (!funnels.data) body = <SkeletonRows rows={4} />
  else if (!all.length)
    body = (
      <p class="empty-panel">
        {t('funnels.none')} {canEdit && !shared && <Link href={settingsPath(domain, 'funnels')}>{t('funnels.add')}</Link>}
      </p>
    )
  else if (report.error) body = <ErrorBox error={report.error} retry={report.reload} />
  else if (!report.data) body = <SkeletonRows rows={4} />
  else {
    var steps = report.data.steps || []
    var first = Math.max(1, Number(steps[0] && steps[0].visitors) || 0)
    body = (
      <ol class="funnel" aria-busy={report.loading ? 'true' : 'false'}>
        {steps.map((s, i) => (
          <li key={i}>
            <div class="funnel-top">
              <span class="funnel-name">
                {i + 1}. {displayValue('event:goal', s.name || s.label, lang, t)}
              </span>
              <span class="num">
                {formatNumber(s.visitors, lang, 0)} · {formatPercent(s.conversion_rate, lang)}
              </span>
            </div>
            <div class="funnel-bar">
              <span style={{ width: ((Number(s.visitors) || 0) / first) * 100 + '%' }} />
            </div>
            {i > 0 && <p class="funnel-drop">{t('funnels.dropoff', { n: formatNumber(s.dropoff, lang, 0) })}</p>}
          </li>
        ))}
      </ol>
    )
  }
  var extra = all.length > 1 && (
    <label class="panel-select">
      <span class="sr-only">{t('funnels.choose')}</span>
      <select
        value={current ? String(current.id) : ''}
        onChange={e => {
          store.set('funnel.' + domain, e.target.value)
          setId(e.target.value)
        }}
      >
        {all.map(f => (
          <option key={f.id} value={String(f.id)}>
            {f.name}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <Panel id="funnels" title={t('panel.funnels')} extra={extra}>
      {body}
    </Panel>
  )
}

var PAGE = 20

// The whole list of a dimension: sortable columns, a search on the value,
// pages of 20.
export function Details({ dim, title, onClose }) {
  var { t, lang } = useApp()
  var { domain, state, today, tick, set, ready } = useDash()
  var metrics = detailMetrics(dim, hasGoalFilter(state.filters) && dim !== 'event:goal', filtersOnEvents(state.filters))
  var [page, setPage] = useState(0)
  var [text, setText] = useState('')
  var [search, setSearch] = useState('')
  var [order, setOrder] = useState([metrics[0], 'desc'])
  useEffect(() => {
    var id = setTimeout(() => {
      setSearch(text.trim())
      setPage(0)
    }, 300)
    return () => clearTimeout(id)
  }, [text])
  var q = breakdownQuery(domain, state, today, { dimension: dim, metrics, limit: PAGE, offset: page * PAGE, orderBy: order, search })
  q.include = { total_rows: true }
  var res = useLoad(() => (ready ? stats(q) : new Promise(() => {})), [JSON.stringify(q), tick, ready])
  var total = res.data && res.data.meta && res.data.meta.total_rows
  var results = (res.data && res.data.results) || []
  var sortBy = col => {
    setOrder(order[0] === col ? [col, order[1] === 'desc' ? 'asc' : 'desc'] : [col, col === dim ? 'asc' : 'desc'])
    setPage(0)
  }
  var head = (col, label, numeric) => {
    var on = order[0] === col
    return (
      <th scope="col" class={numeric ? 'num' : ''} aria-sort={on ? (order[1] === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" class="sort" onClick={() => sortBy(col)}>
          {label}
          {on && <Icon name={order[1] === 'asc' ? 'up' : 'down'} size={12} />}
        </button>
      </th>
    )
  }
  var last = total !== undefined && total !== null ? (page + 1) * PAGE >= total : results.length < PAGE
  return (
    <Modal title={title} onClose={onClose} wide>
      <div class="details-tools">
        <label class="search">
          <span class="sr-only">{t('details.search')}</span>
          <input type="search" placeholder={t('details.search')} value={text} onInput={e => setText(e.target.value)} data-details-search />
        </label>
      </div>
      {res.error ? (
        <ErrorBox error={res.error} retry={res.reload} />
      ) : !res.data ? (
        <SkeletonRows rows={10} />
      ) : (
        <div class="table-wrap">
          <table class={'details' + (res.loading ? ' busy' : '')} aria-busy={res.loading ? 'true' : 'false'}>
            <thead>
              <tr>
                {head(dim, dimLabel(dim, t))}
                {metrics.map(m => head(m, t('metric.' + m), true))}
              </tr>
            </thead>
            <tbody>
              {results.map(r => (
                <tr key={String(r.dimensions[0])}>
                  <th scope="row">
                    <button
                      type="button"
                      class="link"
                      onClick={() => {
                        set({ filters: withFilter(state.filters, dim, r.dimensions[0]) })
                        onClose()
                      }}
                    >
                      {dim === 'visit:country' && <Flag code={r.dimensions[0]} />}
                      {displayValue(dim, r.dimensions[0], lang, t)}
                    </button>
                  </th>
                  {metrics.map((m, i) => (
                    <td class="num" key={m}>
                      {formatMetric(m, r.metrics[i], lang, { compact: false })}
                    </td>
                  ))}
                </tr>
              ))}
              {!results.length && (
                <tr>
                  <td colSpan={metrics.length + 1} class="empty-panel">
                    {t('panel.empty')}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      <div class="pager">
        <span class="muted" aria-live="polite">
          {results.length
            ? t('details.range', {
                from: formatNumber(page * PAGE + 1, lang),
                to: formatNumber(page * PAGE + results.length, lang),
                total: total === undefined || total === null ? '…' : formatNumber(total, lang),
              })
            : ''}
        </span>
        <button type="button" class="btn small" disabled={page === 0} onClick={() => setPage(page - 1)}>
          {t('details.prev')}
        </button>
        <button type="button" class="btn small" disabled={last} onClick={() => setPage(page + 1)} data-next>
          {t('details.next')}
        </button>
      </div>
    </Modal>
  )
}

