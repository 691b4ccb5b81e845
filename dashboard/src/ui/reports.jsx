// Email reports and traffic alerts of a site: a settings tab, loaded on
// demand with the settings.
import { useState } from 'preact/hooks'
import { formatDateTime } from '../lib/format.js'
import { api, del, get, post, sitePath } from './api.js'
import { ErrorBox, notify, SkeletonRows, useApp, useLoad } from './common.jsx'

var KINDS = ['weekly', 'monthly']

// This page's strings travel with it (loaded on demand), not in the
// first load's dictionaries.
var WORDS = {
  en: {
    'reports.noMail': 'Email reports and alerts need an SMTP server: the server runs without --smtp-url (or without --public-url). Subscriptions are kept and start once it is configured.',
    'reports.mine': 'My email reports',
    'reports.mineIntro': 'Visitors, pageviews, bounce rate, visit duration, top sources, pages and goals, in the site’s time zone. Weekly: Monday morning, for the week before. Monthly: the 1st, for the month before.',
    'reports.receive': 'Send me',
    'reports.weekly': 'Weekly report',
    'reports.monthly': 'Monthly report',
    'reports.language': 'Language of the emails',
    'reports.lang.en': 'English',
    'reports.lang.fr': 'French',
    'reports.previewWeekly': 'Preview the weekly report',
    'reports.previewMonthly': 'Preview the monthly report',
    'reports.recipients': 'Who receives the reports',
    'reports.recipientsIntro': 'Members who subscribed, and any address you add (a client, a manager). Each email has a one-click unsubscribe link. Addresses are kept until they unsubscribe or you remove them.',
    'reports.none': 'Nobody receives reports of this site yet.',
    'reports.member': 'member',
    'reports.kind': 'Report',
    'reports.add': 'Add a recipient',
    'reports.added': 'The recipient was added.',
    'reports.removed': 'The recipient was removed.',
    'reports.removeNamed': 'Stop sending reports to {email}',
    'reports.lastSent': 'last sent {date}',
    'reports.lastError': 'last error: {error}',
    'alerts.title': 'Traffic alerts',
    'alerts.intro': 'An email to the members you choose when traffic jumps or falls.',
    'alerts.which': 'Alert me',
    'alerts.spike': 'on a spike: current visitors reach a threshold',
    'alerts.threshold': 'Current visitors (last 5 minutes)',
    'alerts.drop': 'on a drop: a day under half its usual',
    'alerts.dropHint': 'Checked each morning for the day before: its visitors against the median of the same weekday over the 4 weeks before (when that usual is at least 10 visitors).',
    'alerts.cooldown': 'Cool-down (hours)',
    'alerts.cooldownHint': 'After an alert, the same alert stays silent this long.',
    'alerts.recipients': 'Send the alerts to',
  },
  fr: {
    'reports.noMail': 'Les rapports et alertes par e-mail ont besoin d’un serveur SMTP : le serveur tourne sans --smtp-url (ou sans --public-url). Les abonnements sont gardés et partiront dès qu’il sera configuré.',
    'reports.mine': 'Mes rapports par e-mail',
    'reports.mineIntro': 'Visiteurs, pages vues, taux de rebond, durée de visite, principales sources, pages et objectifs, dans le fuseau horaire du site. Hebdomadaire : le lundi matin, pour la semaine précédente. Mensuel : le 1er, pour le mois précédent.',
    'reports.receive': 'M’envoyer',
    'reports.weekly': 'Rapport hebdomadaire',
    'reports.monthly': 'Rapport mensuel',
    'reports.language': 'Langue des e-mails',
    'reports.lang.en': 'Anglais',
    'reports.lang.fr': 'Français',
    'reports.previewWeekly': 'Aperçu du rapport hebdomadaire',
    'reports.previewMonthly': 'Aperçu du rapport mensuel',
    'reports.recipients': 'Qui reçoit les rapports',
    'reports.recipientsIntro': 'Les membres abonnés, et toute adresse que vous ajoutez (un client, un responsable). Chaque e-mail a un lien de désabonnement en un clic. Les adresses sont gardées jusqu’à leur désabonnement ou leur retrait.',
    'reports.none': 'Personne ne reçoit encore de rapport de ce site.',
    'reports.member': 'membre',
    'reports.kind': 'Rapport',
    'reports.add': 'Ajouter un destinataire',
    'reports.added': 'Le destinataire a été ajouté.',
    'reports.removed': 'Le destinataire a été retiré.',
    'reports.removeNamed': 'Ne plus envoyer de rapport à {email}',
    'reports.lastSent': 'dernier envoi {date}',
    'reports.lastError': 'dernière erreur : {error}',
    'alerts.title': 'Alertes de trafic',
    'alerts.intro': 'Un e-mail aux membres choisis quand le trafic bondit ou chute.',
    'alerts.which': 'M’alerter',
    'alerts.spike': 'en cas de pic : les visiteurs actuels atteignent un seuil',
    'alerts.threshold': 'Visiteurs actuels (5 dernières minutes)',
    'alerts.drop': 'en cas de baisse : un jour sous la moitié de l’habitude',
    'alerts.dropHint': 'Vérifié chaque matin pour la veille : ses visiteurs comparés à la médiane du même jour de la semaine sur les 4 semaines précédentes (si cette habitude est d’au moins 10 visiteurs).',
    'alerts.cooldown': 'Délai entre deux alertes (heures)',
    'alerts.cooldownHint': 'Après une alerte, la même alerte reste silencieuse pendant ce délai.',
    'alerts.recipients': 'Envoyer les alertes à',
  },
}

