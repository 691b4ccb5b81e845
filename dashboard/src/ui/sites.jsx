// The list of sites with their last 7 days, adding a site, and the
// snippet with its live "waiting for the first event" check.
import { useEffect, useRef, useState } from 'preact/hooks'
import { dashboardPath, settingsPath } from '../lib/routes.js'
import { formatCompact, formatDateTime } from '../lib/format.js'
import { seriesFromResults } from '../lib/query.js'
import { get, list, patch, post, sitePath, stats } from './api.js'
import { browserZone, CopyButton, ErrorBox, Icon, LazyMail, notify, SkeletonRows, timeZones, useApp, useLoad } from './common.jsx'
import { Link, navigate, useLocation } from './router.jsx'
import { Page } from './frame.jsx'

export function Sites() {
  var { t } = useApp()
  // The answer also says whether this account may add sites and runs the
  // instance (operators).
  var sites = useLoad(() => get('/api/sites').then(d => ({ list: list(d, 'sites'), canAdd: !!(d && d.can_add_sites), operator: !!(d && d.operator) })), [])
  var canAdd = sites.data && sites.data.canAdd
  return (
    <Page>
      <div class="page-head">
        <h1>{t('sites.title')}</h1>
        {canAdd && (
          <Link href="/sites/new" class="btn primary">
            <Icon name="plus" /> {t('sites.add')}
          </Link>
        )}
      </div>
      {sites.error ? (
        <ErrorBox error={sites.error} retry={sites.reload} />
      ) : !sites.data ? (
        <SkeletonRows rows={3} />
      ) : sites.data.list.length === 0 ? (
        <div class="card empty">
          <p>{canAdd ? t('sites.none') : t('sites.noneAsk')}</p>
          {canAdd && (
            <Link href="/sites/new" class="btn primary">
              {t('sites.addFirst')}
            </Link>
          )}
        </div>
      ) : (
        <ul class="site-list">
          {sites.data.list.map(s => (
            <SiteCard key={s.domain} site={s} />
          ))}
        </ul>
      )}
      {sites.data && sites.data.operator && <Instance />}
      {sites.data && sites.data.operator && <LazyMail part="MailSettings" />}
    </Page>
  )
}

// The instance's settings, for its operators.
function Instance() {
  var { t } = useApp()
  var inst = useLoad(() => get('/api/instance'), [])
  var [busy, setBusy] = useState(false)
  var toggle = async e => {
    var on = e.target.checked
    setBusy(true)
    try {
      await patch('/api/instance', { members_add_sites: on })
      notify(t('common.saved'))
      inst.reload()
    } catch (err) {
      notify(err.message, 'error')
    } finally {
      setBusy(false)
    }
  }
  return (
    <section class="card section instance">
      <h2>{t('instance.title')}</h2>
      <p class="muted">{t('instance.intro')}</p>
      {inst.error ? (
        <ErrorBox error={inst.error} retry={inst.reload} />
      ) : !inst.data ? (
        <SkeletonRows rows={1} />
      ) : (
        <div class="checks">
          <label>
            <input type="checkbox" name="members_add_sites" checked={!!inst.data.members_add_sites} disabled={busy} onChange={toggle} /> {t('instance.membersAddSites')}
          </label>
        </div>
      )}
    </section>
  )
}

function SiteCard({ site }) {
  var { t, lang } = useApp()
  var data = useLoad(async () => {
    var [total, series] = await Promise.all([
      stats({ site_id: site.domain, metrics: ['visitors'], date_range: '7d' }),
      stats({ site_id: site.domain, metrics: ['visitors'], date_range: '7d', dimensions: ['time:day'], include: { time_labels: true } }),
    ])
    var s = seriesFromResults(series, series.meta && series.meta.time_labels)
    return { total: total.results && total.results[0] ? total.results[0].metrics[0] : 0, values: s.values }
  }, [site.domain])
  var canEdit = site.role !== 'viewer'
  return (
    <li class="card site-card">
      <div class="site-card-head">
        <Link href={dashboardPath(site.domain)} class="site-name">
          {site.domain}
        </Link>
        {canEdit && (
          <Link href={settingsPath(site.domain)} class="icon-btn" aria-label={t('sites.settingsOf', { domain: site.domain })}>
            <Icon name="gear" />
          </Link>
        )}
      </div>
      <div class="site-card-body">
        {data.data ? (
          <>
            <p class="site-total">
              <strong>{formatCompact(data.data.total, lang)}</strong> <span class="muted">{t('sites.visitors7d', { count: data.data.total })}</span>
            </p>
            <Sparkline values={data.data.values} />
          </>
        ) : data.error ? (
          <p class="muted">{t('sites.noStats')}</p>
        ) : (
          <div class="skeleton spark-skel" aria-hidden="true" />
        )}
      </div>
    </li>
  )
}

