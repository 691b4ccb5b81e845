// Pieces every page uses: the app context (language, theme, session),
// data loading, dialogs, notices and small controls.
import { createContext } from 'preact'
import { useContext, useEffect, useRef, useState, useCallback } from 'preact/hooks'

export var AppContext = createContext(null)
export var useApp = () => useContext(AppContext)

// Loads fn() whenever deps change. Keeps the last data while reloading, so
// a panel dims instead of jumping back to its skeleton.
export function useLoad(fn, deps) {
  var [s, set] = useState({ loading: true, data: undefined, error: null })
  var [n, setN] = useState(0)
  useEffect(() => {
    var live = true
    set(p => ({ ...p, loading: true }))
    Promise.resolve()
      .then(fn)
      .then(
        data => live && set({ loading: false, data, error: null }),
        error => live && set({ loading: false, data: undefined, error })
      )
    return () => {
      live = false
    }
  }, deps.concat(n))
  s.reload = useCallback(() => setN(x => x + 1), [])
  return s
}

// Calls f every ms milliseconds while the page is visible (never when ms
// is 0); returns a counter that changes at each tick.
export function useTick(ms) {
  var [n, setN] = useState(0)
  useEffect(() => {
    if (!ms) return
    var id = setInterval(() => {
      if (document.visibilityState !== 'hidden') setN(x => x + 1)
    }, ms)
    return () => clearInterval(id)
  }, [ms])
  return n
}

// A modal dialog on the native <dialog>: focus stays inside, Escape closes.
export function Modal({ title, onClose, children, wide, labelledBy }) {
  var ref = useRef()
  var id = useRef('dlg' + Math.random().toString(36).slice(2)).current
  useEffect(() => {
    var d = ref.current
    var opener = document.activeElement
    if (!d.open) d.showModal()
    return () => {
      if (opener && opener.focus) opener.focus()
    }
  }, [])
  var { t } = useApp()
  return (
    <dialog
      ref={ref}
      class={'modal' + (wide ? ' wide' : '')}
      aria-labelledby={labelledBy || id}
      onCancel={e => {
        e.preventDefault()
        onClose()
      }}
      onClick={e => e.target === ref.current && onClose()}
    >
      <div class="modal-head">
        <h2 id={id}>{title}</h2>
        <button type="button" class="icon-btn" onClick={onClose} aria-label={t('common.close')}>
          <Icon name="close" />
        </button>
      </div>
      <div class="modal-body">{children}</div>
    </dialog>
  )
}

