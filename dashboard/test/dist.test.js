// dist/ is committed (the Go binary embeds it and builds without node): it
// must be what `npm run build` makes of src/ now. And it must run under the
// server's Content-Security-Policy: no inline script or style, no eval.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, test } from 'node:test'
import { buildInto, here } from '../build.js'

// Every file under dir, as paths relative to it.
function list(dir, top = dir) {
  return readdirSync(dir)
    .flatMap(f => (statSync(join(dir, f)).isDirectory() ? list(join(dir, f), top) : [relative(top, join(dir, f))]))
    .sort()
}

var tmp = mkdtempSync(join(tmpdir(), 'sillage-dashboard-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

test('dist/ is up to date with src/ (else run `npm run build` and commit dist/)', async () => {
  await buildInto(tmp)
  var dist = join(here, 'dist')
  assert.deepEqual(list(dist), list(tmp), 'dist/ has other files than a fresh build: run `npm run build`')
  for (var f of list(tmp)) assert.ok(readFileSync(join(dist, f)).equals(readFileSync(join(tmp, f))), `dist/${f} is stale: run \`npm run build\``)
})

test('index.html has no inline script, style or handler', () => {
  var html = readFileSync(join(here, 'dist/index.html'), 'utf8')
  for (var m of html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
    assert.match(m[0], /\ssrc="\/assets\//, 'a script without src: ' + m[0])
    assert.equal(m[1].trim(), '', 'inline script: ' + m[0])
  }
  assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i)
  assert.doesNotMatch(html, /https?:\/\//, 'index.html loads nothing from another origin')
})

test('the bundle uses no eval, Function or other origin', () => {
  for (var f of readdirSync(join(here, 'dist/assets')).filter(f => /\.(js|css)$/.test(f))) {
    var code = readFileSync(join(here, 'dist/assets', f), 'utf8')
    assert.doesNotMatch(code, /\beval\(|\bnew Function\b|\bFunction\(\s*["'`]|setTimeout\(\s*["'`]|setAttribute\(\s*["']style["']/, f)
    assert.doesNotMatch(code, /@import|url\(\s*["']?https?:|\bfetch\(\s*["'`]https?:/, f + ' reaches another origin')
  }
})
