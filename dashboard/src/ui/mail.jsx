// Email pages, loaded on demand: the "forgot password" form and the
// operator's email settings.
import '../i18n/settings.js'
import { useState } from 'preact/hooks'
import { formatDateTime } from '../lib/format.js'
import { get, post } from './api.js'
import { ErrorBox, notify, SkeletonRows, useApp, useLoad } from './common.jsx'
import { Link } from './router.jsx'
import { AuthCard } from './auth.jsx'

// /forgot: asks for a reset link by email. The server answers the same
// whether the account exists or not, so the page says "if".
export function Forgot() {
  var { t } = useApp()
  var [email, setEmail] = useState('')
  var [state, setState] = useState('') // '', 'busy', 'sent', or an error message
  var submit = async e => {
    e.preventDefault()
    setState('busy')
    try {
      await post('/api/auth/forgot', { email: email.trim() }, { quiet401: true })
      setState('sent')
    } catch (err) {
      setState(err.status === 503 ? t('forgot.unavailable') : err.status === 429 ? t('login.throttled') : err.message)
    }
  }
  if (state === 'sent')
    return (
      <AuthCard title={t('forgot.title')} intro={t('forgot.sent', { email: email.trim() })}>
        <p>
          <Link href="/login">{t('forgot.back')}</Link>
        </p>
      </AuthCard>
    )
  var error = state !== '' && state !== 'busy' ? state : ''
  return (
    <AuthCard title={t('forgot.title')} intro={t('forgot.intro')}>
      <form onSubmit={submit} class="stack" aria-describedby={error ? 'forgot-error' : undefined}>
        <label class="field">
          <span>{t('login.email')}</span>
          <input type="email" name="email" autocomplete="username" required value={email} onInput={e => setEmail(e.target.value)} />
        </label>
        {error && (
          <p class="error" role="alert" id="forgot-error">
            {error}
          </p>
        )}
        <button type="submit" class="btn primary" disabled={state === 'busy'}>
          {t('forgot.submit')}
        </button>
        <p class="muted">
          <Link href="/login">{t('forgot.back')}</Link>
        </p>
      </form>
    </AuthCard>
  )
}

// Email, for operators: the SMTP server (set by --smtp-url, never its
// password), the last delivery and the last error, and a test email to
// the operator's own address.
export function MailSettings() {
  var { t, lang } = useApp()
  var st = useLoad(() => get('/api/settings/mail'), [])
  var [busy, setBusy] = useState(false)
  var [result, setResult] = useState(null)
  var test = async () => {
    setBusy(true)
    setResult(null)
    try {
      var r = await post('/api/settings/mail/test')
      setResult(r)
      notify(r.status === 'sent' ? t('mail.testSent', { email: r.to }) : t('mail.testFailed'), r.status === 'sent' ? undefined : 'error')
      st.reload()
    } catch (err) {
      notify(err.message, 'error')
    } finally {
      setBusy(false)
    }
  }
  var s = st.data
  return (
    <section class="card section mail-settings" data-mail-settings>
      <h2>{t('mail.title')}</h2>
      {st.error ? (
        <ErrorBox error={st.error} retry={st.reload} />
      ) : !s ? (
        <SkeletonRows rows={2} />
      ) : !s.configured ? (
        <p class="muted" data-mail-off>
          {t('mail.off')}
        </p>
      ) : (
        <>
          <dl class="facts">
            <dt>{t('mail.server')}</dt>
            <dd>
              <code>{s.server}</code>
            </dd>
            <dt>{t('mail.from')}</dt>
            <dd data-mail-from>{s.from}</dd>
            <dt>{t('mail.lastSent')}</dt>
            <dd data-mail-last-sent>{s.last_sent_at ? formatDateTime(s.last_sent_at, lang) : '—'}</dd>
            <dt>{t('mail.lastError')}</dt>
            <dd data-mail-last-error>{s.last_error ? formatDateTime(s.last_error_at, lang) + ' — ' + s.last_error : '—'}</dd>
          </dl>
          {!s.public_url && <p class="muted">{t('mail.noPublicURL')}</p>}
          {result && result.status !== 'sent' && (
            <p class="error" role="alert">
              {t('mail.testFailed')} {result.error}
            </p>
          )}
          <div class="actions">
            <button type="button" class="btn" disabled={busy} onClick={test} data-mail-test>
              {t('mail.test')}
            </button>
          </div>
        </>
      )}
    </section>
  )
}
