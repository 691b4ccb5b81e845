// The budget: what a page loads before it shows anything (index.html's
// script and stylesheet and the chunks they import statically) stays under
// 80 KB gzipped. Chunks loaded on demand (the settings pages) are counted
// apart, and so is the whole of dist/assets.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'

var BUDGET = 80 * 1024
var dist = new URL('../dist/', import.meta.url)
var read = name => readFileSync(new URL(name, dist))
var gz = name => gzipSync(read(name)).length

// The assets index.html loads, and the JS chunks they import statically.
export function firstLoad() {
  var html = read('index.html').toString()
  var names = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map(m => m[1])
  var seen = new Set(names)
  for (var i = 0; i < names.length; i++) {
    if (!names[i].endsWith('.js')) continue
    var js = read(names[i]).toString()
    for (var m of js.matchAll(/(?:\bfrom\s*|\bimport\s*)"\.\/([^"]+\.js)"/g)) {
      var dep = 'assets/' + m[1]
      if (!seen.has(dep)) {
        seen.add(dep)
        names.push(dep)
      }
    }
  }
  return names
}

var first = firstLoad()
var all = readdirSync(new URL('assets/', dist))
  .filter(f => /\.(js|css)$/.test(f))
  .map(f => 'assets/' + f)
var sum = list => list.reduce((n, f) => n + gz(f), 0)
var kb = n => (n / 1024).toFixed(1) + ' KB'

for (var f of all) console.log(`${f}: ${read(f).length} B raw, ${gz(f)} B gzipped${first.includes(f) ? ' (first load)' : ''}`)
console.log(`first load: ${kb(sum(first))} gzipped (budget ${kb(BUDGET)}); all JS+CSS: ${kb(sum(all))} gzipped`)

test('the first load is JS and CSS that exist', () => {
  assert.ok(first.some(f => f.endsWith('.js')) && first.some(f => f.endsWith('.css')), first.join(', '))
})

test(`the first load is under ${kb(BUDGET)} gzipped`, () => {
  var n = sum(first)
  assert.ok(n < BUDGET, `${kb(n)} gzipped: over the budget of ${kb(BUDGET)}`)
})

test('a dynamic import is not counted as first load', () => {
  var lazy = all.filter(f => !first.includes(f))
  for (var f of lazy) {
    // Loaded by the first load on demand, or by another chunk loaded on
    // demand (the messages those pages share).
    var importers = all.filter(x => x != f && x.endsWith('.js') && read(x).toString().includes(f.slice(7)))
    assert.ok(importers.length, `${f} is imported by nothing`)
    for (var x of importers.filter(x => first.includes(x)))
      assert.match(read(x).toString(), new RegExp('import\\("\\./' + f.slice(7).replace(/\./g, '\\.') + '"\\)'))
  }
})
