// The world map, drawn once at build time: world-atlas's 110m countries,
// projected with d3-geo (Equal Earth) onto a small integer grid and written
// as one SVG path per country, keyed by ISO 3166-1 alpha-2 code. The bundle
// gets a module of path strings instead of topology + projection code.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { geoEqualEarth, geoPath } from 'd3-geo'
import { iso31661NumericToAlpha2 as numericToAlpha2 } from 'iso-3166/1-n-to-1-a2.js'
import { feature } from 'topojson-client'

var require = createRequire(import.meta.url)

export var WIDTH = 640
export var HEIGHT = 312

// A d3-geo path context that writes integer, relative SVG commands and drops
// points that land on the previous one after rounding.
function pathWriter() {
  var out = ''
  var x0 = 0
  var y0 = 0
  var started = false
  var ring = 0
  return {
    moveTo(x, y) {
      x = Math.round(x)
      y = Math.round(y)
      out += (started ? 'm' + num(x - x0, y - y0) : 'M' + x + ' ' + y)
      started = true
      x0 = x
      y0 = y
      ring = 0
    },
    lineTo(x, y) {
      x = Math.round(x)
      y = Math.round(y)
      if (x === x0 && y === y0) return
      out += (ring++ ? (x < x0 ? '' : ' ') : 'l') + num(x - x0, y - y0)
      x0 = x
      y0 = y
    },
    closePath() {
      out += 'z'
    },
    result() {
      var s = out
      out = ''
      started = false
      return s
    },
  }
}

// "3 -2" but "3-2": a minus sign separates numbers by itself.
function num(dx, dy) {
  return dx + (dy < 0 ? '' : ' ') + dy
}

export function worldPaths() {
  var topo = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8'))
  var countries = feature(topo, topo.objects.countries).features.filter(f => f.id !== '010') // no Antarctica
  var projection = geoEqualEarth().fitSize([WIDTH, HEIGHT], { type: 'FeatureCollection', features: countries })
  var writer = pathWriter()
  var path = geoPath(projection, writer)
  var out = []
  for (var f of countries) {
    path(f)
    var d = writer.result()
    // A ring shrunk to one point (tiny islands) draws nothing: drop it.
    d = d.replace(/[Mm]-?\d+[ -]?-?\d+z/g, m => (m[0] === 'M' ? m : ''))
    if (!d) continue
    var code = (f.id && numericToAlpha2[f.id]) || ''
    out.push([code, d])
  }
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return out
}

export function worldModule() {
  return 'export var W=' + WIDTH + ',H=' + HEIGHT + ';export default ' + JSON.stringify(worldPaths()) + ';'
}
