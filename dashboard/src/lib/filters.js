// Filters in words (the chips) and in the editor's terms (rows of
// conditions): both ways, so a chip opens the editor on what it says.
import { longDim, shortDim } from './dims.js'
import { DONE, OPERATORS } from './state.js'

// The dimensions the editor offers, grouped as the panels are.
export var FILTER_GROUPS = [
  ['panel.pages', ['page', 'entry_page', 'exit_page', 'hostname']],
  ['panel.sources', ['channel', 'source', 'referrer', 'utm_medium', 'utm_source', 'utm_campaign', 'utm_term', 'utm_content']],
  ['panel.locations', ['country', 'region', 'city_name']],
  ['panel.devices', ['browser', 'browser_version', 'os', 'os_version', 'device']],
  ['panel.goals', ['goal', 'name']],
]

// What has_done may wrap: a condition on events.
export var EVENT_SHORTS = ['goal', 'page', 'name', 'hostname']

// The Stats API refuses these inside an or-group (top level only).
export var TOP_ONLY = ['event:goal', 'event:hostname']

// The parts of a filter's description, in the reader's words: `w` is
// wording, `v` a list of values (drawn strong). dim(long) names a
// dimension, value(long, v) shows a value.
//   Source is Google or Bing
//   Source is Google or UTM campaign is spring
//   Has done: Goal is Signup
export function describe(f, t, dim, value) {
  if (f[0] === 'or') return f[1].flatMap((m, i) => (i ? [{ w: t('filters.or') }] : []).concat(describe(m, t, dim, value)))
  if (DONE.includes(f[0])) return [{ w: t(f[0] === 'has_done' ? 'done.has_done' : 'done.has_not_done') + ' ' }].concat(describe(f[1], t, dim, value))
  var [op, d, values] = f
  return [{ w: dim(d) + ' ' + t('op.' + op) + ' ' }, { v: values.map(v => value(d, v)).join(t('filters.or')) }]
}

export function describeText(parts) {
  return parts.map(p => (p.w === undefined ? p.v : p.w)).join('')
}

// One condition as the editor holds it: the dimension's short name
// ('props' for a custom property, whose key is `prop`), the operator and
// the values.
function row([op, dim, values]) {
  var s = shortDim(dim)
  var prop = s.startsWith('props:') ? s.slice(6) : ''
  return { dim: prop ? 'props' : s, prop, op, values: values.slice() }
}

// A filter in the editor's terms, {kind, rows}; null for one the editor
// cannot show (a segment, an or-group holding has_done filters): its chip
// only removes it.
export function toEditor(f) {
  if (f[0] === 'or') return f[1].every(m => OPERATORS.includes(m[0]) && longDim(shortDim(m[1])) && m[1] !== 'segment') ? { kind: 'is', rows: f[1].map(row) } : null
  if (DONE.includes(f[0])) return { kind: f[0], rows: [row(f[1])] }
  if (f[1] === 'segment') return null
  return { kind: 'is', rows: [row(f)] }
}

// The long name of a row's dimension; '' while a property has no key.
export function rowDim(r) {
  if (r.dim === 'props') return r.prop.trim() ? 'event:props:' + r.prop.trim() : ''
  return longDim(r.dim) || ''
}

// The filter the editor's rows make; null while one is incomplete.
export function fromEditor({ kind, rows }) {
  var conds = []
  for (var r of rows) {
    var d = rowDim(r)
    var values = r.values.filter(v => v !== '')
    if (!d || !values.length || !OPERATORS.includes(r.op)) return null
    conds.push([r.op, d, values])
  }
  if (!conds.length) return null
  if (DONE.includes(kind)) return conds.length === 1 && conds[0][1].startsWith('event:') ? [kind, conds[0]] : null
  return conds.length === 1 ? conds[0] : ['or', conds]
}
