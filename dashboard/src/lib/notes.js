// Annotations on the graph: which buckets a note covers. A bucket starts
// at its label's day and ends the day before the next label (the last one
// ends with its interval), so a note on a day marks the hour, day, week or
// month holding it.

import { addDays, endOfMonth } from './dates.js'

export function bucketDays(labels, interval) {
  var starts = labels.map(l => String(l).slice(0, 10))
  return starts.map((s, i) => {
    var end
    if (i + 1 < starts.length) end = starts[i + 1] > s ? addDays(starts[i + 1], -1) : s
    else if (interval === 'week') end = addDays(s, 6 - ((new Date(s + 'T00:00:00Z').getUTCDay() + 6) % 7))
    else if (interval === 'month') end = endOfMonth(s)
    else end = s
    return [s, end]
  })
}

// Marks groups the notes by the first bucket they touch: [{first, last,
// notes}] in bucket order; notes outside the graph are left out.
export function noteMarks(notes, labels, interval) {
  var buckets = bucketDays(labels, interval)
  var byFirst = new Map()
  for (var n of notes || []) {
    var first = -1
    var last = -1
    buckets.forEach(([s, e], i) => {
      if (s <= n.to && e >= n.from) {
        if (first < 0) first = i
        last = i
      }
    })
    if (first < 0) continue
    var m = byFirst.get(first)
    if (!m) byFirst.set(first, (m = { first, last, notes: [] }))
    m.last = Math.max(m.last, last)
    m.notes.push(n)
  }
  return [...byFirst.values()].sort((a, b) => a.first - b.first)
}
