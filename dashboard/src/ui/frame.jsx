// The page frame: header (brand, the page's own tools, language, theme,
// account menu), the main landmark and the footer; the password dialog.
import { useEffect, useRef, useState } from 'preact/hooks'
import { post } from './api.js'
import { Icon, LazyTOTP, Modal, notify, useApp } from './common.jsx'
import { Link } from './router.jsx'

export function Page({ children, head, wide }) {
  var { t } = useApp()
  return (
    <>
      <Header>{head}</Header>
      <main id="main" class={'main' + (wide ? ' wide' : '')} tabIndex={-1}>
        {children}
      </main>
      {/* Countries come from DB-IP's free database by default, whose
          licence (CC BY 4.0) asks for this link on pages that show them. */}
      <footer class="footer">
        <a href="https://db-ip.com" data-geoip-credit>
          {t('footer.geoip')}
        </a>
      </footer>
    </>
  )
}

export function Header({ children }) {
  var { t, lang, setLang, theme, toggleTheme, session } = useApp()
  var other = lang === 'fr' ? 'en' : 'fr'
  return (
    <header class="header">
      <div class="header-in">
        <Link href={session ? '/sites' : '/'} class="brand" aria-label={t('app.home')}>
          <svg viewBox="0 0 32 32" width="24" height="24" aria-hidden="true" class="logo">
            <path d="M3 20c5 0 6-8 13-8s8 8 13 8M3 26c5 0 6-5 13-5s8 5 13 5" />
          </svg>
          <span>Sillage</span>
        </Link>
        <div class="header-mid">{children}</div>
        <div class="header-tools">
          <button type="button" class="btn ghost small" onClick={() => setLang(other)} lang={other} aria-label={t('lang.switch')} data-lang-switch>
            {other.toUpperCase()}
          </button>
          <button
            type="button"
            class="icon-btn"
            onClick={toggleTheme}
            aria-label={theme === 'dark' ? t('theme.light') : t('theme.dark')}
            title={theme === 'dark' ? t('theme.light') : t('theme.dark')}
            data-theme-toggle
          >
            <Icon name={theme === 'dark' ? 'sun' : 'moon'} size={18} />
          </button>
          {session && <AccountMenu />}
        </div>
      </div>
    </header>
  )
}

export function PasswordDialog({ onClose }) {
  var { t, login } = useApp()
  var [current, setCurrent] = useState('')
  var [next, setNext] = useState('')
  var [again, setAgain] = useState('')
  var [error, setError] = useState('')
  var [busy, setBusy] = useState(false)
  var submit = async e => {
    e.preventDefault()
    if (next !== again) return setError(t('password.mismatch'))
    if (next.length < 8) return setError(t('password.short'))
    setBusy(true)
    setError('')
    try {
      var res = await post('/api/auth/password', { current, new: next }, { quiet401: true })
      // The server may start a new session with a new token.
      if (res && res.csrf_token) login(res)
      notify(t('password.changed'))
      onClose()
    } catch (err) {
      setError(err.status === 401 || err.status === 403 ? t('password.wrongCurrent') : err.message)
      setBusy(false)
    }
  }
  return (
    <Modal title={t('password.title')} onClose={onClose}>
      <form onSubmit={submit} class="stack">
        <label class="field">
          <span>{t('password.current')}</span>
          <input type="password" autocomplete="current-password" required value={current} onInput={e => setCurrent(e.target.value)} />
        </label>
        <label class="field">
          <span>{t('password.new')}</span>
          <input type="password" autocomplete="new-password" required minLength={8} value={next} onInput={e => setNext(e.target.value)} />
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
        <div class="actions">
          <button type="button" class="btn" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="btn primary" disabled={busy}>
            {t('password.submit')}
          </button>
        </div>
      </form>
    </Modal>
  )
}

// A menu button: who is logged in, change password, two-factor
// authentication, log out.
export function AccountMenu() {
  var { t, session, logout } = useApp()
  var [open, setOpen] = useState(false)
  var [pw, setPw] = useState(false)
  var [totp, setTotp] = useState(false)
  var ref = useRef()
  useEffect(() => {
    if (!open) return
    var close = e => {
      if (!ref.current.contains(e.target)) setOpen(false)
    }
    var esc = e => e.key === 'Escape' && setOpen(false)
    document.addEventListener('click', close)
    document.addEventListener('keydown', esc)
    return () => {
      document.removeEventListener('click', close)
      document.removeEventListener('keydown', esc)
    }
  }, [open])
  var email = session && session.user ? session.user.email : ''
  return (
    <div class="menu" ref={ref}>
      <button type="button" class="icon-btn" aria-haspopup="true" aria-expanded={open ? 'true' : 'false'} aria-label={t('account.menu')} onClick={() => setOpen(!open)} data-account>
        <Icon name="user" size={18} />
      </button>
      {open && (
        <div class="menu-list">
          <p class="menu-who">{email}</p>
          <button
            type="button"
            onClick={() => {
              setOpen(false)
              setPw(true)
            }}
          >
            {t('password.title')}
          </button>
          <button
            type="button"
            onClick={() => {
              setOpen(false)
              setTotp(true)
            }}
            data-totp-menu
          >
            {t('totp.title')}
          </button>
          <button type="button" onClick={logout} data-logout>
            {t('account.logout')}
          </button>
        </div>
      )}
      {pw && <PasswordDialog onClose={() => setPw(false)} />}
      {totp && <LazyTOTP part="TOTPDialog" onClose={() => setTotp(false)} />}
    </div>
  )
}
