// The filter editor, loaded on demand: conditions on any dimension or
// custom property, with several values, six operators, "or" between
// conditions, and "has done / has not done" on events. A chip opens it on
// its own filter.
import '../i18n/filters.js'
import { useEffect, useRef, useState } from 'preact/hooks'
import { Icon, Modal, store, useApp, useLoad } from './common.jsx'
// Not used here: reaching the modules the other pages loaded on demand
// reach keeps them in the one chunk they share with the first load (a
// chunk more would cost the first load its compression).
import './frame.jsx'

// What the editor needs from the dashboard's modules comes in `kit` (see
// LazyEditor in dashboard.jsx): importing them here would split them out
// of the first load's bundle into chunks of their own, over its budget.
var K

var KINDS = ['is', 'has_done', 'has_not_done']
var blank = dim => ({ dim, prop: '', op: 'is', values: [] })

// index: the filter a chip opened, else a new one; dash: the dashboard's
// context and show(dim, value) a value in words (passed in, so this chunk
// does not pull the dashboard's module out of the first load).
export function FilterEditor({ index, onClose, dash, show, kit }) {
  K = kit
  var { EVENT_SHORTS, fromEditor, toEditor, rowDim, TOP_ONLY } = K
  var { t, lang } = useApp()
  var { state, set } = dash
  var editing = index >= 0 && index < state.filters.length
  var start = (editing && toEditor(state.filters[index])) || { kind: 'is', rows: [blank('page')] }
  var [kind, setKind] = useState(start.kind)
  var [rows, setRows] = useState(start.rows)
  var [error, setError] = useState('')
  // Each row's value being typed, added on submit as if Enter was pressed.
  var pending = useRef([])
  var done = kind !== 'is'
  var change = (i, r) => {
    setError('')
    setRows(rows.map((x, j) => (j === i ? r : x)))
  }
  var chooseKind = k => {
    setKind(k)
    setError('')
    // has_done takes one condition on events: a goal unless one is there.
    if (k !== 'is') setRows([EVENT_SHORTS.includes(rows[0].dim) || rows[0].dim === 'props' ? rows[0] : blank('goal')])
  }
  var submit = e => {
    e.preventDefault()
    var unknown = false
    var all = rows.map((r, i) => {
      var typed = (pending.current[i] || '').trim()
      if (typed && rowDim(r) === 'visit:country' && !r.op.startsWith('matches')) {
        typed = K.countryCodeOf(typed, lang)
        unknown = unknown || !typed
      }
      return typed && !r.values.includes(typed) ? { ...r, values: r.values.concat(typed) } : r
    })
    if (unknown) return setError(t('filters.unknown_country'))
    if (all.some(r => !r.values.length)) return setError(t('filters.needValue'))
    if (all.length > 1 && all.some(r => TOP_ONLY.includes(rowDim(r)))) return setError(t('filters.topOnly'))
    for (var r of all) {
      if (!r.op.startsWith('matches')) continue
      for (var v of r.values) {
        try {
          new RegExp(v)
        } catch (err) {
          return setError(t('filters.badRegex', { error: v }))
        }
      }
    }
    var f = fromEditor({ kind, rows: all })
    if (!f) return setError(t('filters.needValue'))
    var filters = state.filters.slice()
    if (editing) filters[index] = f
    else filters.push(f)
    rememberProps(all)
    set({ filters })
    onClose()
  }
  return (
    <Modal title={t(editing ? 'filters.editTitle' : 'filters.new')} onClose={onClose}>
      <form class="stack filter-editor" onSubmit={submit} noValidate data-filter-editor>
        <div class="field">
          <label for="f-kind">{t('filters.kind')}</label>
          <select id="f-kind" value={kind} onChange={e => chooseKind(e.target.value)}>
            {KINDS.map(k => (
              <option key={k} value={k}>
                {t('filters.kind.' + k)}
              </option>
            ))}
          </select>
        </div>
        {rows.map((r, i) => (
          <Condition
            key={i}
            n={i}
            row={r}
            dash={dash}
            show={show}
            events={done}
            several={rows.length > 1}
            onChange={r => change(i, r)}
            onTyped={v => (pending.current[i] = v)}
            onRemove={() => {
              pending.current.splice(i, 1)
              setRows(rows.filter((_, j) => j !== i))
            }}
          />
        ))}
        {!done && (
          <p class="or-add">
            <button type="button" class="btn small" onClick={() => setRows(rows.concat([blank('source')]))} data-add-or>
              + {t('filters.addOr')}
            </button>
            {rows.length > 1 && <span class="hint small"> {t('filters.orHint')}</span>}
          </p>
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
          <button type="submit" class="btn primary">
            {t('filters.apply')}
          </button>
        </div>
      </form>
    </Modal>
  )
}

// Property keys used here join the ones the properties panel remembers.
function rememberProps(rows) {
  var known = (store.get('props') || '').split('\n').filter(Boolean)
  for (var r of rows) if (r.dim === 'props' && r.prop.trim() && !known.includes(r.prop.trim())) known.unshift(r.prop.trim())
  store.set('props', known.slice(0, 20).join('\n'))
}

// One condition: dimension (or property key), operator, values.
function Condition({ n, row, dash, show, events, several, onChange, onTyped, onRemove }) {
  var { t, lang } = useApp()
  var { domain, state, today, ready } = dash
  var { breakdownQuery, countryCodeOf, EVENT_SHORTS, FILTER_GROUPS, OPERATORS, rowDim, stats } = K
  var [text, setText] = useState('')
  var [typed, setTypedDebounced] = useState('')
  var [unknown, setUnknown] = useState(false)
  var id = 'f' + n
  var dim = rowDim(row)
  var byName = dim === 'visit:country'
  var regex = row.op.startsWith('matches')
  useEffect(() => {
    var h = setTimeout(() => setTypedDebounced(text.trim()), 250)
    return () => clearTimeout(h)
  }, [text])
  // Values to suggest: the dimension's top values in the view without its
  // own filters, matching what is typed (countries by their name).
  var suggest = useLoad(
    () =>
      dim && ready && !regex
        ? stats(
            breakdownQuery(domain, { ...state, filters: state.filters.filter(f => f[1] !== dim) }, today, {
              dimension: dim,
              metrics: ['visitors'],
              limit: byName ? 300 : 20,
              search: byName ? '' : typed,
            })
          ).catch(() => null)
        : null,
    [dim, byName ? '' : typed, ready, regex]
  )
  var options = ((suggest.data && suggest.data.results) || [])
    .map(r => r.dimensions[0])
    .filter(v => !row.values.includes(String(v)) && (!byName || show(dim, v).toLowerCase().includes(typed.toLowerCase())))
  // The property keys: the site's in the period, most used first (the
  // server's list of them), then those used before here, in the view's
  // filters, and the tracker's own.
  var found = useLoad(
    () =>
      row.dim === 'props' && ready
        ? K.get(K.sitePath(domain, '/props?limit=50&query=' + encodeURIComponent(JSON.stringify({ date_range: dash.r.dateRange }))), { quiet401: true }).catch(() => null)
        : null,
    [row.dim === 'props', ready, JSON.stringify(dash.r.dateRange)]
  )
  var keys = new Set(((found.data && found.data.keys) || []).map(k => String(k.key)))
  keys.add('url').add('path')
  for (var p of (store.get('props') || '').split('\n')) if (p) keys.add(p)
  for (var f of state.filters) if (typeof f[1] === 'string' && f[1].startsWith('event:props:')) keys.add(f[1].slice(12))
  var add = v => {
    v = String(v).trim()
    if (!v) return
    // A country is stored as its code; a name typed is read as one.
    if (byName && !regex) {
      var code = countryCodeOf(v, lang)
      if (!code) return setUnknown(true)
      v = code
    }
    if (!row.values.includes(v)) onChange({ ...row, values: row.values.concat(v) })
    setText('')
    onTyped('')
  }
  var dims = events ? EVENT_SHORTS : null
  return (
    <fieldset class="condition" data-condition={n}>
      <legend>{several ? t('filters.condition', { n: n + 1 }) : ''}</legend>
      <div class="cond-head">
        <label class="sr-only" for={id + '-dim'}>
          {t('filters.dimension')}
        </label>
        <select id={id + '-dim'} value={row.dim} onChange={e => e.target.value !== row.dim && onChange({ ...row, dim: e.target.value, values: [] })} data-dim>
          {dims
            ? dims.map(d => (
                <option key={d} value={d}>
                  {t('dim.' + d)}
                </option>
              ))
            : FILTER_GROUPS.map(([g, ds]) => (
                <optgroup key={g} label={t(g)}>
                  {ds.map(d => (
                    <option key={d} value={d}>
                      {t('dim.' + d)}
                    </option>
                  ))}
                </optgroup>
              ))}
          <option value="props">{t('panel.props')}</option>
        </select>
        <label class="sr-only" for={id + '-op'}>
          {t('filters.operator')}
        </label>
        <select id={id + '-op'} value={row.op} onChange={e => onChange({ ...row, op: e.target.value })} data-op>
          {OPERATORS.map(o => (
            <option key={o} value={o}>
              {t('op.' + o)}
            </option>
          ))}
        </select>
        {several && (
          <button type="button" class="icon-btn" onClick={onRemove} aria-label={t('filters.removeCondition')} title={t('filters.removeCondition')}>
            <Icon name="close" size={16} />
          </button>
        )}
      </div>
      {row.dim === 'props' && (
        <div class="field">
          <label for={id + '-prop'}>{t('props.name')}</label>
          <input id={id + '-prop'} list={id + '-keys'} value={row.prop} onInput={e => onChange({ ...row, prop: e.target.value })} autocomplete="off" spellcheck={false} data-prop />
          <datalist id={id + '-keys'}>
            {[...keys].map(k => (
              <option key={k} value={k} />
            ))}
          </datalist>
        </div>
      )}
      <div class="field">
        <label for={id + '-value'}>{t('filters.values')}</label>
        {row.values.length > 0 && (
          <ul class="tokens">
            {row.values.map(v => (
              <li key={v} class="chip" data-token={v}>
                <span>{regex ? v : show(dim, v)}</span>
                <button
                  type="button"
                  class="chip-x"
                  onClick={() => onChange({ ...row, values: row.values.filter(x => x !== v) })}
                  aria-label={t('filters.removeValue', { value: v })}
                >
                  <Icon name="close" size={12} />
                </button>
              </li>
            ))}
          </ul>
        )}
        <div class="token-input">
          <input
            id={id + '-value'}
            list={regex ? undefined : id + '-values'}
            value={text}
            onInput={e => (setText(e.target.value), onTyped(e.target.value), setUnknown(false))}
            aria-invalid={unknown ? 'true' : undefined}
            onKeyDown={e => {
              // Enter adds what is typed; with nothing typed it applies.
              if (e.key !== 'Enter' || !text.trim()) return
              e.preventDefault()
              add(text)
            }}
            onChange={e => {
              // A suggestion picked from the list is a whole value.
              if (options.some(v => String(v) === e.target.value)) add(e.target.value)
            }}
            placeholder={regex ? '^/blog/' : ''}
            autocomplete="off"
            spellcheck={false}
            data-value
          />
          <button type="button" class="btn small" onClick={() => add(text)} data-add-value>
            {t('filters.addValue')}
          </button>
        </div>
        <datalist id={id + '-values'}>
          {options.map(v => (
            <option key={String(v)} value={String(v)}>
              {show(dim, v)}
            </option>
          ))}
        </datalist>
        {unknown && (
          <p class="error" role="alert">
            {t('filters.unknown_country')}
          </p>
        )}
        <p class="hint small">{regex ? t('filters.regexHint') : t('filters.valuesHint')}</p>
      </div>
    </fieldset>
  )
}
