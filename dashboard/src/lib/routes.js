// The dashboard's pages, from the URL path. The Go server sends every one
// of these paths to index.html.

export function route(path) {
  var parts
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  } catch {
    return { name: 'notfound' }
  }
  var [a, b, c] = parts
  if (!a) return { name: 'home' }
  if (parts.length === 1 && (a === 'login' || a === 'setup' || a === 'sites' || a === 'forgot')) return { name: a }
  if (a === 'sites') return b === 'new' && parts.length === 2 ? { name: 'newsite' } : { name: 'notfound' }
  if ((a === 'invite' || a === 'reset') && b && parts.length === 2) return { name: a, token: b }
  if (a === 'unsubscribe' && b && parts.length === 2) return { name: a, token: b }
  if (a === 'share') return b && parts.length === 2 ? { name: 'share', slug: b } : { name: 'notfound' }
  if (parts.length === 1) return { name: 'dashboard', domain: a }
  if (b === 'settings' && parts.length <= 3) return { name: 'settings', domain: a, tab: c || 'general' }
  return { name: 'notfound' }
}

export function dashboardPath(domain) {
  return '/' + encodeURIComponent(domain)
}

export function settingsPath(domain, tab) {
  return '/' + encodeURIComponent(domain) + '/settings' + (tab ? '/' + tab : '')
}
