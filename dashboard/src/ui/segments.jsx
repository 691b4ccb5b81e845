// Saved segments (GET/POST/PATCH/DELETE /api/sites/{domain}/segments): a
// menu to apply one (the filter ['is', 'segment', [id]], URL
// f=is,segment,<id>), to save the current filters as one, and to rename or
// delete those the reader may change. The chip of an applied segment
// shows its name.
import { useEffect, useState } from 'preact/hooks'
import { get, list, sitePath } from './api.js'
import { Icon, useApp } from './common.jsx'
import { useDash } from './dashboard.jsx'

export var SEGMENT = 'segment'

// One list per site, shared by the menu and the chips; reload() after a
// change tells every reader.
var lists = {}
var readers = new Set()

function load(domain) {
  var l = lists[domain]
  if (!l || l.stale) {
    l = lists[domain] = { loading: true, data: l && l.data, error: null }
    get(sitePath(domain, '/segments'), { quiet401: true })
      .then(
        d => Object.assign(l, { loading: false, data: list(d, 'segments'), error: null }),
        e => Object.assign(l, { loading: false, error: e })
      )
      .then(() => readers.forEach(f => f()))
  }
  return l
}

export function reload(domain) {
  if (lists[domain]) lists[domain].stale = true
  load(domain)
  readers.forEach(f => f())
}

export function useSegments(domain) {
  var [, setN] = useState(0)
  useEffect(() => {
    var f = () => setN(n => n + 1)
    readers.add(f)
    return () => readers.delete(f)
  }, [])
  return load(domain)
}

// The chip's text of a segment filter: its name, or its id while the list
// loads (or when the reader cannot see it).
export function SegmentName({ ids }) {
  var { domain } = useDash()
  var l = useSegments(domain)
  var names = ids.map(id => {
    var s = (l.data || []).find(s => String(s.id) === String(id))
    return s ? s.name : '#' + id
  })
  return <strong data-segment-name>{names.join(', ')}</strong>
}

var menuModule = null

// The menu and its forms load on the first click (segments-menu.jsx): the
// first load carries the button and the chips' names only.
export function SegmentsButton() {
  var { t } = useApp()
  var [open, setOpen] = useState(false)
  var [mod, setMod] = useState(menuModule)
  useEffect(() => {
    if (open && !mod) import('./segments-menu.jsx').then(m => setMod((menuModule = m)))
  }, [open])
  var Menu = mod && mod.SegmentsMenu
  var dash = useDash()
  var segments = useSegments(dash.domain)
  return (
    <>
      <button type="button" class="btn" onClick={() => setOpen(true)} data-segments>
        <Icon name="filter" /> {t('segments.title')}
      </button>
      {open && Menu && <Menu onClose={() => setOpen(false)} dash={dash} segments={segments} reload={reload} />}
    </>
  )
}

