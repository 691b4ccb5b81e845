// Names of ISO 3166-2 regions (lib/regions.js, generated from Debian's
// iso-codes), loaded on demand: the table is 56 KB gzipped, kept out of
// the first load. Until it arrives a region shows as its code.
import { useEffect, useState } from 'preact/hooks'

var names = null
var loading = null

export function regionName(code, lang) {
  if (!names || !code) return code
  return (lang === 'fr' && names.fr[code]) || names.en[code] || code
}

export function loadRegions() {
  if (!loading) loading = import('./regions.js').then(m => (names = m))
  return loading
}

// Loads the names when `need` holds, and renders again once they are here.
export function useRegions(need) {
  var [, setReady] = useState(!!names)
  useEffect(() => {
    if (need && !names) loadRegions().then(() => setReady(true))
  }, [need])
}
