// The world map: one path per country, drawn at build time (build/world.js),
// shaded by visitors. The countries tab lists the same numbers for
// keyboards and screen readers; the map itself is for the eye and the
// mouse.
import { useState } from 'preact/hooks'
import paths, { W, H } from 'world:paths'
import { countryName, formatNumber } from '../lib/format.js'
import { useApp } from './common.jsx'

export function WorldMap({ data, onPick, busy }) {
  var { t, lang } = useApp()
  var [hover, setHover] = useState(null)
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
