// dist/ is committed (the Go binary embeds it and builds without node):
// every variant must be what `npm run build` makes of src/ now.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { here, variants } from '../build.js'

test('dist/ is up to date with src/ (else run `npm run build`)', async () => {
  var want = await variants()
  assert.deepEqual(readdirSync(join(here, 'dist')).filter(f => f.endsWith('.js')).sort(), Object.keys(want).sort())
  for (var [name, code] of Object.entries(want)) {
    var have = readFileSync(join(here, 'dist', name), 'utf8')
    assert.ok(have === code, `dist/${name} is stale: run \`npm run build\` in tracker-js/ and commit dist/`)
  }
})

test('no variant uses eval, Function, an inline handler or a storage write', () => {
  for (var f of readdirSync(join(here, 'dist')).filter(f => f.endsWith('.js'))) {
    var js = readFileSync(join(here, 'dist', f), 'utf8')
    assert.doesNotMatch(js, /\beval\b|\bFunction\(|setTimeout\(["'`]|\bdocument\.cookie\b|\.cookie\s*=|setItem|sessionStorage/, f)
    // The collector bakes a site's options in by replacing this literal.
    assert.equal(js.split('{_o:0,').length, 2, `${f} must hold the options placeholder {_o:0, once`)
  }
})
