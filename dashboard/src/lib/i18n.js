// Messages in English and French. A message is a string with {name}
// placeholders, or, when it depends on a count, an object of plural forms
// ({one, other}) chosen with Intl.PluralRules on vars.count.
import en from '../i18n/en.js'
import fr from '../i18n/fr.js'

export var MESSAGES = { en, fr }
export var LANGS = Object.keys(MESSAGES)

// The first of the browser's languages that the dashboard speaks.
export function pickLang(preferred) {
  for (var l of preferred || []) {
    var base = String(l).toLowerCase().split('-')[0]
    if (MESSAGES[base]) return base
  }
  return 'en'
}

export function makeT(lang) {
  var dict = MESSAGES[lang] || en
  var rules = new Intl.PluralRules(lang)
  return function t(key, vars) {
    var m = dict[key]
    if (m === undefined) m = en[key]
    if (m === undefined) return key
    if (typeof m === 'object') m = m[rules.select(vars ? Number(vars.count) : 1)] || m.other
    return vars ? m.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? vars[k] : '{' + k + '}')) : m
  }
}
