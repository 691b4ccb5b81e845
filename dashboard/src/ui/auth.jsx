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
  // Set when the password was right and the account asks for a code.
  var [pending, setPending] = useState('')
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
      if (s && s.second_factor) {
        setPassword('')
        setPending(s.pending_token)
        setBusy(false)
        return
      }
      loggedIn(s)
    } catch (err) {
      setError(err.status === 401 || err.status === 403 ? t('login.wrong') : err.status === 429 ? t('login.throttled') : err.message)
      setBusy(false)
    }
  }
  var loggedIn = s => {
    login(s)
    if (location.pathname === '/login' || location.pathname === '/' || location.pathname === '/setup') navigate('/sites', { replace: true })
  }
  if (pending)
    return (
      <SecondFactor
        token={pending}
        onDone={loggedIn}
        onRestart={() => {
          setPending('')
          setError('')
        }}
      />
    )
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

// The login's second step: a code of the authenticator app, or a recovery
// code.
function SecondFactor({ token, onDone, onRestart }) {
  var { t } = useApp()
  var [code, setCode] = useState('')
  var [error, setError] = useState('')
  var [busy, setBusy] = useState(false)
  var submit = async e => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      onDone(await post('/api/auth/login/totp', { pending_token: token, code: code.trim() }, { quiet401: true }))
    } catch (err) {
      setError(err.status === 401 ? t('totp.wrong') : err.status === 429 ? t('login.throttled') : err.message)
      setBusy(false)
    }
  }
  return (
    <AuthCard title={t('login.title')} intro={t('login.codeIntro')}>
      <form onSubmit={submit} class="stack" data-second-factor>
        <label class="field">
          <span>{t('totp.codeOrRecovery')}</span>
          <input name="code" autocomplete="one-time-code" required autoFocus maxLength={20} value={code} onInput={e => setCode(e.target.value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn primary" disabled={busy}>
          {t('login.submit')}
        </button>
        <button type="button" class="btn ghost" onClick={onRestart}>
          {t('login.restart')}
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