// A small line of the values, scaled to its box; for the eye only.
export function Sparkline({ values, width = 160, height = 36 }) {
  var max = Math.max(1, ...values)
  var step = values.length > 1 ? width / (values.length - 1) : 0
  var pts = values.map((v, i) => Math.round(i * step * 10) / 10 + ',' + Math.round((height - 2 - (v / max) * (height - 4)) * 10) / 10).join(' ')
  return (
    <svg class="sparkline" viewBox={`0 0 ${width} ${height}`} width={width} height={height} aria-hidden="true" preserveAspectRatio="none">
      {values.length > 1 && <polyline points={pts} />}
    </svg>
  )
}

export function TimeZoneSelect({ value, onChange, id }) {
  var zones = timeZones()
  if (value && !zones.includes(value)) zones = [value].concat(zones)
  return (
    <select id={id} value={value} onChange={e => onChange(e.target.value)}>
      {zones.map(z => (
        <option key={z} value={z}>
          {z.replace(/_/g, ' ')}
        </option>
      ))}
    </select>
  )
}

// A domain as people type it: no scheme, no path, no "www." is kept as typed.
export function cleanDomain(s) {
  return s
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/[/?#].*$/, '')
}

export function NewSite() {
  var { t } = useApp()
  var loc = useLocation()
  var added = new URLSearchParams(loc.search).get('domain')
  var [domain, setDomain] = useState('')
  var [tz, setTz] = useState(browserZone)
  var [error, setError] = useState('')
  var [busy, setBusy] = useState(false)
  var submit = async e => {
    e.preventDefault()
    var d = cleanDomain(domain)
    if (!/^[a-z0-9.-]+\.[a-z0-9-]+(:\d+)?$|^localhost(:\d+)?$/.test(d)) return setError(t('newsite.invalid'))
    setBusy(true)
    setError('')
    try {
      await post('/api/sites', { domain: d, timezone: tz })
      navigate('/sites/new?domain=' + encodeURIComponent(d))
    } catch (err) {
      setError(err.status === 409 ? t('newsite.exists') : err.message)
      setBusy(false)
    }
  }
  if (added) {
    return (
      <Page>
        <div class="card narrow">
          <h1>{t('newsite.snippetTitle', { domain: added })}</h1>
          <p>{t('newsite.snippetIntro')}</p>
          <Snippet domain={added} />
          <p>
            <Link href={dashboardPath(added)} class="btn primary">
              {t('newsite.toDashboard')}
            </Link>
          </p>
        </div>
      </Page>
    )
  }
  return (
    <Page>
      <div class="card narrow">
        <h1>{t('newsite.title')}</h1>
        <form onSubmit={submit} class="stack">
          <label class="field">
            <span>{t('newsite.domain')}</span>
            <input
              name="domain"
              required
              placeholder="example.fr"
              autocomplete="off"
              spellcheck={false}
              value={domain}
              onInput={e => setDomain(e.target.value)}
              aria-describedby="domain-hint"
            />
            <small class="hint" id="domain-hint">
              {t('newsite.domainHint')}
            </small>
          </label>
          <div class="field">
            <label for="tz">{t('newsite.timezone')}</label>
            <TimeZoneSelect id="tz" value={tz} onChange={setTz} />
          </div>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <div class="actions">
            <Link href="/sites" class="btn">
              {t('common.cancel')}
            </Link>
            <button type="submit" class="btn primary" disabled={busy}>
              {t('newsite.submit')}
            </button>
          </div>
        </form>
      </div>
    </Page>
  )
}

// The <script> line to paste, and whether the site has sent anything yet,
// asked every 3 seconds until it has.
export function Snippet({ domain }) {
  var { t, lang } = useApp()
  var snippet = useLoad(() => get(sitePath(domain, '/snippet')), [domain])
  var [status, setStatus] = useState(null)
  var pre = useRef()
  useEffect(() => {
    var live = true
    var timer
    var poll = async () => {
      try {
        var s = await get(sitePath(domain, '/status'))
        if (!live) return
        setStatus(s)
        if (s && s.has_events) return
      } catch {
        /* try again */
      }
      if (live) timer = setTimeout(poll, 3000)
    }
    poll()
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [domain])
  var text = snippet.data ? snippet.data.snippet : ''
  return (
    <div class="snippet stack">
      {snippet.error ? (
        <ErrorBox error={snippet.error} retry={snippet.reload} />
      ) : (
        <>
          <pre class="code" ref={pre} tabIndex={0} aria-label={t('snippet.label')}>
            <code>{text || ' '}</code>
          </pre>
          <div class="row">
            <CopyButton text={text} targetRef={pre} label={t('snippet.copy')} />
          </div>
        </>
      )}
      <p class={'status-line ' + (status && status.has_events ? 'ok' : 'waiting')} role="status" data-site-status={status && status.has_events ? 'ok' : 'waiting'}>
        <span class="dot" aria-hidden="true" />
        {status && status.has_events
          ? t('snippet.received', { when: status.last_event ? formatDateTime(status.last_event, lang) : '' })
          : t('snippet.waiting')}
      </p>
    </div>
  )
}
