// A site's settings, one tab per concern. Every change is confirmed
// before it is sent, and told when done.
import '../i18n/settings.js'
import { useEffect, useRef, useState } from 'preact/hooks'
import { dashboardPath, settingsPath } from '../lib/routes.js'
import { formatDateTime, formatNumber } from '../lib/format.js'
import { api, del, get, headers, list, patch, post, sitePath } from './api.js'
import { CopyButton, ErrorBox, Icon, notify, SkeletonRows, useApp, useConfirm, useLoad } from './common.jsx'
import { Page } from './frame.jsx'
import { Link, navigate } from './router.jsx'
import { Snippet, TimeZoneSelect } from './sites.jsx'
import { Reports } from './reports.jsx'
import { noteLabel, useNotes } from './notes.jsx'
import { NoteForm } from './notelayer.jsx'
export { NoteForm, NoteLayer } from './notelayer.jsx'
import { todayIn } from '../lib/dates.js'
// The page of a report's unsubscribe link (logged in or not) loads with
// the settings.
export { Unsubscribe } from './unsubscribe.jsx'

var TABS = ['general', 'goals', 'funnels', 'annotations', 'shared-links', 'members', 'reports', 'api-keys', 'imports', 'retention', 'danger']

export function Settings({ domain, tab }) {
  var { t } = useApp()
  var site = useLoad(() => get(sitePath(domain)), [domain])
  if (!TABS.includes(tab)) tab = 'general'
  var Body = { general: General, goals: Goals, funnels: Funnels, annotations: Annotations, 'shared-links': SharedLinks, members: Members, reports: Reports, 'api-keys': ApiKeys, imports: Imports, retention: Retention, danger: Danger }[tab]
  var head = (
    <div class="site-head">
      <Link href={dashboardPath(domain)} class="btn ghost small">
        <Icon name="back" /> {domain}
      </Link>
    </div>
  )
  return (
    <Page head={head}>
      <h1>{t('settings.title', { domain })}</h1>
      <div class="settings">
        <nav class="settings-nav" aria-label={t('settings.nav')}>
          <ul>
            {TABS.map(x => (
              <li key={x}>
                <Link href={settingsPath(domain, x)} aria-current={x === tab ? 'page' : undefined}>
                  {t('settings.' + x)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="settings-body">
          {site.error ? (
            <ErrorBox error={site.error} retry={site.reload} />
          ) : !site.data ? (
            <SkeletonRows rows={4} />
          ) : site.data.role === 'viewer' && tab !== 'reports' ? (
            // A viewer may change nothing here but their own reports: no
            // control to be refused.
            <p class="card section" data-viewer-note>
              {t('settings.viewerOnly')}
            </p>
          ) : (
            <Body domain={domain} site={site.data} reload={site.reload} />
          )}
        </div>
      </div>
    </Page>
  )
}

function Section({ title, intro, children }) {
  return (
    <section class="card section">
      <h2>{title}</h2>
      {intro && <p class="muted">{intro}</p>}
      {children}
    </section>
  )
}

function useAction() {
  var [busy, setBusy] = useState(false)
  var [error, setError] = useState('')
  var run = async f => {
    setBusy(true)
    setError('')
    try {
      await f()
    } catch (e) {
      setError(e.message || String(e))
    } finally {
      setBusy(false)
    }
  }
  var el = error && (
    <p class="error" role="alert">
      {error}
    </p>
  )
  return [run, busy, el]
}

function General({ domain, site, reload }) {
  var { t } = useApp()
  var [tz, setTz] = useState(site.timezone || 'UTC')
  var [confirmEl, ask] = useConfirm()
  var save = e => {
    e.preventDefault()
    ask({
      title: t('general.timezone'),
      message: t('general.confirmTz', { tz }),
      onConfirm: async () => {
        await patch(sitePath(domain), { timezone: tz })
        notify(t('common.saved'))
        reload()
      },
    })
  }
  return (
    <>
      <Section title={t('settings.general')}>
        <form class="stack" onSubmit={save}>
          <label class="field">
            <span>{t('newsite.domain')}</span>
            <input value={domain} readOnly aria-readonly="true" />
          </label>
          <div class="field">
            <label for="tz">{t('general.timezone')}</label>
            <TimeZoneSelect id="tz" value={tz} onChange={setTz} />
            <small class="hint">{t('general.tzHint')}</small>
          </div>
          <div class="actions">
            <button type="submit" class="btn primary" disabled={tz === site.timezone}>
              {t('common.save')}
            </button>
          </div>
        </form>
      </Section>
      <Section title={t('general.snippet')} intro={t('newsite.snippetIntro')}>
        <Snippet domain={domain} />
      </Section>
      <TrackerFeatures domain={domain} canEdit={site.role === 'owner' || site.role === 'admin'} />
      {confirmEl}
    </>
  )
}

// The features of the site's own script (/js/s/<token>.js): a tick changes
// the file that snippet loads, never the snippet.
function TrackerFeatures({ domain, canEdit }) {
  var { t } = useApp()
  var script = useLoad(() => get(sitePath(domain, '/script')), [domain])
  var [ticked, setTicked] = useState(null)
  var [run, busy, errorEl] = useAction()
  if (script.error) return <ErrorBox error={script.error} retry={script.reload} />
  if (!script.data) return <SkeletonRows rows={3} />
  var have = ticked || script.data.features
  var changed = ticked && ticked.slice().sort().join() !== script.data.features.slice().sort().join()
  var toggle = f => setTicked(have.includes(f) ? have.filter(x => x !== f) : [...have, f])
  var save = e => {
    e.preventDefault()
    run(async () => {
      await api('PUT', sitePath(domain, '/script'), { features: have })
      notify(t('tracker.saved'))
      // The ticks stay as they are until the reload has the same.
      script.reload()
    })
  }
  return (
    <Section title={t('tracker.title')} intro={t('tracker.intro')}>
      <form class="stack" onSubmit={save} data-tracker-features>
        <fieldset class="checks stack">
          <legend class="sr-only">{t('tracker.title')}</legend>
          {script.data.available.map(f => (
            <label key={f}>
              <input type="checkbox" name={f} checked={have.includes(f)} disabled={busy || !canEdit} onChange={() => toggle(f)} /> {t('tracker.f.' + f)}
            </label>
          ))}
        </fieldset>
        {errorEl}
        {canEdit && (
          <div class="actions">
            <button type="submit" class="btn primary" disabled={!changed || busy}>
              {t('common.save')}
            </button>
          </div>
        )}
      </form>
    </Section>
  )
}

// A list from the API with a delete button per row.
function ItemList({ items, render, onDelete, deleteLabel, empty, canDelete = () => true }) {
  var { t } = useApp()
  if (!items.length) return <p class="muted">{empty}</p>
  return (
    <ul class="items">
      {items.map((x, i) => (
        <li key={x.id || x.email || i} class="item">
          <div class="item-main">{render(x)}</div>
          {onDelete && canDelete(x) && (
            <button type="button" class="btn small danger-ghost" onClick={() => onDelete(x)} aria-label={deleteLabel(x)}>
              <Icon name="trash" /> <span class="hide-sm">{t('common.delete')}</span>
            </button>
          )}
        </li>
      ))}
    </ul>
  )
}

function goalName(g, t) {
  if (g.scroll_threshold && (!g.display_name || g.display_name === 'Scroll ' + g.scroll_threshold + '% on ' + g.page_path))
    return t('goals.scrollOn', { n: g.scroll_threshold, path: g.page_path })
  if (g.page_path && (!g.display_name || g.display_name === 'Visit ' + g.page_path)) return t('goals.visit', { path: g.page_path })
  return g.display_name || g.event_name || String(g.id)
}

// Confirms, then deletes one item of a settings list; prefix names its
// texts (prefix.delete, prefix.confirmDelete with vars, prefix.deleted).
function confirmDelete(ask, t, { prefix, vars, path, reload, confirmLabel = t('common.delete') }) {
  ask({
    title: t(prefix + '.delete'),
    message: t(prefix + '.confirmDelete', vars),
    danger: true,
    confirmLabel,
    onConfirm: async () => {
      await del(path)
      notify(t(prefix + '.deleted'))
      reload()
    },
  })
}

function Goals({ domain }) {
  var { t } = useApp()
  var goals = useLoad(() => get(sitePath(domain, '/goals')).then(d => list(d, 'goals')), [domain])
  var [kind, setKind] = useState('event')
  var [name, setName] = useState('')
  var [display, setDisplay] = useState('')
  var [currency, setCurrency] = useState('')
  var [threshold, setThreshold] = useState('50')
  var [confirmEl, ask] = useConfirm()
  var [run, busy, errorEl] = useAction()
  var add = e => {
    e.preventDefault()
    var body = kind === 'event' ? { event_name: name.trim() } : { page_path: name.trim() }
    if (kind === 'scroll') body.scroll_threshold = Number(threshold)
    if (display.trim()) body.display_name = display.trim()
    if (kind === 'event' && currency) body.currency = currency
    ask({
      title: t('goals.add'),
      message: t('goals.confirmAdd', {
        name: display.trim() || (kind === 'scroll' ? t('goals.scrollOn', { n: threshold, path: name.trim() }) : name.trim()),
      }),
      onConfirm: async () => {
        await post(sitePath(domain, '/goals'), body)
        setName('')
        setDisplay('')
        setCurrency('')
        notify(t('goals.added'))
        goals.reload()
      },
    })
  }
  var remove = g =>
    confirmDelete(ask, t, {
      prefix: 'goals',
      vars: { name: goalName(g, t) },
      path: sitePath(domain, '/goals/' + encodeURIComponent(g.id)),
      reload: goals.reload,
    })
  return (
    <>
      <Section title={t('settings.goals')} intro={t('goals.intro')}>
        {goals.error ? (
          <ErrorBox error={goals.error} retry={goals.reload} />
        ) : !goals.data ? (
          <SkeletonRows rows={3} />
        ) : (
          <ItemList
            items={goals.data}
            empty={t('goals.none')}
            render={g => (
              <>
                <strong>{goalName(g, t)}</strong>
                <span class="muted">
                  {g.scroll_threshold
                    ? t('goals.scroll') + ' ' + g.scroll_threshold + ' % · ' + g.page_path
                    : g.page_path
                      ? t('goals.page') + ' ' + g.page_path
                      : t('goals.event') + ' ' + g.event_name}
                  {g.currency ? ' · ' + g.currency : ''}
                </span>
              </>
            )}
            onDelete={remove}
            deleteLabel={g => t('goals.deleteNamed', { name: goalName(g, t) })}
          />
        )}
      </Section>
      <Section title={t('goals.add')}>
        <form class="stack" onSubmit={add}>
          <fieldset class="radios">
            <legend>{t('goals.kind')}</legend>
            <label>
              <input type="radio" name="kind" checked={kind === 'event'} onChange={() => setKind('event')} /> {t('goals.event')}
            </label>
            <label>
              <input type="radio" name="kind" checked={kind === 'page'} onChange={() => setKind('page')} /> {t('goals.page')}
            </label>
            <label>
              <input type="radio" name="kind" checked={kind === 'scroll'} onChange={() => setKind('scroll')} /> {t('goals.scroll')}
            </label>
          </fieldset>
          <label class="field">
            <span>{kind === 'event' ? t('goals.eventName') : t('goals.pagePath')}</span>
            <input required value={name} onInput={e => setName(e.target.value)} placeholder={kind === 'event' ? 'Signup' : '/thank-you'} autocomplete="off" />
          </label>
          <label class="field">
            <span>{t('goals.displayName')}</span>
            <input value={display} onInput={e => setDisplay(e.target.value)} autocomplete="off" />
          </label>
          {kind === 'scroll' && (
            <label class="field">
              <span>{t('goals.scrollThreshold')}</span>
              <input type="number" required min="1" max="100" step="1" value={threshold} onInput={e => setThreshold(e.target.value)} />
            </label>
          )}
          {kind === 'event' && (
            <label class="field">
              <span>{t('goals.currency')}</span>
              <select value={currency} onChange={e => setCurrency(e.target.value)}>
                <option value="">{t('goals.noRevenue')}</option>
                {['EUR', 'USD', 'GBP', 'CHF', 'SEK', 'DKK', 'NOK', 'PLN', 'CZK', 'HUF', 'RON', 'CAD', 'JPY', 'AUD'].map(c => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
          )}
          {errorEl}
          <div class="actions">
            <button type="submit" class="btn primary" disabled={busy}>
              {t('goals.add')}
            </button>
          </div>
        </form>
      </Section>
      {confirmEl}
    </>
  )
}

// Annotations: the list with edit and delete, a form to add one, and the
// owner's choice of showing them through shared links.
function Annotations({ domain, site }) {
  var { t, lang } = useApp()
  var notes = useNotes(domain)
  var sharing = useLoad(() => get(sitePath(domain, '/annotations')).then(d => !!d.shared_with_links), [domain])
  var [editing, setEditing] = useState(null)
  var [confirmEl, ask] = useConfirm()
  var [run, busy, errorEl] = useAction()
  var today = todayIn(site.timezone || 'UTC')
  var remove = n =>
    confirmDelete(ask, t, {
      prefix: 'notes',
      vars: { days: noteLabel(n, lang) },
      path: sitePath(domain, '/annotations/' + encodeURIComponent(n.id)),
      reload: notes.reload,
    })
  var share = on =>
    run(async () => {
      await api('PUT', sitePath(domain, '/annotations/sharing'), { shared: on })
      notify(t(on ? 'notes.shareOn' : 'notes.shareOff'))
      sharing.reload()
    })
  return (
    <>
      <Section title={t('settings.annotations')} intro={t('notes.intro')}>
        {notes.error ? (
          <ErrorBox error={notes.error} retry={notes.reload} />
        ) : !notes.data ? (
          <SkeletonRows rows={3} />
        ) : (
          <ItemList
            items={notes.data}
            empty={t('notes.none')}
            render={n =>
              editing === n.id ? (
                <NoteForm
                  domain={domain}
                  note={n}
                  today={today}
                  onCancel={() => setEditing(null)}
                  onDone={() => {
                    setEditing(null)
                    notes.reload()
                  }}
                />
              ) : (
                <div data-note={n.id}>
                  <strong>{noteLabel(n, lang)}</strong>
                  {n.category && <span class="muted"> · {t('notes.cat.' + n.category)}</span>}
                  <p class="note-text">{n.text}</p>
                  <button type="button" class="btn small ghost" onClick={() => setEditing(n.id)} aria-label={t('notes.editNamed', { days: noteLabel(n, lang) })}>
                    {t('notes.edit')}
                  </button>
                </div>
              )
            }
            onDelete={remove}
            deleteLabel={n => t('notes.deleteNamed', { days: noteLabel(n, lang) })}
          />
        )}
      </Section>
      <Section title={t('notes.add')}>
        <NoteForm domain={domain} today={today} onDone={notes.reload} />
      </Section>
      <Section title={t('notes.sharing')}>
        {site.role === 'owner' ? (
          <label class="check">
            <input type="checkbox" checked={!!sharing.data} disabled={busy || sharing.data === undefined} onChange={e => share(e.target.checked)} data-note-share />{' '}
            {t('notes.shareLabel')}
          </label>
        ) : (
          <p class="muted">
            {t('notes.shareOwnerOnly')} {t(sharing.data ? 'notes.shareOn' : 'notes.shareOff')}
          </p>
        )}
        {errorEl}
      </Section>
      {confirmEl}
    </>
  )
}

var WINDOWS = [1800, 3600, 86400, 604800, 2592000]

function Funnels({ domain }) {
  var { t, lang } = useApp()
  var funnels = useLoad(() => get(sitePath(domain, '/funnels')).then(d => list(d, 'funnels')), [domain])
  var goals = useLoad(() => get(sitePath(domain, '/goals')).then(d => list(d, 'goals')), [domain])
  var [name, setName] = useState('')
  var [steps, setSteps] = useState(['', ''])
  var [win, setWin] = useState(86400)
  var [confirmEl, ask] = useConfirm()
  var goalList = goals.data || []
  var nameOf = id => {
    var g = goalList.find(g => String(g.id) === String(id))
    return g ? goalName(g, t) : String(id)
  }
  var add = e => {
    e.preventDefault()
    if (steps.some(s => !s)) return
    ask({
      title: t('funnels.add'),
      message: t('funnels.confirmAdd', { name: name.trim(), steps: steps.map(nameOf).join(' → ') }),
      onConfirm: async () => {
        var ids = steps.map(s => (/^\d+$/.test(s) ? Number(s) : s))
        await post(sitePath(domain, '/funnels'), { name: name.trim(), steps: ids, window_seconds: Number(win) })
        setName('')
        setSteps(['', ''])
        notify(t('funnels.added'))
        funnels.reload()
      },
    })
  }
  var remove = f =>
    confirmDelete(ask, t, {
      prefix: 'funnels',
      vars: { name: f.name },
      path: sitePath(domain, '/funnels/' + encodeURIComponent(f.id)),
      reload: funnels.reload,
    })
  var windowLabel = s =>
    new Intl.NumberFormat(lang, { style: 'unit', unit: s >= 86400 ? 'day' : s >= 3600 ? 'hour' : 'minute', unitDisplay: 'long' }).format(s >= 86400 ? s / 86400 : s >= 3600 ? s / 3600 : s / 60)
  return (
    <>
      <Section title={t('settings.funnels')} intro={t('funnels.intro')}>
        {funnels.error ? (
          <ErrorBox error={funnels.error} retry={funnels.reload} />
        ) : !funnels.data ? (
          <SkeletonRows rows={3} />
        ) : (
          <ItemList
            items={funnels.data}
            empty={t('funnels.none')}
            render={f => (
              <>
                <strong>{f.name}</strong>
                <span class="muted">{(f.steps || []).map(s => (typeof s === 'object' ? s.name || goalName(s, t) : nameOf(s))).join(' → ')}</span>
              </>
            )}
            onDelete={remove}
            deleteLabel={f => t('funnels.deleteNamed', { name: f.name })}
          />
        )}
      </Section>
      <Section title={t('funnels.add')}>
        {goals.data && goalList.length < 2 ? (
          <p class="muted">
            {t('funnels.needGoals')} <Link href={settingsPath(domain, 'goals')}>{t('goals.add')}</Link>
          </p>
        ) : (
          <form class="stack" onSubmit={add}>
            <label class="field">
              <span>{t('funnels.name')}</span>
              <input required value={name} onInput={e => setName(e.target.value)} autocomplete="off" />
            </label>
            <fieldset class="steps">
              <legend>{t('funnels.steps')}</legend>
              {steps.map((s, i) => (
                <div class="step" key={i}>
                  <label>
                    <span class="sr-only">{t('funnels.step', { n: i + 1 })}</span>
                    <span aria-hidden="true">{i + 1}.</span>
                    <select
                      required
                      value={s}
                      onChange={e => setSteps(steps.map((x, j) => (j === i ? e.target.value : x)))}
                      aria-label={t('funnels.step', { n: i + 1 })}
                    >
                      <option value="">{t('funnels.pickGoal')}</option>
                      {goalList.map(g => (
                        <option key={g.id} value={String(g.id)}>
                          {goalName(g, t)}
                        </option>
                      ))}
                    </select>
                  </label>
                  {steps.length > 2 && (
                    <button type="button" class="icon-btn" onClick={() => setSteps(steps.filter((_, j) => j !== i))} aria-label={t('funnels.removeStep', { n: i + 1 })}>
                      <Icon name="close" />
                    </button>
                  )}
                </div>
              ))}
              {steps.length < 8 && (
                <button type="button" class="btn small" onClick={() => setSteps(steps.concat(''))}>
                  <Icon name="plus" /> {t('funnels.addStep')}
                </button>
              )}
            </fieldset>
            <label class="field">
              <span>{t('funnels.window')}</span>
              <select value={win} onChange={e => setWin(Number(e.target.value))}>
                {WINDOWS.map(s => (
                  <option key={s} value={s}>
                    {windowLabel(s)}
                  </option>
                ))}
              </select>
            </label>
            <div class="actions">
              <button type="submit" class="btn primary">
                {t('funnels.add')}
              </button>
            </div>
          </form>
        )}
      </Section>
      {confirmEl}
    </>
  )
}

// A link's full address: the server may give a path.
function absolute(url) {
  try {
    return new URL(url, location.origin).href
  } catch {
    return url
  }
}

function SharedLinks({ domain }) {
  var { t } = useApp()
  var links = useLoad(() => get(sitePath(domain, '/shared-links')).then(d => list(d, 'shared_links')), [domain])
  var [name, setName] = useState('')
  var [password, setPassword] = useState('')
  var [created, setCreated] = useState(null)
  var [confirmEl, ask] = useConfirm()
  var add = e => {
    e.preventDefault()
    ask({
      title: t('links.add'),
      message: password ? t('links.confirmAddPw', { name: name.trim() }) : t('links.confirmAdd', { name: name.trim() }),
      onConfirm: async () => {
        var body = { name: name.trim() }
        if (password) body.password = password
        setCreated(await post(sitePath(domain, '/shared-links'), body))
        setName('')
        setPassword('')
        notify(t('links.added'))
        links.reload()
      },
    })
  }
  var remove = l =>
    confirmDelete(ask, t, {
      prefix: 'links',
      vars: { name: l.name },
      path: sitePath(domain, '/shared-links/' + encodeURIComponent(l.id)),
      reload: links.reload,
    })
  var linkUrl = l => absolute(l.url || '/share/' + l.slug)
  return (
    <>
      <Section title={t('settings.shared-links')} intro={t('links.intro')}>
        {created && (
          <div class="callout ok" role="status">
            <p>{t('links.created')}</p>
            <p>
              <a href={linkUrl(created)} data-new-link>
                {linkUrl(created)}
              </a>
            </p>
          </div>
        )}
        {links.error ? (
          <ErrorBox error={links.error} retry={links.reload} />
        ) : !links.data ? (
          <SkeletonRows rows={2} />
        ) : (
          <ItemList
            items={links.data}
            empty={t('links.none')}
            render={l => (
              <>
                <strong>
                  {l.name} {l.has_password || l.protected ? <Icon name="lock" size={12} /> : null}
                </strong>
                <span class="muted break">
                  <a href={linkUrl(l)}>{linkUrl(l)}</a>
                </span>
                <CopyButton text={linkUrl(l)} />
              </>
            )}
            onDelete={remove}
            deleteLabel={l => t('links.deleteNamed', { name: l.name })}
          />
        )}
      </Section>
      <Section title={t('links.add')}>
        <form class="stack" onSubmit={add}>
          <label class="field">
            <span>{t('links.name')}</span>
            <input required value={name} onInput={e => setName(e.target.value)} autocomplete="off" />
          </label>
          <label class="field">
            <span>{t('links.password')}</span>
            <input type="password" value={password} onInput={e => setPassword(e.target.value)} autocomplete="new-password" />
            <small class="hint">{t('links.passwordHint')}</small>
          </label>
          <div class="actions">
            <button type="submit" class="btn primary">
              {t('links.add')}
            </button>
          </div>
        </form>
      </Section>
      {confirmEl}
    </>
  )
}

var ROLES = ['viewer', 'admin', 'owner']

function Members({ domain }) {
  var { t, lang } = useApp()
  var members = useLoad(() => get(sitePath(domain, '/members')).then(d => list(d, 'members')), [domain])
  var invitations = useLoad(() => get(sitePath(domain, '/invitations')).then(d => list(d, 'invitations')), [domain])
  var [email, setEmail] = useState('')
  var [role, setRole] = useState('viewer')
  var [confirmEl, ask] = useConfirm()
  var roleName = r => (ROLES.includes(r) || r === 'editor' ? t('role.' + r) : r)
  // The invitation's link, shown once to pass on: never a password.
  var [invited, setInvited] = useState(null)
  var add = e => {
    e.preventDefault()
    ask({
      title: t('members.add'),
      message: t('members.confirmAdd', { email: email.trim(), role: roleName(role) }),
      onConfirm: async () => {
        var res = await post(sitePath(domain, '/members'), { email: email.trim(), role })
        setInvited(res && res.link ? { email: res.invitation ? res.invitation.email : email.trim(), link: res.link, mailed: res.email_status } : null)
        setEmail('')
        notify(res && res.link ? (res.email_status === 'sent' ? t('members.invitedMailed') : t('members.invited')) : t('members.roleChanged'))
        members.reload()
        invitations.reload()
      },
    })
  }
  var remove = m =>
    confirmDelete(ask, t, {
      prefix: 'members',
      vars: { email: m.email },
      path: sitePath(domain, '/members/' + encodeURIComponent(m.email)),
      reload: members.reload,
      confirmLabel: t('members.remove'),
    })
  var revoke = i =>
    confirmDelete(ask, t, {
      prefix: 'invitations',
      vars: { email: i.email },
      path: sitePath(domain, '/invitations/' + encodeURIComponent(i.id)),
      reload: invitations.reload,
      confirmLabel: t('invitations.revoke'),
    })
  return (
    <>
      <Section title={t('settings.members')} intro={t('members.intro')}>
        {invited && (
          <div class="callout ok" role="status">
            {/* Mailed or not, the link is shown: without SMTP it is passed on by hand. */}
            <p data-invite-mail={invited.mailed || 'none'}>
              {invited.mailed === 'sent'
                ? t('members.inviteMailed', { email: invited.email })
                : invited.mailed === 'queued' || invited.mailed === 'failed'
                  ? t('members.inviteMailLater', { email: invited.email })
                  : t('members.inviteLink', { email: invited.email })}
            </p>
            <p class="break">
              <code data-invite-link>{invited.link}</code>
            </p>
            <CopyButton text={invited.link} />
          </div>
        )}
        {members.error ? (
          <ErrorBox error={members.error} retry={members.reload} />
        ) : !members.data ? (
          <SkeletonRows rows={2} />
        ) : (
          <ItemList
            items={members.data}
            empty={t('members.none')}
            render={m => (
              <>
                <strong>{m.email}</strong>
                <span class="badge">{roleName(m.role)}</span>
              </>
            )}
            onDelete={remove}
            canDelete={m => m.role !== 'owner'}
            deleteLabel={m => t('members.deleteNamed', { email: m.email })}
          />
        )}
      </Section>
      <Section title={t('invitations.title')} intro={t('invitations.intro')}>
        {invitations.error ? (
          <ErrorBox error={invitations.error} retry={invitations.reload} />
        ) : !invitations.data ? (
          <SkeletonRows rows={1} />
        ) : (
          <ItemList
            items={invitations.data}
            empty={t('invitations.none')}
            render={i => (
              <>
                <strong>{i.email}</strong>
                <span class="badge">{roleName(i.role)}</span>
                <span class="muted">{t('invitations.expires', { date: formatDateTime(i.expires_at, lang) })}</span>
              </>
            )}
            onDelete={revoke}
            deleteLabel={i => t('invitations.revokeNamed', { email: i.email })}
          />
        )}
      </Section>
      <Section title={t('members.add')}>
        <form class="stack" onSubmit={add}>
          <label class="field">
            <span>{t('login.email')}</span>
            <input type="email" required value={email} onInput={e => setEmail(e.target.value)} autocomplete="off" />
          </label>
          <label class="field">
            <span>{t('members.role')}</span>
            <select value={role} onChange={e => setRole(e.target.value)}>
              {ROLES.map(r => (
                <option key={r} value={r}>
                  {t('role.' + r)}
                </option>
              ))}
            </select>
            <small class="hint">{t('members.roleHint')}</small>
          </label>
          <div class="actions">
            <button type="submit" class="btn primary">
              {t('members.add')}
            </button>
          </div>
        </form>
      </Section>
      {confirmEl}
    </>
  )
}

function ApiKeys({ domain }) {
  var { t, lang } = useApp()
  var keys = useLoad(() => get('/api/keys').then(d => list(d, 'keys')), [])
  var sites = useLoad(() => get('/api/sites').then(d => list(d, 'sites')), [])
  var [name, setName] = useState('')
  var [chosen, setChosen] = useState([domain])
  var [created, setCreated] = useState(null)
  var [confirmEl, ask] = useConfirm()
  var keyRef = useRef()
  var add = e => {
    e.preventDefault()
    if (!chosen.length) return
    ask({
      title: t('keys.add'),
      message: t('keys.confirmAdd', { name: name.trim(), sites: chosen.join(', ') }),
      onConfirm: async () => {
        setCreated(await post('/api/keys', { name: name.trim(), sites: chosen }))
        setName('')
        notify(t('keys.added'))
        keys.reload()
      },
    })
  }
  var remove = k =>
    confirmDelete(ask, t, {
      prefix: 'keys',
      vars: { name: k.name },
      path: '/api/keys/' + encodeURIComponent(k.id),
      reload: keys.reload,
      confirmLabel: t('keys.revoke'),
    })
  var toggle = d => setChosen(chosen.includes(d) ? chosen.filter(x => x !== d) : chosen.concat(d))
  return (
    <>
      <Section title={t('settings.api-keys')} intro={t('keys.intro')}>
        {created && created.key && (
          <div class="callout ok" role="status">
            <p>{t('keys.once')}</p>
            <pre class="code" ref={keyRef} tabIndex={0}>
              <code data-new-key>{created.key}</code>
            </pre>
            <CopyButton text={created.key} targetRef={keyRef} />
          </div>
        )}
        {keys.error ? (
          <ErrorBox error={keys.error} retry={keys.reload} />
        ) : !keys.data ? (
          <SkeletonRows rows={2} />
        ) : (
          <ItemList
            items={keys.data}
            empty={t('keys.none')}
            render={k => (
              <>
                <strong>{k.name}</strong>
                <span class="muted">
                  {(k.sites || []).join(', ')}
                  {k.created_at ? ' · ' + formatDateTime(k.created_at, lang) : ''}
                </span>
              </>
            )}
            onDelete={remove}
            deleteLabel={k => t('keys.deleteNamed', { name: k.name })}
          />
        )}
      </Section>
      <Section title={t('keys.add')}>
        <form class="stack" onSubmit={add}>
          <label class="field">
            <span>{t('keys.name')}</span>
            <input required value={name} onInput={e => setName(e.target.value)} autocomplete="off" />
          </label>
          <fieldset class="checks">
            <legend>{t('keys.sites')}</legend>
            {(sites.data || [{ domain }]).map(s => (
              <label key={s.domain}>
                <input type="checkbox" checked={chosen.includes(s.domain)} onChange={() => toggle(s.domain)} /> {s.domain}
              </label>
            ))}
          </fieldset>
          <div class="actions">
            <button type="submit" class="btn primary" disabled={!chosen.length}>
              {t('keys.add')}
            </button>
          </div>
        </form>
      </Section>
      {confirmEl}
    </>
  )
}

// Days; 393 and 758 are 13 and 25 months (accounts.Retention13Months and
// Retention25Months: never longer than that many calendar months). 758 is
// a new site's default, the CNIL's bound for measurement without consent.
var MONTHS = { 393: 13, 758: 25 }
var RETENTION = [90, 180, 365, 393, 730, 758, 1095, 1825, 0]

function Retention({ domain, site, reload }) {
  var { t, lang } = useApp()
  var [days, setDays] = useState(Number(site.retention_days) || 0)
  var [confirmEl, ask] = useConfirm()
  var unit = (n, u) => new Intl.NumberFormat(lang, { style: 'unit', unit: u, unitDisplay: 'long' }).format(n)
  var label = d => {
    if (!d) return t('retention.forever')
    if (MONTHS[d]) return unit(MONTHS[d], 'month')
    return d % 365 === 0 ? unit(d / 365, 'year') : unit(d, 'day')
  }
  var options = RETENTION.includes(days) ? RETENTION : RETENTION.concat(days)
  var done = () => {
    notify(t('common.saved'))
    reload()
  }
  var save = async e => {
    e.preventDefault()
    var shorter = days && (!site.retention_days || days < site.retention_days)
    if (!shorter) {
      return ask({
        title: t('settings.retention'),
        message: t('retention.confirm', { period: label(days) }),
        onConfirm: async () => {
          await patch(sitePath(domain), { retention_days: days })
          done()
        },
      })
    }
    // Shortening deletes history: the server says how many events, and
    // the owner types the domain to go ahead.
    try {
      await patch(sitePath(domain), { retention_days: days })
      return done() // nothing to confirm after all
    } catch (err) {
      if (err.status !== 409 || !err.body) return notify(err.message, 'error')
      var n = Number(err.body.events_to_delete) || 0
      ask({
        title: t('settings.retention'),
        message: t('retention.confirmShorter', { period: label(days), count: n, events: formatNumber(n, lang) }),
        danger: true,
        typed: domain,
        confirmLabel: t('retention.shorten'),
        onConfirm: async () => {
          await patch(sitePath(domain), { retention_days: days, confirm: domain })
          done()
        },
      })
    }
  }
  return (
    <Section title={t('settings.retention')} intro={t('retention.intro')}>
      <form class="stack" onSubmit={save}>
        <label class="field">
          <span>{t('retention.keep')}</span>
          <select value={days} onChange={e => setDays(Number(e.target.value))}>
            {options.map(d => (
              <option key={d} value={d}>
                {label(d)}
              </option>
            ))}
          </select>
        </label>
        <p class="muted" data-testid="retention-cnil">{t('retention.cnil')}</p>
        <p class="muted" data-testid="retention-forever">{t('retention.foreverMeans')}</p>
        <div class="actions">
          <button type="submit" class="btn primary" disabled={days === (Number(site.retention_days) || 0)}>
            {t('common.save')}
          </button>
        </div>
      </form>
      {confirmEl}
    </Section>
  )
}

function Danger({ domain }) {
  var { t } = useApp()
  var [confirmEl, ask] = useConfirm()
  var wipe = () =>
    ask({
      title: t('danger.wipe'),
      message: t('danger.confirmWipe', { domain }),
      danger: true,
      typed: domain,
      confirmLabel: t('danger.wipe'),
      onConfirm: async () => {
        await post(sitePath(domain, '/delete-data'), { confirm: domain })
        notify(t('danger.wiped'))
      },
    })
  var remove = () =>
    ask({
      title: t('danger.delete'),
      message: t('danger.confirmDelete', { domain }),
      danger: true,
      typed: domain,
      confirmLabel: t('danger.delete'),
      onConfirm: async () => {
        // The server wants the domain typed again too.
        await del(sitePath(domain), { confirm: domain })
        notify(t('danger.deleted', { domain }))
        navigate('/sites')
      },
    })
  return (
    <Section title={t('settings.danger')}>
      <div class="danger-row">
        <div>
          <h3>{t('danger.wipe')}</h3>
          <p class="muted">{t('danger.wipeText')}</p>
        </div>
        <button type="button" class="btn danger" onClick={wipe}>
          {t('danger.wipe')}
        </button>
      </div>
      <div class="danger-row">
        <div>
          <h3>{t('danger.delete')}</h3>
          <p class="muted">{t('danger.deleteText')}</p>
        </div>
        <button type="button" class="btn danger" onClick={remove}>
          {t('danger.delete')}
        </button>
      </div>
      {confirmEl}
    </Section>
  )
}

// Google Analytics 4: a service account's key file, or (when ops
// configured an OAuth client) a Google account, whose properties the
// picker lists. The key is sent once and kept by the server only while
// the import runs.
function GA4Import({ domain, oauth, reload }) {
  var { t } = useApp()
  var [property, setProperty] = useState('')
  var [key, setKey] = useState(null)
  var [run, busy, errorEl] = useAction()
  var params = new URLSearchParams(location.search)
  var connection = params.get('ga4') || ''
  var declined = params.get('ga4_error')
  var props = useLoad(
    () => (connection ? get(sitePath(domain, '/imports/ga4/properties?connection=' + encodeURIComponent(connection))).then(d => list(d, 'properties')) : Promise.resolve(null)),
    [domain, connection]
  )
  var start = async body => {
    var res = await post(sitePath(domain, '/imports/ga4'), body)
    notify(t(res.existed ? 'imports.ga4.existed' : 'imports.queued'))
    reload()
  }
  var submitKey = e => {
    e.preventDefault()
    if (!key || !property) return
    run(async () => {
      var text = await key.text()
      var credentials
      try {
        credentials = JSON.parse(text)
      } catch (err) {
        throw new Error(t('imports.ga4.badKey'))
      }
      await start({ property, credentials })
      e.target.reset()
      setKey(null)
    })
  }
  var connect = () => run(async () => (location.href = (await get(sitePath(domain, '/imports/ga4/connect'))).url))
  return (
    <Section title={t('imports.ga4.title')} intro={t('imports.ga4.intro')}>
      <form class="stack" onSubmit={submitKey} data-ga4-key-form>
        <label class="field">
          <span>{t('imports.ga4.property')}</span>
          <input value={property} onInput={e => setProperty(e.target.value.trim())} inputmode="numeric" placeholder="123456789" data-ga4-property />
        </label>
        <label class="field">
          <span>{t('imports.ga4.key')}</span>
          <input type="file" accept=".json,application/json" onChange={e => setKey(e.target.files[0] || null)} data-ga4-key />
        </label>
        <div class="actions">
          <button type="submit" class="btn primary" disabled={!key || !property || busy}>
            {t('imports.ga4.start')}
          </button>
        </div>
      </form>
      {oauth && (
        <div class="stack">
          <p class="muted small">{t('imports.ga4.or')}</p>
          {declined && (
            <p class="error" role="alert">
              {declined}
            </p>
          )}
          {!connection ? (
            <div class="actions">
              <button type="button" class="btn" onClick={connect} disabled={busy} data-ga4-connect>
                {t('imports.ga4.connect')}
              </button>
            </div>
          ) : props.error ? (
            <ErrorBox error={props.error} retry={props.reload} />
          ) : !props.data ? (
            <SkeletonRows rows={1} />
          ) : !props.data.length ? (
            <p class="muted">{t('imports.ga4.noProperties')}</p>
          ) : (
            <ul class="items" data-ga4-properties>
              {props.data.map(p => (
                <li key={p.property}>
                  <div class="grow">
                    <strong>{p.name}</strong>
                    <div class="muted small">
                      {p.account_name} · {p.property}
                    </div>
                  </div>
                  <button type="button" class="btn small primary" disabled={busy} onClick={() => run(() => start({ property: p.property, connection }))}>
                    {t('imports.ga4.start')}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {errorEl}
    </Section>
  )
}

// Imports of history and exports. A file is sent in chunks (a request
// body is at most a megabyte); the import then runs on the server, and
// the list follows its progress.
var CHUNK = 512 * 1024

// The file types each source's export comes as.
var SOURCES = { plausible: '.zip,.csv', umami: '.csv', goatcounter: '.csv,.gz' }

async function upload(domain, source, file, onProgress) {
  var base = sitePath(domain, '/imports') + '?source=' + source + '&file_name=' + encodeURIComponent(file.name)
  var id = ''
  for (var offset = 0; ; ) {
    var end = Math.min(file.size, offset + CHUNK)
    var final = end >= file.size
    var url = base + '&chunked=1&offset=' + offset + (id ? '&upload_id=' + id : '') + (final ? '&final=1' : '')
    var res = await fetch(url, { method: 'POST', headers: headers('POST'), body: file.slice(offset, end), credentials: 'same-origin' })
    var data = await res.json().catch(() => ({}))
    if (!res.ok) throw new Error(data.error || 'HTTP ' + res.status)
    onProgress(end / Math.max(1, file.size))
    if (final) return data
    id = data.upload_id
    offset = end
  }
}

function Imports({ domain, site }) {
  var { t, lang } = useApp()
  var [oauth, setOauth] = useState(false)
  var jobs = useLoad(() => get(sitePath(domain, '/imports')).then(d => (setOauth(!!(d && d.ga4_oauth)), list(d, 'imports'))), [domain])
  var [source, setSource] = useState('plausible')
  var [file, setFile] = useState(null)
  var [sent, setSent] = useState(-1)
  var [run, busy, errorEl] = useAction()
  var [confirmEl, ask] = useConfirm()
  var active = (jobs.data || []).some(j => j.status === 'pending' || j.status === 'running')
  useEffect(() => {
    if (!active) return
    var id = setTimeout(jobs.reload, 700)
    return () => clearTimeout(id)
  }, [jobs.data, active])
  var submit = e => {
    e.preventDefault()
    if (!file) return
    run(async () => {
      setSent(0)
      try {
        var res = await upload(domain, source, file, setSent)
        notify(t(res.existed ? 'imports.existed' : 'imports.queued'))
        setFile(null)
        e.target.reset()
        jobs.reload()
      } finally {
        setSent(-1)
      }
    })
  }
  var total = j => Object.values(j.rows || {}).reduce((a, b) => a + b, 0)
  var raw = format => sitePath(domain, '/export/raw?format=' + format)
  return (
    <>
      <Section title={t('imports.title')} intro={t('imports.intro')}>
        <form class="stack" onSubmit={submit} data-import-form>
          <label class="field">
            <span>{t('imports.source')}</span>
            <select value={source} onChange={e => setSource(e.target.value)} data-import-source>
              {Object.keys(SOURCES).map(s => (
                <option key={s} value={s}>
                  {t('imports.source.' + s)}
                </option>
              ))}
            </select>
          </label>
          <p class="muted small">{t('imports.hint.' + source)}</p>
          <label class="field">
            <span>{t('imports.file')}</span>
            <input type="file" accept={SOURCES[source]} onChange={e => setFile(e.target.files[0] || null)} data-import-file />
          </label>
          <div class="actions">
            <button type="submit" class="btn primary" disabled={!file || busy}>
              {t('imports.upload')}
            </button>
            {sent >= 0 && <span class="muted">{t('imports.uploading', { percent: Math.round(sent * 100) })}</span>}
          </div>
          {errorEl}
        </form>
        {jobs.error ? (
          <ErrorBox error={jobs.error} retry={jobs.reload} />
        ) : !jobs.data ? (
          <SkeletonRows rows={2} />
        ) : !jobs.data.length ? (
          <p class="muted">{t('imports.none')}</p>
        ) : (
          <ul class="items" data-imports>
            {jobs.data.map(j => (
              <li key={j.id} data-import={j.id} data-status={j.status}>
                <div class="grow">
                  <strong>{j.file_name}</strong> <span class="badge" data-import-status>{t('imports.status.' + j.status)}</span>
                  <div class="muted small">
                    {j.start_date && t('imports.range', { from: j.start_date, to: j.end_date }) + ' · '}
                    {t('imports.rows', { rows: formatNumber(total(j), lang), pageviews: formatNumber(j.pageviews, lang) })}
                    {' · '}
                    {formatDateTime(j.created_at, lang)}
                  </div>
                  {(j.status === 'pending' || j.status === 'running') && <progress max="1" value={j.progress} aria-label={t('imports.status.running')} />}
                  {j.error && (
                    <p class="error" role="alert">
                      {j.error}
                    </p>
                  )}
                </div>
                {(j.status === 'pending' || j.status === 'running') && (
                  <button type="button" class="btn small" onClick={() => run(async () => (await post(sitePath(domain, '/imports/' + j.id + '/cancel')), jobs.reload()))}>
                    {t('imports.cancel')}
                  </button>
                )}
                <button
                  type="button"
                  class="btn small danger"
                  data-import-delete
                  onClick={() => confirmDelete(ask, t, { prefix: 'imports', vars: { file: j.file_name }, path: sitePath(domain, '/imports/' + j.id), reload: jobs.reload })}
                >
                  {t('common.delete')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <GA4Import domain={domain} oauth={oauth} reload={jobs.reload} />
      <Section title={t('exports.title')} intro={t('exports.intro')}>
        <div class="actions">
          <a class="btn" href={sitePath(domain, '/export/plausible')} download data-export-plausible>
            {t('exports.plausible')}
          </a>
          {site.role === 'owner' && (
            <>
              <a class="btn" href={raw('parquet')} download>
                {t('exports.raw', { format: 'Parquet' })}
              </a>
              <a class="btn" href={raw('csv')} download>
                {t('exports.raw', { format: 'CSV' })}
              </a>
            </>
          )}
        </div>
      </Section>
      {confirmEl}
    </>
  )
}