function useWords() {
  var { lang } = useApp()
  var dict = WORDS[lang] || WORDS.en
  return (key, vars) => {
    var m = dict[key] || WORDS.en[key] || key
    return vars ? m.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? vars[k] : '{' + k + '}')) : m
  }
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

function LangSelect({ id, value, onChange }) {
  var { t } = useApp()
  var w = useWords()
  return (
    <select id={id} value={value} onChange={e => onChange(e.target.value)}>
      <option value="en">{w('reports.lang.en')}</option>
      <option value="fr">{w('reports.lang.fr')}</option>
    </select>
  )
}

function useSave() {
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
  return [run, busy, error && <p class="error" role="alert">{error}</p>]
}

export function Reports({ domain, site }) {
  var { t } = useApp()
  var w = useWords()
  var data = useLoad(() => get(sitePath(domain, '/reports')), [domain])
  var canManage = site.role === 'owner' || site.role === 'admin'
  if (data.error) return <ErrorBox error={data.error} retry={data.reload} />
  if (!data.data) return <SkeletonRows rows={4} />
  var d = data.data
  return (
    <>
      {!d.mail && (
        <div class="callout" style="border-color: var(--warn)" role="note" data-reports-no-smtp>
          <p>{w('reports.noMail')}</p>
        </div>
      )}
      <Mine domain={domain} mine={d.mine} reload={data.reload} />
      {d.recipients && <Recipients domain={domain} recipients={d.recipients} deliveries={d.deliveries || []} reload={data.reload} />}
      {canManage && <Alerts domain={domain} />}
    </>
  )
}

function Mine({ domain, mine, reload }) {
  var { t, lang } = useApp()
  var w = useWords()
  var [weekly, setWeekly] = useState(!!mine.weekly)
  var [monthly, setMonthly] = useState(!!mine.monthly)
  var [rlang, setRlang] = useState(mine.lang || lang)
  var [run, busy, errorEl] = useSave()
  var save = e => {
    e.preventDefault()
    run(async () => {
      await api('PUT', sitePath(domain, '/reports/mine'), { weekly, monthly, lang: rlang })
      notify(t('common.saved'))
      reload()
    })
  }
  var preview = kind => sitePath(domain, '/reports/preview') + '?kind=' + kind + '&lang=' + rlang
  return (
    <Section title={w('reports.mine')} intro={w('reports.mineIntro')}>
      <form class="stack" onSubmit={save}>
        <fieldset class="checks">
          <legend>{w('reports.receive')}</legend>
          <label>
            <input type="checkbox" name="weekly" checked={weekly} onChange={e => setWeekly(e.target.checked)} /> {w('reports.weekly')}
          </label>
          <label>
            <input type="checkbox" name="monthly" checked={monthly} onChange={e => setMonthly(e.target.checked)} /> {w('reports.monthly')}
          </label>
        </fieldset>
        <div class="field">
          <label for="report-lang">{w('reports.language')}</label>
          <LangSelect id="report-lang" value={rlang} onChange={setRlang} />
        </div>
        {errorEl}
        <div class="actions">
          <a class="btn ghost" href={preview('weekly')} target="_blank" rel="noopener">
            {w('reports.previewWeekly')}
          </a>
          <a class="btn ghost" href={preview('monthly')} target="_blank" rel="noopener">
            {w('reports.previewMonthly')}
          </a>
          <button type="submit" class="btn primary" disabled={busy}>
            {t('common.save')}
          </button>
        </div>
      </form>
    </Section>
  )
}

