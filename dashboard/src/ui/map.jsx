// The world map: one path per country, drawn at build time (build/world.js),
// shaded by visitors. The countries tab lists the same numbers for
// keyboards and screen readers; the map itself is for the eye and the
// mouse. The paths load on demand, beside the countries' numbers: they
// weigh as much as a seventh of the first load, and sit below the fold.
import { useEffect, useState } from 'preact/hooks'
import { countryName, formatNumber } from '../lib/format.js'
import { useApp } from './common.jsx'

var world = null

function useWorld() {
  var [w, setW] = useState(world)
  useEffect(() => {
    if (!w) import('world:paths').then(m => setW((world = { paths: m.default, W: m.W, H: m.H })))
  }, [])
  return w
}

export function WorldMap({ data, onPick, busy }) {
  var { t, lang } = useApp()
  var [hover, setHover] = useState(null)
  var w = useWorld()
  // Until they arrive, an empty map of the same size keeps the page still.
  if (!w) return <div class="map-wrap busy" aria-busy="true"><svg viewBox="0 0 640 312" class="map" /></div>
  var { paths, W, H } = w
  var max = Math.max(1, ...data.values())
  var total = [...data.values()].reduce((a, b) => a + b, 0)
  return (
    <div class={'map-wrap' + (busy ? ' busy' : '')}>
      <svg viewBox={`0 0 ${W} ${H}`} class="map" role="img" aria-label={t('map.label', { count: data.size })} onMouseLeave={() => setHover(null)}>
        {paths.map(([code, d], i) => {
          var v = data.get(code) || 0
          return (
            <path
              key={i}
              d={d}
              class={v ? 'land has' : 'land'}
              fill-opacity={v ? (0.25 + (0.75 * v) / max).toFixed(2) : undefined}
              onMouseEnter={() => code && setHover(code)}
              onClick={() => v && onPick(code)}
              data-country={code || undefined}
            />
          )
        })}
      </svg>
      <p class="map-tip" aria-hidden="true">
        {hover ? (
          <>
            <img class="flag" src={'/flags/' + hover.toLowerCase() + '.svg'} alt="" width="16" height="12" /> {countryName(hover, lang)}: <strong>{formatNumber(data.get(hover) || 0, lang, 0)}</strong> {t('map.visitors', { count: data.get(hover) || 0 })}
          </>
        ) : total ? (
          t('map.hint')
        ) : (
          ''
        )}
      </p>
    </div>
  )
}
