// The main graph: the chosen metric over time, drawn by uPlot, with the
// comparison period behind it. Points sit at indexes 0..n-1 and the axis
// shows the server's time labels, so no time zone is ever applied to them.
// Clicking a point zooms to it. As in Plausible, the bucket still filling
// and the weeks or months the range cuts are drawn dashed, and buckets
// still to come are not drawn (no fall to zero). A table with the same numbers is there for
// screen readers.
import uPlot from 'uplot'
import { useEffect, useRef, useState } from 'preact/hooks'
import { bucketState } from '../lib/dates.js'
import { formatLabel, formatMetric } from '../lib/format.js'
import { useApp } from './common.jsx'
import { LazyNoteLayer } from './notes.jsx'

var HEIGHT = 260
var COUNTS = { visitors: true, visits: true, pageviews: true, events: true }
var WHOLE = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2500, 5e3, 1e4, 2e4, 25e3, 5e4, 1e5, 2e5, 25e4, 5e5, 1e6, 2e6, 5e6, 1e7, 1e8, 1e9]

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim()
}

export function Graph({ series, metric, interval, lang, onZoom, busy, compare, importsEnd, notes, now, from, to }) {
  var { t, theme } = useApp()
  var box = useRef()
  var plot = useRef()
  var [hover, setHover] = useState(null)
  var [geom, setGeom] = useState(null)
  var zoomRef = useRef(onZoom)
  zoomRef.current = onZoom

  useEffect(() => {
    if (!series || !box.current) return
    var labels = series.labels
    var n = labels.length
    var xs = labels.map((_, i) => i)
    var text = cssVar('--muted')
    var grid = cssVar('--line')
    var accent = cssVar('--accent')
    var fill = cssVar('--accent-soft')
    var other = cssVar('--compare')
    var fmtY = v => formatMetric(metric, v, lang)
    var st = bucketState(labels, interval, now || '', from, to)
    var solid = series.values.slice()
    var dashed = labels.map(() => null)
    for (var i = st.future; i < n; i++) solid[i] = null
    for (var k of st.current >= 0 ? [...st.partial, st.current] : st.partial) {
      // The segments into and out of an unfinished bucket are dashed.
      solid[k] = null
      for (var j of [k - 1, k, k + 1]) if (j >= 0 && j < st.future) dashed[j] = series.values[j]
    }
    box.current.dataset.current = String(st.current)
    box.current.dataset.future = String(st.future)
    box.current.dataset.partial = st.partial.join(',')
    var data = [xs, series.compared || labels.map(() => null), solid, dashed]
    var opts = {
      width: Math.max(280, box.current.clientWidth),
      height: HEIGHT,
      padding: [12, 24, 0, 4],
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 8 } },
      scales: {
        x: { time: false, range: (u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        {
          stroke: text,
          grid: { show: false },
          ticks: { stroke: grid },
          incrs: [1, 2, 3, 4, 6, 7, 12, 14, 24, 30, 48, 60, 90, 120, 180, 365],
          space: 60,
          values: (u, splits) => splits.map(i => (Number.isInteger(i) && labels[i] !== undefined ? formatLabel(labels[i], interval, lang) : '')),
        },
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          size: 56,
          // Counts step by whole numbers: no 0.2 visitor on a quiet day.
          incrs: COUNTS[metric] ? WHOLE : undefined,
          values: (u, splits) => splits.map(fmtY),
        },
      ],
      series: [
        {},
        { label: 'compare', stroke: other, width: 1.5, dash: [5, 4], points: { show: false }, spanGaps: true },
        { label: metric, stroke: accent, width: 2, fill, points: { show: n < 60, size: 5, fill: accent } },
        { label: 'partial', stroke: accent, width: 2, dash: [6, 5], points: { show: n < 60, size: 5, fill: accent } },
      ],
      hooks: {
        setCursor: [u => setHover(u.cursor.idx === null || u.cursor.idx === undefined ? null : u.cursor.idx)],
        // A dashed line after the last bucket of imported data.
        draw: [
          // The y axis's labels, for whoever checks them (canvas has no text).
          u => box.current && (box.current.dataset.yTicks = (u.axes[1]._values || []).join('|')),
          // Where the points lie, for the annotations' layer (notelayer.jsx).
          u => setGeom({ left: u.over.offsetLeft, top: u.over.offsetTop, width: u.over.clientWidth, height: u.over.clientHeight, min: u.scales.x.min, max: u.scales.x.max }),
          u => {
            if (!importsEnd) return
            var last = -1
            labels.forEach((l, i) => {
              if (String(l).slice(0, 10) <= importsEnd) last = i
            })
            if (last < 0 || last >= n - 1) return
            var x = u.valToPos(last + 0.5, 'x', true)
            var ctx = u.ctx
            ctx.save()
            ctx.strokeStyle = text
            ctx.setLineDash([4, 4])
            ctx.lineWidth = 1
            ctx.beginPath()
            ctx.moveTo(x, u.bbox.top)
            ctx.lineTo(x, u.bbox.top + u.bbox.height)
            ctx.stroke()
            ctx.restore()
          },
        ],
      },
    }
    var u = new uPlot(opts, data, box.current)
    plot.current = u
    var click = () => {
      var i = u.cursor.idx
      if (i !== null && i !== undefined && labels[i] !== undefined) zoomRef.current(labels[i])
    }
    u.over.addEventListener('click', click)
    u.over.classList.add(interval === 'hour' ? 'no-zoom' : 'zoomable')
    var ro = new ResizeObserver(() => {
      var w = Math.max(280, box.current ? box.current.clientWidth : 0)
      if (w !== u.width) u.setSize({ width: w, height: HEIGHT })
    })
    ro.observe(box.current)
    return () => {
      ro.disconnect()
      u.destroy()
      plot.current = null
    }
  }, [series, metric, interval, lang, theme, importsEnd, now, from, to])

  var state = series ? bucketState(series.labels, interval, now || '', from, to) : null

  var tip = null
  if (series && hover !== null && series.labels[hover] !== undefined) {
    var c = series.compared && series.compared[hover]
    tip = (
      <div class="graph-tip" aria-hidden="true">
        <strong>
          {formatLabel(series.labels[hover], interval, lang, true)}
          {hover === state.current ? <small> ({t('graph.unfinished')})</small> : state.partial.includes(hover) ? <small> ({t('graph.partial')})</small> : null}
        </strong>
        <span>
          <i class="swatch sw-cur" /> {formatMetric(metric, series.values[hover], lang, { compact: false })}
        </span>
        {series.compared && (
          <span>
            <i class="swatch sw-cmp" /> {c === null || c === undefined ? '–' : formatMetric(metric, c, lang, { compact: false })}
            {series.comparedLabels[hover] && <small> ({formatLabel(series.comparedLabels[hover], interval, lang, true)})</small>}
          </span>
        )}
      </div>
    )
  }

  return (
    <div class={'graph' + (busy ? ' busy' : '')} aria-busy={busy ? 'true' : 'false'}>
      <div class="graph-tip-row">
        {tip || (
          <span class="muted small" aria-hidden="true">
            {interval === 'hour' ? t('graph.hint') : t('graph.zoomHint')}
          </span>
        )}
        {compare && series && series.compared && (
          <span class="legend" aria-hidden="true">
            <i class="swatch sw-cur" /> {t('graph.current')} <i class="swatch sw-cmp" /> {t('compare.' + compare)}
          </span>
        )}
      </div>
      <div class="graph-wrap">
        {series ? <div ref={box} class="graph-box" data-points={series.labels.length} /> : <div class="graph-box skeleton" />}
        {series && geom && notes && notes.length > 0 && <LazyNoteLayer notes={notes} labels={series.labels} interval={interval} lang={lang} geom={geom} />}
      </div>
      {series && (
        <div class="sr-only">
        <table>
          <caption>{t('graph.table', { metric: t('metric.' + metric) })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('graph.time')}</th>
              <th scope="col">{t('metric.' + metric)}</th>
              {series.compared && <th scope="col">{t('graph.compared')}</th>}
            </tr>
          </thead>
          <tbody>
            {series.labels.map((l, i) => (
              <tr key={l}>
                <th scope="row">{formatLabel(l, interval, lang, true)}</th>
                <td>{formatMetric(metric, series.values[i], lang, { compact: false })}</td>
                {series.compared && <td>{formatMetric(metric, series.compared[i], lang, { compact: false })}</td>}
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </div>
  )
}