// Asks before an action. `typed` makes the reader type a word (the
// domain) before a destructive action.
export function Confirm({ title, message, confirmLabel, danger, typed, onConfirm, onClose }) {
  var { t } = useApp()
  var [text, setText] = useState('')
  var [busy, setBusy] = useState(false)
  var [error, setError] = useState('')
  var ok = !typed || text.trim() === typed
  var submit = async e => {
    e.preventDefault()
    if (!ok || busy) return
    setBusy(true)
    setError('')
    try {
      await onConfirm()
      onClose()
    } catch (err) {
      setError(err.message || String(err))
      setBusy(false)
    }
  }
  return (
    <Modal title={title} onClose={onClose}>
      <form onSubmit={submit} class="stack">
        <p>{message}</p>
        {typed && (
          <label class="field">
            <span>{t('confirm.type', { word: typed })}</span>
            <input value={text} onInput={e => setText(e.target.value)} autocomplete="off" spellcheck={false} />
          </label>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" class="btn" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" class={'btn ' + (danger ? 'danger' : 'primary')} disabled={!ok || busy} data-confirm>
            {confirmLabel || t('common.confirm')}
          </button>
        </div>
      </form>
    </Modal>
  )
}

// useConfirm(): [element, ask]; ask(options) opens the dialog.
export function useConfirm() {
  var [opts, setOpts] = useState(null)
  var el = opts && <Confirm {...opts} onClose={() => setOpts(null)} />
  return [el, setOpts]
}

// Notices read out by screen readers and shown for a few seconds.
var noticeListeners = new Set()
export function notify(text, kind = 'ok') {
  noticeListeners.forEach(f => f({ text, kind, at: Date.now() }))
}

export function Notices() {
  var [n, setN] = useState(null)
  useEffect(() => {
    var f = x => setN(x)
    noticeListeners.add(f)
    return () => noticeListeners.delete(f)
  }, [])
  useEffect(() => {
    if (!n) return
    var id = setTimeout(() => setN(null), 5000)
    return () => clearTimeout(id)
  }, [n])
  return (
    <div class="notices" role="status" aria-live="polite">
      {n && <div class={'notice ' + n.kind}>{n.text}</div>}
    </div>
  )
}

export function ErrorBox({ error, retry }) {
  var { t } = useApp()
  return (
    <div class="error-box" role="alert">
      <p>{t('error.load', { message: error && error.message ? error.message : String(error) })}</p>
      {retry && (
        <button type="button" class="btn small" onClick={retry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  )
}

// Grey bars where rows will be: the panel keeps its size while loading.
export function SkeletonRows({ rows = 9 }) {
  return (
    <div class="skeleton-rows" aria-hidden="true">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} class="skeleton row-skel">
          <span />
        </div>
      ))}
    </div>
  )
}

// The two-factor pages load on demand: most sessions never open them.
var totpModule = null
export function LazyTOTP({ part, ...props }) {
  var [mod, setMod] = useState(totpModule)
  useEffect(() => {
    if (!mod) import('./totp.jsx').then(m => setMod((totpModule = m)))
  }, [])
  var C = mod && mod[part]
  return C ? <C {...props} /> : part === 'ForcedEnrolment' ? <Spinner /> : null
}

var mailModule = null
// The email pages (mail.jsx), loaded when one is shown.
export function LazyMail({ part, ...props }) {
  var [mod, setMod] = useState(mailModule)
  useEffect(() => {
    if (!mod) import('./mail.jsx').then(m => setMod((mailModule = m)))
  }, [])
  var C = mod && mod[part]
  return C ? <C {...props} /> : part === 'Forgot' ? <Spinner /> : null
}

export function Spinner() {
  var { t } = useApp()
  return (
    <div class="page-loading" role="status">
      <span class="spinner" aria-hidden="true" />
      <span class="sr-only">{t('common.loading')}</span>
    </div>
  )
}

// Copies text; falls back to selecting it where the clipboard is refused
// (plain http).
export function CopyButton({ text, label, targetRef }) {
  var { t } = useApp()
  var [done, setDone] = useState(false)
  var copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setDone(true)
      setTimeout(() => setDone(false), 2000)
      notify(t('common.copied'))
    } catch {
      var el = targetRef && targetRef.current
      if (el) {
        var range = document.createRange()
        range.selectNodeContents(el)
        var sel = getSelection()
        sel.removeAllRanges()
        sel.addRange(range)
      }
      notify(t('common.copyManually'), 'warn')
    }
  }
  return (
    <button type="button" class="btn small" onClick={copy}>
      <Icon name={done ? 'check' : 'copy'} /> {label || t('common.copy')}
    </button>
  )
}

// Tabs as a tablist of buttons; arrow keys move between them.
export function Tabs({ tabs, value, onChange, label }) {
  var keydown = e => {
    var i = tabs.findIndex(x => x.id === value)
    var j = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : -2
    if (j === -2) return
    e.preventDefault()
    j = (j + tabs.length) % tabs.length
    onChange(tabs[j].id)
    var btn = e.currentTarget.querySelectorAll('[role=tab]')[j]
    if (btn) btn.focus()
  }
  return (
    <div class="tabs" role="tablist" aria-label={label} onKeyDown={keydown}>
      {tabs.map(x => (
        <button
          key={x.id}
          type="button"
          role="tab"
          aria-selected={x.id === value ? 'true' : 'false'}
          tabIndex={x.id === value ? 0 : -1}
          onClick={() => onChange(x.id)}
          data-tab={x.id}
        >
          {x.label}
        </button>
      ))}
    </div>
  )
}

