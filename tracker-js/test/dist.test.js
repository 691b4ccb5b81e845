// dist/script.js is committed (the Go binary embeds it and builds without
// node): it must be what `npm run build` makes of src/ now.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { here, script } from '../build.js'

test('dist/script.js is up to date with src/ (else run `npm run build`)', async () => {
  var want = await script()
  var have = readFileSync(join(here, 'dist/script.js'), 'utf8')
  assert.ok(have === want, 'dist/script.js is stale: run `npm run build` in tracker-js/ and commit dist/')
})

test('dist/script.js uses no eval, Function, inline handler or storage write', () => {
  var js = readFileSync(join(here, 'dist/script.js'), 'utf8')
  assert.doesNotMatch(js, /\beval\b|\bFunction\(|setTimeout\(["'`]|\bdocument\.cookie\b|\.cookie\s*=|setItem|sessionStorage/)
})
