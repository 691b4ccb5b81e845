// Annotations: the list the graph draws; the rest loads on demand.
import { useEffect, useState } from 'preact/hooks'
import { get, sitePath } from './api.js'
import { useLoad } from './common.jsx'
import { formatDay } from '../lib/format.js'

// notelayer.jsx holds the form and the graph's layer, loaded when the
// form opens or a site has notes to draw. It comes with the settings'
// chunk (which re-exports it): a chunk of its own would split the code
// shared with the first load into more, larger pieces.
var layer = null
function lazy(part) {
  return function Lazy(props) {
    var [mod, setMod] = useState(layer)
    useEffect(() => {
      if (!mod) import('./settings.jsx').then(m => setMod((layer = m)))
    }, [])
    var C = mod && mod[part]
    return C ? <C {...props} /> : null
  }
}
export var LazyNoteForm = lazy('NoteForm')
export var LazyNoteLayer = lazy('NoteLayer')

// The site's notes, for whoever may read them: a shared link whose owner
// keeps them private gets none (403), and the graph shows none.
export function useNotes(domain, deps = []) {
  return useLoad(
    () =>
      get(sitePath(domain, '/annotations'), { quiet401: true, stage: 2 }).then(
        d => (d && d.annotations) || [],
        e => (e.status === 403 ? [] : Promise.reject(e))
      ),
    [domain].concat(deps)
  )
}

// A note's days, as a reader says them.
export function noteLabel(n, lang) {
  return n.from === n.to ? formatDay(n.from, lang) : formatDay(n.from, lang) + ' – ' + formatDay(n.to, lang)
}
