// History-API navigation. The language chosen in the URL (?lang=fr)
// follows every navigation that does not set its own.
import { useEffect, useState } from 'preact/hooks'

var listeners = new Set()

// search with key set to value (or removed, for ''), the rest untouched.
export function withParam(search, key, value) {
  var parts = search
    .replace(/^\?/, '')
    .split('&')
    .filter(p => p && p.split('=')[0] !== key)
  if (value) parts.push(key + '=' + encodeURIComponent(value))
  return parts.length ? '?' + parts.join('&') : ''
}

export function withLang(href) {
  var lang = new URLSearchParams(location.search).get('lang')
  if (!lang || /[?&]lang=/.test(href)) return href
  return href + (href.includes('?') ? '&' : '?') + 'lang=' + lang
}

export function navigate(href, { replace = false, keepLang = true } = {}) {
  if (keepLang) href = withLang(href)
  if (href === location.pathname + location.search) return
  history[replace ? 'replaceState' : 'pushState'](null, '', href)
  listeners.forEach(f => f())
}

export function useLocation() {
  var [, setN] = useState(0)
  useEffect(() => {
    var f = () => setN(n => n + 1)
    listeners.add(f)
    addEventListener('popstate', f)
    return () => {
      listeners.delete(f)
      removeEventListener('popstate', f)
    }
  }, [])
  return { path: location.pathname, search: location.search }
}

// An <a> that navigates in the page (a plain click) or as a link (new tab).
export function Link({ href, children, onNavigate, ...rest }) {
  var to = withLang(href)
  var click = e => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(to)
    if (onNavigate) onNavigate()
  }
  return (
    <a href={to} onClick={click} {...rest}>
      {children}
    </a>
  )
}
