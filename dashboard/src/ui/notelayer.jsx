// Annotations, loaded on demand: the form that adds or edits one (from
// the graph or the settings), and the notes over the graph: a band over the buckets a note covers,
// a button at its first bucket (several notes starting there share one),
// and the notes of the button pointed at or focused, in words, below the
// graph. Buttons come in time order, so Tab walks them left to right.
import '../i18n/settings.js'
import { useMemo, useState } from 'preact/hooks'
import { api, sitePath } from './api.js'
import { noteMarks } from '../lib/notes.js'
import { notify, useApp } from './common.jsx'
import { noteLabel } from './notes.jsx'

export function NoteLayer({ notes, labels, interval, lang, geom }) {
  var { t } = useApp()
  var marks = useMemo(() => noteMarks(notes, labels, interval), [notes, labels, interval])
  var [open, setOpen] = useState(null)
  var span = geom.max - geom.min || 1
  var x = i => geom.left + ((i - geom.min) / span) * geom.width
  if (!marks.length) return null
  return (
    <>
      {marks.map(m => (
        <div
          key={'b' + m.first}
          class="note-band"
          aria-hidden="true"
          style={{ left: x(m.first) + 'px', top: geom.top + 'px', height: geom.height + 'px', width: Math.max(2, x(m.last) - x(m.first)) + 'px' }}
        />
      ))}
      <ul class="note-marks" aria-label={t('notes.onGraph')}>
        {marks.map((m, i) => (
          <li key={m.first} style={{ left: x(m.first) + 'px' }}>
            <button
              type="button"
              class={'note-mark' + (open === i ? ' on' : '')}
              aria-describedby={open === i ? 'note-tip' : undefined}
              aria-label={m.notes.map(n => noteLabel(n, lang) + ' : ' + n.text).join(' · ')}
              onMouseEnter={() => setOpen(i)}
              onMouseLeave={() => setOpen(null)}
              onFocus={() => setOpen(i)}
              onBlur={() => setOpen(null)}
              onKeyDown={e => e.key === 'Escape' && setOpen(null)}
              data-note-mark={m.notes.map(n => n.id).join(' ')}
            >
              {m.notes.length > 1 ? m.notes.length : ''}
            </button>
          </li>
        ))}
      </ul>
      {open !== null && marks[open] && (
        <div id="note-tip" class="note-tip" role="tooltip" data-note-tip>
          {marks[open].notes.map(n => (
            <p key={n.id}>
              <strong>{noteLabel(n, lang)}</strong>
              {n.category && <span class="note-cat">{t('notes.cat.' + n.category)}</span>} <span class="note-text">{n.text}</span>
            </p>
          ))}
        </div>
      )}
    </>
  )
}

export var CATEGORIES = ['campaign', 'release', 'outage', 'other']

// NoteForm adds a note, or edits one (note given); onDone follows a save.
export function NoteForm({ domain, note, today, onDone, onCancel }) {
  var { t } = useApp()
  var [from, setFrom] = useState(note ? note.from : today)
  var [to, setTo] = useState(note ? note.to : today)
  var [category, setCategory] = useState(note ? note.category || '' : '')
  var [text, setText] = useState(note ? note.text : '')
  var [busy, setBusy] = useState(false)
  var [error, setError] = useState('')
  var submit = async e => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      var body = { from, to: to || from, category, text }
      if (note) await api('PATCH', sitePath(domain, '/annotations/' + encodeURIComponent(note.id)), body)
      else await api('POST', sitePath(domain, '/annotations'), body)
      notify(t(note ? 'notes.saved' : 'notes.added'))
      onDone()
    } catch (err) {
      setError(err.message || String(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="stack" onSubmit={submit} data-note-form>
      <div class="custom-range">
        <label>
          <span>{t('period.from')}</span>
          <input type="date" required value={from} onInput={e => setFrom(e.target.value)} data-note-from />
        </label>
        <label>
          <span>{t('period.to')}</span>
          <input type="date" value={to} min={from} onInput={e => setTo(e.target.value)} data-note-to />
        </label>
      </div>
      <label class="field">
        <span>{t('notes.category')}</span>
        <select value={category} onChange={e => setCategory(e.target.value)} data-note-category>
          <option value="">{t('notes.cat.none')}</option>
          {CATEGORIES.map(c => (
            <option key={c} value={c}>
              {t('notes.cat.' + c)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t('notes.text')}</span>
        <textarea required maxLength={500} rows={3} value={text} onInput={e => setText(e.target.value)} data-note-text />
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
        <button type="submit" class="btn primary" disabled={busy} data-note-save>
          {note ? t('common.save') : t('notes.add')}
        </button>
      </div>
    </form>
  )
}
