// The page of a report's unsubscribe link, logged in or not; loaded on
// demand.
import { useEffect, useState } from 'preact/hooks'
import { get, post } from './api.js'
import { useApp } from './common.jsx'
import { AuthCard } from './auth.jsx'

// This page's strings travel with it (loaded on demand), not in the
// first load's dictionaries.
var WORDS = {
  en: {
    'unsubscribe.title': 'Unsubscribe',
    'unsubscribe.ask': 'Stop sending the {kind} of {domain} to {email}?',
    'unsubscribe.confirm': 'Unsubscribe',
    'unsubscribe.done': 'Done: no more reports of {domain} to this address.',
    'unsubscribe.bad': 'This unsubscribe link is invalid or expired.',
    'reports.weekly': 'Weekly report',
    'reports.monthly': 'Monthly report',
  },
  fr: {
    'unsubscribe.title': 'Se désabonner',
    'unsubscribe.ask': 'Ne plus envoyer le {kind} de {domain} à {email} ?',
    'unsubscribe.confirm': 'Se désabonner',
    'unsubscribe.done': 'C’est fait : plus aucun rapport de {domain} à cette adresse.',
    'unsubscribe.bad': 'Ce lien de désabonnement est invalide ou expiré.',
    'reports.weekly': 'Rapport hebdomadaire',
    'reports.monthly': 'Rapport mensuel',
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

// /unsubscribe/TOKEN: what the link of a report ends, and a button to end
// it (a link scanner that opens the page unsubscribes nobody).
export function Unsubscribe({ token }) {
  var { t } = useApp()
  var w = useWords()
  var [info, setInfo] = useState(null)
  var [state, setState] = useState('') // '', 'done', or an error message
  var path = '/api/reports/unsubscribe/' + encodeURIComponent(token)
  useEffect(() => {
    get(path, { quiet401: true }).then(setInfo, e => setState(e.status === 404 ? w('unsubscribe.bad') : e.message))
  }, [token])
  var confirm = async () => {
    try {
      await post(path, undefined, { quiet401: true })
      setState('done')
    } catch (e) {
      setState(e.status === 404 ? w('unsubscribe.bad') : e.message)
    }
  }
  if (state === 'done') return <AuthCard title={w('unsubscribe.title')} intro={w('unsubscribe.done', { domain: info.domain })} />
  if (state) return <AuthCard title={w('unsubscribe.title')} intro={state} />
  if (!info) return <AuthCard title={w('unsubscribe.title')} intro={t('common.loading')} />
  return (
    <AuthCard title={w('unsubscribe.title')} intro={w('unsubscribe.ask', { kind: w('reports.' + info.kind).toLowerCase(), domain: info.domain, email: info.email })}>
      <button type="button" class="btn primary" onClick={confirm}>
        {w('unsubscribe.confirm')}
      </button>
    </AuthCard>
  )
}
