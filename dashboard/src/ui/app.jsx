// The application: language and theme, the session, and the page for the
// URL.
import { useEffect, useMemo, useState } from 'preact/hooks'
import { makeT, pickLang, LANGS } from '../lib/i18n.js'
import { route } from '../lib/routes.js'
import { get, post, setCsrf, setLang as setApiLang, setUnauthorizedHandler } from './api.js'
import { AppContext, LazyMail, LazyTOTP, Notices, Spinner, store, useApp } from './common.jsx'
import { Link, navigate, useLocation, withParam } from './router.jsx'
import { Invite, Login, Reset, Setup } from './auth.jsx'
import { Page } from './frame.jsx'
import { Sites, NewSite } from './sites.jsx'
import { Dashboard, prefetchDashboard } from './dashboard.jsx'
import { Shared } from './share.jsx'


function initialLang() {
  var q = new URLSearchParams(location.search).get('lang')
  if (LANGS.includes(q)) return q
  var saved = store.get('lang')
  if (LANGS.includes(saved)) return saved
  return pickLang(navigator.languages || [navigator.language])
}

var darkQuery = matchMedia('(prefers-color-scheme: dark)')

function useTheme() {
  var [choice, setChoice] = useState(store.get('theme') || 'auto')
  var [systemDark, setSystemDark] = useState(darkQuery.matches)
  useEffect(() => {
    var f = e => setSystemDark(e.matches)
    darkQuery.addEventListener('change', f)
    return () => darkQuery.removeEventListener('change', f)
  }, [])
  var theme = choice === 'auto' ? (systemDark ? 'dark' : 'light') : choice
  useEffect(() => {
    document.documentElement.dataset.theme = theme
  }, [theme])
  var toggle = () => {
    var next = theme === 'dark' ? 'light' : 'dark'
    store.set('theme', next)
    setChoice(next)
  }
  return [theme, toggle]
}

export function App() {
  var loc = useLocation()
  var [lang, setLangState] = useState(initialLang)
  var [theme, toggleTheme] = useTheme()
  // undefined: not known yet; null: logged out; else {user, csrf_token}.
  var [session, setSession] = useState(undefined)
  var r = route(loc.path)

  // The URL's language wins when it changes (back button, shared link).
  var urlLang = new URLSearchParams(loc.search).get('lang')
  useEffect(() => {
    if (LANGS.includes(urlLang) && urlLang !== lang) setLangState(urlLang)
  }, [urlLang])

  var setLang = l => {
    store.set('lang', l)
    setLangState(l)
    navigate(location.pathname + withParam(location.search, 'lang', l), { replace: true, keepLang: false })
  }
  useEffect(() => {
    document.documentElement.lang = lang
  }, [lang])

  var t = useMemo(() => makeT(lang), [lang])
  // Set while rendering, before any child's request goes out.
  setApiLang(lang)
  useEffect(() => {
    document.title = t('app.title')
  }, [t, loc.path])

  useEffect(() => {
    if (r.name === 'share') return
    // A 401 ends the session only if the server confirms it has ended: a
    // request may fail for its own reasons.
    var checking = false
    setUnauthorizedHandler(() => {
      if (checking) return
      checking = true
      get('/api/auth/me', { quiet401: true })
        .then(
          s => setCsrf(s.csrf_token),
          e => e.status === 401 && setSession(null)
        )
        .finally(() => (checking = false))
    })
    get('/api/auth/me', { quiet401: true }).then(
      s => {
        setCsrf(s.csrf_token)
        // A dashboard's numbers are asked now, while its page is drawn.
        prefetchDashboard()
        setSession(s)
      },
      () => setSession(null)
    )
  }, [r.name === 'share'])

  var login = s => {
    setCsrf(s.csrf_token)
    setSession(s)
  }
  var logout = async () => {
    try {
      await post('/api/auth/logout')
    } catch {
      /* logged out either way */
    }
    setCsrf('')
    setSession(null)
    navigate('/login')
  }

  // After enrolling or turning off a second factor, the session says so.
  var refreshSession = () =>
    get('/api/auth/me', { quiet401: true }).then(
      s => login(s),
      e => e.status === 401 && setSession(null)
    )

  var ctx = { lang, t, setLang, theme, toggleTheme, session, login, logout, refreshSession }

  var page
  if (r.name === 'share') page = <Shared slug={r.slug} />
  else if (session === undefined) page = <Spinner />
  // The links of invitations and password resets open logged in or not.
  else if (r.name === 'invite') page = <Invite token={r.token} />
  else if (r.name === 'reset') page = <Reset token={r.token} />
  else if (r.name === 'unsubscribe') page = <LazySettings part="Unsubscribe" token={r.token} />
  else if (r.name === 'forgot' && !session) page = <LazyMail part="Forgot" />
  else if (!session) page = r.name === 'setup' ? <Setup /> : <Login />
  else if (session.totp && session.totp.required && !session.totp.enabled) page = <LazyTOTP part="ForcedEnrolment" />
  else page = <LoggedIn r={r} />

  return (
    <AppContext.Provider value={ctx}>
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      {page}
      <Notices />
    </AppContext.Provider>
  )
}

function LoggedIn({ r }) {
  var go = r.name === 'home' || r.name === 'login' || r.name === 'setup' || r.name === 'forgot'
  useEffect(() => {
    if (go) navigate('/sites', { replace: true })
  }, [go])
  switch (r.name) {
    case 'sites':
      return <Sites />
    case 'newsite':
      return <NewSite />
    case 'dashboard':
      return <Dashboard domain={r.domain} />
    case 'settings':
      return <LazySettings domain={r.domain} tab={r.tab} />
    case 'notfound':
      return <NotFound />
    default:
      return <Spinner />
  }
}

// The settings pages load on demand: most visits never open them.
var settings = null
function LazySettings(props) {
  var [mod, setMod] = useState(settings)
  useEffect(() => {
    if (!mod) import('./settings.jsx').then(m => setMod((settings = m)))
  }, [])
  var C = mod && mod[props.part || 'Settings']
  return C ? <C {...props} /> : <Spinner />
}

function NotFound() {
  var { t } = useApp()
  return (
    <Page>
      <div class="card narrow">
        <h1>{t('notfound.title')}</h1>
        <p>
          <Link href="/sites">{t('notfound.back')}</Link>
        </p>
      </div>
    </Page>
  )
}
