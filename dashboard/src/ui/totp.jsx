// Two-factor authentication (TOTP): enrolment with a QR code or the
// secret typed by hand, the recovery codes shown once, turning it off, and
// the page an instance that requires it shows before anything else. Loaded
// on demand.
import '../i18n/settings.js'
import { useEffect, useState } from 'preact/hooks'
import { get, post } from './api.js'
import { Modal, notify, Spinner, useApp } from './common.jsx'
import { Page } from './frame.jsx'

function codeError(t, err) {
  if (err.status === 429) return t('login.throttled')
  if (err.status === 400 || err.status === 401 || err.status === 403) return t('totp.wrong')
  return err.message
}

// Draws a secret, then asks for a first code; onDone gets the recovery
// codes, which the caller shows once.
function Enrol({ onDone, onCancel }) {
  var { t } = useApp()
  var [enrolment, setEnrolment] = useState(null)
  var [code, setCode] = useState('')
  var [error, setError] = useState('')
  var [busy, setBusy] = useState(false)
  useEffect(() => {
    post('/api/auth/totp/enrol').then(setEnrolment, err => setError(err.message))
  }, [])
  var submit = async e => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      var res = await post('/api/auth/totp/confirm', { code: code.trim() })
      onDone(res.recovery_codes || [])
    } catch (err) {
      setError(codeError(t, err))
      setBusy(false)
    }
  }
  if (!enrolment) return error ? <p class="error" role="alert">{error}</p> : <Spinner />
  return (
    <form onSubmit={submit} class="stack" data-totp-enrol>
      <p>{t('totp.scan')}</p>
      <img class="totp-qr" src={enrolment.qr_code} width="200" height="200" alt={t('totp.qrAlt')} />
      <p class="muted">{t('totp.manual')}</p>
      <code class="totp-secret" data-totp-secret>
        {enrolment.secret}
      </code>
      <label class="field">
        <span>{t('totp.code')}</span>
        <input name="code" inputMode="numeric" autocomplete="one-time-code" required maxLength={8} value={code} onInput={e => setCode(e.target.value)} />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        {onCancel && (
          <button type="button" class="btn" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        )}
        <button type="submit" class="btn primary" disabled={busy}>
          {t('totp.confirm')}
        </button>
      </div>
    </form>
  )
}

function RecoveryCodes({ codes, onDone }) {
  var { t } = useApp()
  return (
    <div class="stack" data-recovery-codes>
      <p>{t('totp.recoveryIntro')}</p>
      <ul class="recovery-codes">
        {codes.map(c => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" class="btn primary" onClick={onDone} data-recovery-saved>
          {t('totp.saved')}
        </button>
      </div>
    </div>
  )
}

function Disable({ status, onDone }) {
  var { t } = useApp()
  var [password, setPassword] = useState('')
  var [code, setCode] = useState('')
  var [error, setError] = useState('')
  var [busy, setBusy] = useState(false)
  var submit = async e => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      await post('/api/auth/totp/disable', { password, code: code.trim() }, { quiet401: true })
      notify(t('totp.disabled'))
      onDone()
    } catch (err) {
      setError(err.status === 403 && /password/.test(err.message) ? t('password.wrongCurrent') : codeError(t, err))
      setBusy(false)
    }
  }
  return (
    <form onSubmit={submit} class="stack" data-totp-disable>
      <p>{t('totp.on', { count: status.recovery_codes_left })}</p>
      {status.required && <p class="muted">{t('totp.requiredNote')}</p>}
      <label class="field">
        <span>{t('password.current')}</span>
        <input type="password" name="password" autocomplete="current-password" required value={password} onInput={e => setPassword(e.target.value)} />
      </label>
      <label class="field">
        <span>{t('totp.codeOrRecovery')}</span>
        <input name="code" autocomplete="one-time-code" required maxLength={20} value={code} onInput={e => setCode(e.target.value)} />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn danger" disabled={busy}>
          {t('totp.disable')}
        </button>
      </div>
    </form>
  )
}

// The account menu's dialog.
export function TOTPDialog({ onClose }) {
  var { t, refreshSession } = useApp()
  var [status, setStatus] = useState(null)
  var [step, setStep] = useState('status')
  var [codes, setCodes] = useState([])
  var [error, setError] = useState('')
  var load = () => get('/api/auth/totp').then(setStatus, err => setError(err.message))
  useEffect(() => {
    load()
  }, [])
  var body
  if (error)
    body = (
      <p class="error" role="alert">
        {error}
      </p>
    )
  else if (!status) body = <Spinner />
  else if (step === 'enrol')
    body = (
      <Enrol
        onCancel={() => setStep('status')}
        onDone={c => {
          setCodes(c)
          setStep('codes')
          refreshSession()
        }}
      />
    )
  else if (step === 'codes') body = <RecoveryCodes codes={codes} onDone={onClose} />
  else if (status.enabled)
    body = (
      <Disable
        status={status}
        onDone={() => {
          refreshSession()
          onClose()
        }}
      />
    )
  else
    body = (
      <div class="stack">
        <p>{t('totp.intro')}</p>
        <div class="actions">
          <button type="button" class="btn primary" onClick={() => setStep('enrol')} data-totp-start>
            {t('totp.start')}
          </button>
        </div>
      </div>
    )
  return (
    <Modal title={t('totp.title')} onClose={onClose}>
      {body}
    </Modal>
  )
}

// The page of a session that must enrol before anything else.
export function ForcedEnrolment() {
  var { t, refreshSession } = useApp()
  var [codes, setCodes] = useState(null)
  return (
    <Page>
      <div class="card narrow auth" data-forced-enrolment>
        <h1>{t('totp.title')}</h1>
        {codes ? (
          <RecoveryCodes codes={codes} onDone={refreshSession} />
        ) : (
          <>
            <p class="muted">{t('totp.requiredIntro')}</p>
            <Enrol onDone={setCodes} />
          </>
        )}
      </div>
    </Page>
  )
}
