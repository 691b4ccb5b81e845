// A shared link's page (/share/{slug}): the dashboard, read-only, for
// readers without an account; a password first when the link has one.
//
// The contract gives the slug, not the site: the domain is taken from the
// URL (?domain=), from GET /api/share/{slug} when the server answers it,
// or from the answer of POST /api/share/{slug}/auth.
import { useEffect, useState } from 'preact/hooks'
import { get, post, setShared, setUnauthorizedHandler, sitePath } from './api.js'
import { ErrorBox, Icon, Spinner, useApp, useLoad } from './common.jsx'
import { Page } from './frame.jsx'
import { DashboardView } from './dashboard.jsx'

function domainOf(x) {
  if (!x || typeof x !== 'object') return ''
  return x.domain || x.site_id || (x.site && (x.site.domain || x.site)) || ''
}

export function Shared({ slug }) {
  var { t } = useApp()
  // phase: 'loading' | 'password' | 'ready' | 'error'
  var [phase, setPhase] = useState('loading')
  var [domain, setDomain] = useState(new URLSearchParams(location.search).get('domain') || '')
  var [timezone, setTimezone] = useState('')
  var [error, setError] = useState(null)

  useEffect(() => {
    setShared(slug)
    setUnauthorizedHandler(() => setPhase('password'))
    var live = true
    ;(async () => {
      var info = null
      try {
        info = await get('/api/share/' + encodeURIComponent(slug), { quiet401: true })
      } catch (e) {
        if (e.status === 401 || e.status === 403) return live && setPhase('password')
      }
      var d = domain || domainOf(info)
      if (info && info.timezone) setTimezone(info.timezone)
      if (info && (info.password_required || info.protected || info.has_password) && !info.authenticated) return live && (setDomain(d), setPhase('password'))
      if (d) return live && (setDomain(d), setPhase('ready'))
      try {
        var res = await post('/api/share/' + encodeURIComponent(slug) + '/auth', { password: '' }, { quiet401: true })
        if (!live) return
        if (res && res.timezone) setTimezone(res.timezone)
        setDomain(domainOf(res))
        setPhase(domainOf(res) ? 'ready' : 'error')
      } catch (e) {
        if (!live) return
        if (e.status === 401 || e.status === 403) setPhase('password')
        else {
          setError(e)
          setPhase('error')
        }
      }
    })()
    return () => {
      live = false
      setShared('')
    }
  }, [slug])

  if (phase === 'loading') return <Spinner />
  if (phase === 'password')
    return (
      <SharePassword
        slug={slug}
        onOk={res => {
          if (domainOf(res)) setDomain(domainOf(res))
          if (res && res.timezone) setTimezone(res.timezone)
          setPhase('ready')
        }}
      />
    )
  if (phase === 'error' || !domain)
    return (
      <Page>
        <div class="card narrow">
          <h1>{t('share.unavailable')}</h1>
          {error && <ErrorBox error={error} />}
        </div>
      </Page>
    )
  return <SharedDashboard slug={slug} domain={domain} timezone={timezone} />
}

// The site's time zone, when the server tells it to a shared link's
// readers, decides what "today" is; queries wait for it.
function SharedDashboard({ slug, domain, timezone }) {
  var site = useLoad(() => (timezone ? { timezone } : get(sitePath(domain), { quiet401: true }).catch(() => ({}))), [domain, timezone])
  return <DashboardView domain={domain} timezone={site.data ? site.data.timezone : ''} ready={!!site.data} shared={slug} />
}

function SharePassword({ slug, onOk }) {
  var { t } = useApp()
  var [password, setPassword] = useState('')
  var [error, setError] = useState('')
  var [busy, setBusy] = useState(false)
  var submit = async e => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      onOk(await post('/api/share/' + encodeURIComponent(slug) + '/auth', { password }, { quiet401: true }))
    } catch (err) {
      setError(err.status === 401 || err.status === 403 ? t('share.wrong') : err.message)
      setBusy(false)
    }
  }
  return (
    <Page>
      <div class="card narrow auth">
        <h1>
          <Icon name="lock" size={20} /> {t('share.protected')}
        </h1>
        <form class="stack" onSubmit={submit}>
          <label class="field">
            <span>{t('login.password')}</span>
            <input type="password" autocomplete="off" required value={password} onInput={e => setPassword(e.target.value)} data-share-password />
          </label>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="btn primary" disabled={busy}>
            {t('share.open')}
          </button>
        </form>
      </div>
    </Page>
  )
}
