// Logging in, the first account, the account menu (password, log out).
import { useEffect, useState } from 'preact/hooks'
import { get, post } from './api.js'
import { useApp } from './common.jsx'
import { navigate } from './router.jsx'
import { Page } from './frame.jsx'

function AuthCard({ title, intro, children }) {
  return (
    <Page>
      <div class="card narrow auth">
        <h1>{title}</h1>
        {intro && <p class="muted">{intro}</p>}
        {children}
      </div>
    </Page>
  )
}

export function Login() {
  var { t, login } = useApp()
  var [email, setEmail] = useState('')
  var [password, setPassword] = useState('')
  var [error, setError] = useState('')
  var [busy, setBusy] = useState(false)
  useEffect(() => {
    if (location.pathname === '/') navigate('/login', { replace: true })
    get('/api/auth/setup', { quiet401: true }).then(
      r => r && r.needed && navigate('/setup', { replace: true }),
      () => {}
    )
  }, [])
  var submit = async e => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      var s = await post('/api/auth/login', { email: email.trim(), password }, { quiet401: true })
      login(s)
      if (location.pathname === '/login' || location.pathname === '/' || location.pathname === '/setup') navigate('/sites', { replace: true })
    } catch (err) {
      setError(err.status === 401 || err.status === 403 ? t('login.wrong') : err.message)
      setBusy(false)
    }
  }
  return (
    <AuthCard title={t('login.title')}>
      <form onSubmit={submit} class="stack" aria-describedby={error ? 'login-error' : undefined}>
        <label class="field">
          <span>{t('login.email')}</span>
          <input type="email" name="email" autocomplete="username" required value={email} onInput={e => setEmail(e.target.value)} />
        </label>
        <label class="field">
          <span>{t('login.password')}</span>
          <input type="password" name="password" autocomplete="current-password" required value={password} onInput={e => setPassword(e.target.value)} />
        </label>
        {error && (
          <p class="error" role="alert" id="login-error">
            {error}
          </p>
        )}
        <button type="submit" class="btn primary" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
    </AuthCard>
  )
}

export function Setup() {
  var { t, login } = useApp()
  var [email, setEmail] = useState('')
  var [password, setPassword] = useState('')
  var [again, setAgain] = useState('')
  var [error, setError] = useState('')
  var [busy, setBusy] = useState(false)
  useEffect(() => {
    get('/api/auth/setup', { quiet401: true }).then(
      r => r && !r.needed && navigate('/login', { replace: true }),
      () => {}
    )
  }, [])
  var submit = async e => {
    e.preventDefault()
    if (password !== again) return setError(t('password.mismatch'))
    if (password.length < 8) return setError(t('password.short'))
    setBusy(true)
    setError('')
    try {
      var res = await post('/api/auth/setup', { email: email.trim(), password })
      // The answer may already be a session; else log in.
      login(res && res.csrf_token ? res : await post('/api/auth/login', { email: email.trim(), password }))
      navigate('/sites/new', { replace: true })
    } catch (err) {
      setError(err.message)
      setBusy(false)
    }
  }
  return (
    <AuthCard title={t('setup.title')} intro={t('setup.intro')}>
      <form onSubmit={submit} class="stack">
        <label class="field">
          <span>{t('login.email')}</span>
          <input type="email" autocomplete="username" required value={email} onInput={e => setEmail(e.target.value)} />
        </label>
        <label class="field">
          <span>{t('login.password')}</span>
          <input type="password" autocomplete="new-password" required minLength={8} value={password} onInput={e => setPassword(e.target.value)} />
        </label>
        <label class="field">
          <span>{t('password.again')}</span>
          <input type="password" autocomplete="new-password" required value={again} onInput={e => setAgain(e.target.value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn primary" disabled={busy}>
          {t('setup.submit')}
        </button>
      </form>
    </AuthCard>
  )
}
