// The segments menu (see segments.jsx), loaded on its first opening: apply
// a segment, save the current filters as one, rename, share or delete the
// ones the reader may change.
import '../i18n/settings.js'
import { useState } from 'preact/hooks'
import { del, patch, post, sitePath } from './api.js'
import { ErrorBox, Icon, Modal, useApp } from './common.jsx'

// Given by segments.jsx, so that this chunk shares no module with the
// first load but those the settings share too.
var SEGMENT = 'segment'

// The filters of the view with applied segments written out, for saving:
// a segment cannot hold another one.
function expanded(filters, segments) {
  var out = []
  for (var f of filters) {
    if (f[1] !== SEGMENT) {
      out.push([f[0], f[1], f[2].slice()])
      continue
    }
    var ids = f[2].map(String)
    var segs = (segments || []).filter(s => ids.includes(String(s.id)))
    if (segs.length === 1) out.push(...segs[0].filters)
    else if (segs.length > 1) out.push(['or', segs.map(s => ['and', s.filters])])
  }
  return out
}

export function SegmentsMenu({ onClose, dash, segments: l, reload }) {
  var { t } = useApp()
  var { domain, state, set, shared, canEdit } = dash
  var [editing, setEditing] = useState(null) // a segment being renamed
  var [deleting, setDeleting] = useState(null)
  var applied = state.filters.filter(f => f[1] === SEGMENT).flatMap(f => f[2].map(String))
  var apply = s => {
    // A segment takes the place of the segments applied before; the
    // other filters stay.
    set({ filters: state.filters.filter(f => f[1] !== SEGMENT).concat([['is', SEGMENT, [String(s.id)]]]) })
    onClose()
  }
  var segs = l.data || []
  var groups = [
    { key: 'segments.shared', items: segs.filter(s => s.shared) },
    { key: 'segments.personal', items: segs.filter(s => !s.shared) },
  ].filter(g => g.items.length)
  return (
    <Modal title={t('segments.title')} onClose={onClose}>
      <div class="stack segments-menu">
        {l.error && <ErrorBox error={l.error} retry={() => reload(domain)} />}
        {!l.error && !l.loading && !segs.length && <p class="muted">{t('segments.none')}</p>}
        {groups.map(g => (
          <section key={g.key}>
            <h3 class="segments-group">{t(g.key)}</h3>
            <ul class="segments-list">
              {g.items.map(s => (
                <li key={s.id} data-segment={s.id}>
                  <button type="button" class={'segment-apply' + (applied.includes(String(s.id)) ? ' active' : '')} onClick={() => apply(s)} data-apply-segment={s.name}>
                    {s.name}
                  </button>
                  {s.can_edit && (
                    <>
                      <button type="button" class="icon-btn" onClick={() => setEditing(s)} aria-label={t('segments.rename', { name: s.name })} title={t('segments.rename', { name: s.name })} data-rename-segment>
                        <Icon name="gear" size={16} />
                      </button>
                      <button type="button" class="icon-btn" onClick={() => setDeleting(s)} aria-label={t('segments.delete', { name: s.name })} title={t('segments.delete', { name: s.name })} data-delete-segment>
                        <Icon name="trash" size={16} />
                      </button>
                    </>
                  )}
                </li>
              ))}
            </ul>
          </section>
        ))}
        {editing && <RenameForm reload={reload} domain={domain} segment={editing} mayShare={canEdit} onDone={() => setEditing(null)} />}
        {deleting && <DeleteForm reload={reload} domain={domain} segment={deleting} onDone={() => setDeleting(null)} afterDelete={() => {
          var id = String(deleting.id)
          var rest = state.filters.filter(f => !(f[1] === SEGMENT && f[2].map(String).includes(id)))
          if (rest.length !== state.filters.length) set({ filters: rest })
        }} />}
        {!shared && !editing && !deleting && (
          <SaveForm reload={reload} domain={domain} filters={expanded(state.filters, segs)} mayShare={canEdit} onSaved={s => {
            // The new segment holds the view's filters: it takes their place.
            set({ filters: [['is', SEGMENT, [String(s.id)]]] })
            onClose()
          }} />
        )}
      </div>
    </Modal>
  )
}

function SaveForm({ reload, domain, filters, mayShare, onSaved }) {
  var { t } = useApp()
  var [name, setName] = useState('')
  var [share, setShare] = useState(false)
  var [busy, setBusy] = useState(false)
  var [error, setError] = useState('')
  if (!filters.length) return <p class="muted">{t('segments.saveHint')}</p>
  var submit = async e => {
    e.preventDefault()
    if (busy) return
    setBusy(true)
    setError('')
    try {
      var s = await post(sitePath(domain, '/segments'), { name, filters, shared: share })
      reload(domain)
      onSaved(s)
    } catch (err) {
      setError(err.message)
      setBusy(false)
    }
  }
  return (
    <form class="stack segment-form" onSubmit={submit} data-save-segment>
      <h3 class="segments-group">{t('segments.save')}</h3>
      <label class="field">
        <span>{t('segments.name')}</span>
        <input value={name} onInput={e => setName(e.target.value)} maxLength={255} required data-segment-name-input />
      </label>
      {mayShare && (
        <label class="check">
          <input type="checkbox" checked={share} onChange={e => setShare(e.target.checked)} data-segment-shared /> {t('segments.shareWithSite')}
        </label>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn primary" disabled={busy || !name.trim()}>
          {t('segments.saveButton')}
        </button>
      </div>
    </form>
  )
}

function RenameForm({ reload, domain, segment, mayShare, onDone }) {
  var { t } = useApp()
  var [name, setName] = useState(segment.name)
  var [share, setShare] = useState(segment.shared)
  var [error, setError] = useState('')
  var submit = async e => {
    e.preventDefault()
    setError('')
    try {
      var body = { name }
      if (share !== segment.shared) body.shared = share
      await patch(sitePath(domain, '/segments/' + segment.id), body)
      reload(domain)
      onDone()
    } catch (err) {
      setError(err.message)
    }
  }
  return (
    <form class="stack segment-form" onSubmit={submit} data-rename-form>
      <h3 class="segments-group">{t('segments.renameTitle', { name: segment.name })}</h3>
      <label class="field">
        <span>{t('segments.name')}</span>
        <input value={name} onInput={e => setName(e.target.value)} maxLength={255} required />
      </label>
      {mayShare && (
        <label class="check">
          <input type="checkbox" checked={share} onChange={e => setShare(e.target.checked)} /> {t('segments.shareWithSite')}
        </label>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" class="btn" onClick={onDone}>
          {t('common.cancel')}
        </button>
        <button type="submit" class="btn primary" disabled={!name.trim()}>
          {t('segments.saveButton')}
        </button>
      </div>
    </form>
  )
}

function DeleteForm({ reload, domain, segment, onDone, afterDelete }) {
  var { t } = useApp()
  var [error, setError] = useState('')
  var submit = async e => {
    e.preventDefault()
    setError('')
    try {
      await del(sitePath(domain, '/segments/' + segment.id))
      reload(domain)
      afterDelete()
      onDone()
    } catch (err) {
      setError(err.message)
    }
  }
  return (
    <form class="stack segment-form" onSubmit={submit} data-delete-form>
      <p>{t('segments.deleteConfirm', { name: segment.name })}</p>
      {error && (
        <p class="error" role="alert" data-delete-error>
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" class="btn" onClick={onDone}>
          {t('common.cancel')}
        </button>
        <button type="submit" class="btn danger">
          {t('segments.deleteButton')}
        </button>
      </div>
    </form>
  )
}