function Recipients({ domain, recipients, deliveries, reload }) {
  var { t, lang } = useApp()
  var w = useWords()
  var [email, setEmail] = useState('')
  var [kind, setKind] = useState('weekly')
  var [rlang, setRlang] = useState(lang)
  var [run, busy, errorEl] = useSave()
  var add = e => {
    e.preventDefault()
    run(async () => {
      await post(sitePath(domain, '/reports/recipients'), { email: email.trim(), kind, lang: rlang })
      setEmail('')
      notify(w('reports.added'))
      reload()
    })
  }
  var remove = r =>
    run(async () => {
      await del(sitePath(domain, '/reports/recipients/' + r.kind + '/' + encodeURIComponent(r.email)))
      notify(w('reports.removed'))
      reload()
    })
  var last = r => deliveries.find(d => d.kind === r.kind && d.email === r.email)
  return (
    <Section title={w('reports.recipients')} intro={w('reports.recipientsIntro')}>
      {recipients.length === 0 ? (
        <p class="muted">{w('reports.none')}</p>
      ) : (
        <ul class="items" data-report-recipients>
          {recipients.map(r => {
            var d = last(r)
            return (
              <li key={r.kind + r.email} class="item">
                <div class="item-main">
                  <strong>{r.email}</strong>
                  <span class="badge">{w('reports.' + r.kind)}</span>
                  {r.member && <span class="badge">{w('reports.member')}</span>}
                  {d && (
                    <span class={d.error ? 'error' : 'muted'}>
                      {d.error ? w('reports.lastError', { error: d.error }) : w('reports.lastSent', { date: formatDateTime(d.at, lang) })}
                    </span>
                  )}
                </div>
                <button type="button" class="btn small danger-ghost" onClick={() => remove(r)} aria-label={w('reports.removeNamed', { email: r.email })}>
                  {t('common.delete')}
                </button>
              </li>
            )
          })}
        </ul>
      )}
      <form class="stack" onSubmit={add}>
        <label class="field">
          <span>{t('login.email')}</span>
          <input type="email" name="recipient" required value={email} onInput={e => setEmail(e.target.value)} autocomplete="off" />
        </label>
        <div class="row">
          <label class="field">
            <span>{w('reports.kind')}</span>
            <select value={kind} onChange={e => setKind(e.target.value)}>
              {KINDS.map(k => (
                <option key={k} value={k}>
                  {w('reports.' + k)}
                </option>
              ))}
            </select>
          </label>
          <div class="field">
            <label for="recipient-lang">{w('reports.language')}</label>
            <LangSelect id="recipient-lang" value={rlang} onChange={setRlang} />
          </div>
        </div>
        {errorEl}
        <div class="actions">
          <button type="submit" class="btn primary" disabled={busy}>
            {w('reports.add')}
          </button>
        </div>
      </form>
    </Section>
  )
}

function Alerts({ domain }) {
  var { t } = useApp()
  var w = useWords()
  var data = useLoad(() => get(sitePath(domain, '/alerts')), [domain])
  if (data.error) return <ErrorBox error={data.error} retry={data.reload} />
  if (!data.data) return <SkeletonRows rows={3} />
  return <AlertsForm domain={domain} a={data.data} reload={data.reload} />
}

function AlertsForm({ domain, a, reload }) {
  var { t } = useApp()
  var w = useWords()
  var [spikeOn, setSpikeOn] = useState(a.spike_visitors > 0)
  var [spike, setSpike] = useState(a.spike_visitors || 100)
  var [drop, setDrop] = useState(!!a.drop)
  var [cooldown, setCooldown] = useState(a.cooldown_hours || 24)
  var [rlang, setRlang] = useState(a.lang || 'en')
  var [to, setTo] = useState(a.recipients || [])
  var [run, busy, errorEl] = useSave()
  var toggle = m => setTo(to.includes(m) ? to.filter(x => x !== m) : [...to, m])
  var save = e => {
    e.preventDefault()
    run(async () => {
      await api('PUT', sitePath(domain, '/alerts'), {
        spike_visitors: spikeOn ? Number(spike) : 0,
        drop,
        cooldown_hours: Number(cooldown),
        lang: rlang,
        recipients: to,
      })
      notify(t('common.saved'))
      reload()
    })
  }
  return (
    <Section title={w('alerts.title')} intro={w('alerts.intro')}>
      <form class="stack" onSubmit={save} data-alerts>
        <fieldset class="checks">
          <legend>{w('alerts.which')}</legend>
          <label>
            <input type="checkbox" name="spike" checked={spikeOn} onChange={e => setSpikeOn(e.target.checked)} /> {w('alerts.spike')}
          </label>
          {spikeOn && (
            <label class="field">
              <span>{w('alerts.threshold')}</span>
              <input type="number" name="spike_visitors" min="1" required value={spike} onInput={e => setSpike(e.target.value)} />
            </label>
          )}
          <label>
            <input type="checkbox" name="drop" checked={drop} onChange={e => setDrop(e.target.checked)} /> {w('alerts.drop')}
          </label>
          <small class="hint">{w('alerts.dropHint')}</small>
        </fieldset>
        <label class="field">
          <span>{w('alerts.cooldown')}</span>
          <input type="number" name="cooldown_hours" min="1" max="744" required value={cooldown} onInput={e => setCooldown(e.target.value)} />
          <small class="hint">{w('alerts.cooldownHint')}</small>
        </label>
        <fieldset class="checks">
          <legend>{w('alerts.recipients')}</legend>
          {(a.members || []).map(m => (
            <label key={m}>
              <input type="checkbox" checked={to.includes(m)} onChange={() => toggle(m)} /> {m}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="alert-lang">{w('reports.language')}</label>
          <LangSelect id="alert-lang" value={rlang} onChange={setRlang} />
        </div>
        {errorEl}
        <div class="actions">
          <button type="submit" class="btn primary" disabled={busy}>
            {t('common.save')}
          </button>
        </div>
      </form>
    </Section>
  )
}