// A few stroked 24x24 icons, drawn here so nothing is fetched.
var ICONS = {
  close: 'M6 6l12 12M18 6L6 18',
  check: 'M5 12l5 5 9-10',
  copy: 'M9 9h10v10H9zM5 15V5h10',
  sun: 'M12 7a5 5 0 100 10 5 5 0 000-10zM12 1v3M12 20v3M4.2 4.2l2.1 2.1M17.7 17.7l2.1 2.1M1 12h3M20 12h3M4.2 19.8l2.1-2.1M17.7 6.3l2.1-2.1',
  moon: 'M20 14.5A8.5 8.5 0 019.5 4 8.5 8.5 0 1020 14.5z',
  gear: 'M12 9a3 3 0 100 6 3 3 0 000-6zM19.4 15a1.7 1.7 0 00.3 1.8l.1.1a2 2 0 11-2.8 2.8l-.1-.1a1.7 1.7 0 00-1.8-.3 1.7 1.7 0 00-1 1.5V21a2 2 0 11-4 0v-.1a1.7 1.7 0 00-1.1-1.5 1.7 1.7 0 00-1.8.3l-.1.1a2 2 0 11-2.8-2.8l.1-.1a1.7 1.7 0 00.3-1.8 1.7 1.7 0 00-1.5-1H3a2 2 0 110-4h.1a1.7 1.7 0 001.5-1.1 1.7 1.7 0 00-.3-1.8l-.1-.1a2 2 0 112.8-2.8l.1.1a1.7 1.7 0 001.8.3H9a1.7 1.7 0 001-1.5V3a2 2 0 114 0v.1a1.7 1.7 0 001 1.5 1.7 1.7 0 001.8-.3l.1-.1a2 2 0 112.8 2.8l-.1.1a1.7 1.7 0 00-.3 1.8V9a1.7 1.7 0 001.5 1H21a2 2 0 110 4h-.1a1.7 1.7 0 00-1.5 1z',
  plus: 'M12 5v14M5 12h14',
  filter: 'M3 5h18l-7 8v6l-4 2v-8z',
  download: 'M12 3v12M7 10l5 5 5-5M5 21h14',
  expand: 'M4 14v6h6M20 10V4h-6M14 10l6-6M10 14l-6 6',
  user: 'M12 12a4 4 0 100-8 4 4 0 000 8zM4 21a8 8 0 0116 0',
  up: 'M12 19V5M6 11l6-6 6 6',
  down: 'M12 5v14M6 13l6 6 6-6',
  back: 'M15 18l-6-6 6-6',
  help: 'M9.1 9a3 3 0 015.8 1c0 2-3 3-3 3M12 17h.01M12 2a10 10 0 100 20 10 10 0 000-20z',
  trash: 'M3 6h18M8 6V4h8v2M6 6l1 14h10l1-14',
  lock: 'M6 11h12v10H6zM8 11V7a4 4 0 018 0v4',
}

export function Icon({ name, size = 16 }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={ICONS[name]} />
    </svg>
  )
}

// The browser's time zones, for the site's time zone select.
export function timeZones() {
  try {
    var zones = Intl.supportedValuesOf('timeZone')
    if (!zones.includes('UTC')) zones = ['UTC'].concat(zones)
    return zones
  } catch {
    return ['UTC', 'Europe/Paris', 'Europe/London', 'Europe/Berlin', 'America/New_York']
  }
}

export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

// The reader's own preferences stay in this browser.
export var store = {
  get: k => {
    try {
      return localStorage.getItem('sillage.' + k)
    } catch {
      return null
    }
  },
  set: (k, v) => {
    try {
      localStorage.setItem('sillage.' + k, v)
    } catch {
      /* private mode: the choice lasts for this page */
    }
  },
}

// ImportsSkipped says, in the reader's words, that the numbers above it
// leave out the site's imported history (the Stats API could not add it
// to what they ask for); nothing when there is none or it was added.
export function ImportsSkipped({ meta }) {
  var { t } = useApp()
  var text = importsSkipped(meta, t)
  if (!text) return null
  return (
    <p class="muted small imports-skipped" data-imports-skipped={meta.imports_skip_reason}>
      {text}
    </p>
  )
}

export function importsSkipped(meta, t) {
  switch (meta && meta.imports_skip_reason) {
    case 'unsupported_query':
      return t('imports.notIncluded')
    case 'unsupported_interval':
      return t('imports.byHour')
  }
  return ''
}
