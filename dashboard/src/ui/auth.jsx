// Logging in, the first account, the account menu (password, log out).
import { useEffect, useState } from 'preact/hooks'
import { get, post } from './api.js'
import { useApp } from './common.jsx'
import { Link, navigate } from './router.jsx'
import { Page } from './frame.jsx'

export function AuthCard({ title, intro, children }) {
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
        <p class="muted">
          <Link href="/forgot" data-forgot>
            {t('login.forgot')}
          </Link>
        </p>
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

// A new password typed twice, checked before it is sent.
function NewPassword({ submitLabel, onSubmit }) {
  var { t } = useApp()
  var [password, setPassword] = useState('')
  var [again, setAgain] = useState('')
  var [error, setError] = useState('')
  var [busy, setBusy] = useState(false)
  var submit = async e => {
    e.preventDefault()
    if (password !== again) return setError(t('password.mismatch'))
    if (password.length < 8) return setError(t('password.short'))
    setBusy(true)
    setError('')
    try {
      await onSubmit(password)
    } catch (err) {
      setError(err.message)
      setBusy(false)
    }
  }
  return (
    <form onSubmit={submit} class="stack">
      <label class="field">
        <span>{t('password.new')}</span>
        <input type="password" name="new-password" autocomplete="new-password" required minLength={8} value={password} onInput={e => setPassword(e.target.value)} />
      </label>
      <label class="field">
        <span>{t('password.again')}</span>
        <input type="password" name="new-password-again" autocomplete="new-password" required value={again} onInput={e => setAgain(e.target.value)} />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="btn primary" disabled={busy}>
        {submitLabel}
      </button>
    </form>
  )
}

function useToken(path) {
  // undefined: loading; null: invalid link; else the server's answer.
  var [data, setData] = useState(undefined)
  useEffect(() => {
    get(path, { quiet401: true }).then(setData, () => setData(null))
  }, [path])
  return data
}

// /invite/<token>: the invitee joins a site. Without an account, they
// choose a password here; with one, they log in as the invited email and
// accept or decline. Nobody joins without saying so.
export function Invite({ token }) {
  var { t, session, login, logout } = useApp()
  var inv = useToken('/api/invitations/' + encodeURIComponent(token))
  var [error, setError] = useState('')
  var [busy, setBusy] = useState(false)
  if (inv === undefined) return <AuthCard title={t('app.title')} />
  if (inv === null) return <AuthCard title={t('app.title')} intro={t('invite.invalid')} />
  var path = '/api/invitations/' + encodeURIComponent(token)
  var joined = () => {
    navigate('/' + encodeURIComponent(inv.domain), { replace: true })
  }
  var vars = { email: inv.email, domain: inv.domain, role: t('role.' + inv.role) }
  var body
  if (session && session.user.email !== inv.email) {
    body = (
      <>
        <p>{t('invite.other', { current: session.user.email, email: inv.email })}</p>
        <button type="button" class="btn" onClick={() => logout().then(() => navigate('/invite/' + encodeURIComponent(token), { replace: true }))}>
          {t('account.logout')}
        </button>
      </>
    )
  } else if (session) {
    var act = async what => {
      setBusy(true)
      setError('')
      try {
        await post(path + '/' + what, {})
        if (what === 'accept') joined()
        else navigate('/sites', { replace: true })
      } catch (err) {
        setError(err.message)
        setBusy(false)
      }
    }
    body = (
      <>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" class="btn primary" disabled={busy} onClick={() => act('accept')}>
            {t('invite.accept')}
          </button>
          <button type="button" class="btn" disabled={busy} onClick={() => act('decline')}>
            {t('invite.decline')}
          </button>
        </div>
      </>
    )
  } else if (inv.has_account) {
    body = (
      <>
        <p>{t('invite.login', vars)}</p>
        <InviteLogin email={inv.email} onLogin={login} />
      </>
    )
  } else {
    body = (
      <>
        <p>{t('invite.choose')}</p>
        <NewPassword
          submitLabel={t('invite.create')}
          onSubmit={async password => {
            login(await post(path + '/accept', { password }))
            joined()
          }}
        />
      </>
    )
  }
  return (
    <AuthCard title={t('invite.title', vars)} intro={t('invite.offer', vars)}>
      {body}
    </AuthCard>
  )
}

function InviteLogin({ email, onLogin }) {
  var { t } = useApp()
  var [password, setPassword] = useState('')
  var [error, setError] = useState('')
  var submit = async e => {
    e.preventDefault()
    setError('')
    try {
      onLogin(await post('/api/auth/login', { email, password }, { quiet401: true }))
    } catch (err) {
      setError(err.status === 401 ? t('login.wrong') : err.message)
    }
  }
  return (
    <form onSubmit={submit} class="stack">
      <label class="field">
        <span>{t('login.email')}</span>
        <input type="email" name="email" autocomplete="username" value={email} readOnly aria-readonly="true" />
      </label>
      <label class="field">
        <span>{t('login.password')}</span>
        <input type="password" name="password" autocomplete="current-password" required value={password} onInput={e => setPassword(e.target.value)} />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="btn primary">
        {t('login.submit')}
      </button>
    </form>
  )
}

// /reset/<token>: a new password from a single-use link (printed by
// `sillage user reset-password` or mailed on /forgot). Every session of
// the account ends.
export function Reset({ token }) {
  var { t, logout } = useApp()
  var reset = useToken('/api/auth/reset/' + encodeURIComponent(token))
  var [done, setDone] = useState(false)
  if (reset === undefined) return <AuthCard title={t('reset.title')} />
  if (reset === null) return <AuthCard title={t('reset.title')} intro={t('reset.invalid')} />
  if (done)
    return (
      <AuthCard title={t('reset.title')} intro={t('reset.done')}>
        <button type="button" class="btn primary" onClick={logout}>
          {t('login.submit')}
        </button>
      </AuthCard>
    )
  return (
    <AuthCard title={t('reset.title')} intro={t('reset.for', { email: reset.email })}>
      <NewPassword
        submitLabel={t('reset.submit')}
        onSubmit={async password => {
          await post('/api/auth/reset', { token, password })
          setDone(true)
        }}
      />
    </AuthCard>
  )
}
