// Builds src/ into every variant of dist/: `npm run build`.
// esbuild bundles src/tracker.js into one iife with each feature's flag
// (src/features.js) set by `define`, so a feature that is off is dead code;
// terser shrinks it. test/dist.test.js calls variants() to check dist/ is
// current.
//
// The variants, named by their features (the collector, collector/script.go,
// reads the features from the names, and serves the smallest variant that
// holds what a request asks for):
//   core.js                   the core alone
//   core+<f>.js               the core and one feature, for each feature
//   core+engagement+<f>.js    the same with engagement, which Plausible's
//                             legacy scripts always carry
//   script.js                 every feature, configured by attributes
import { build } from 'esbuild'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { minify } from 'terser'
import { fileURLToPath } from 'node:url'
import { FEATURES } from './src/features.js'

export var here = fileURLToPath(new URL('.', import.meta.url))

export var options = {
  entryPoints: [here + 'src/tracker.js'],
  bundle: true,
  write: false,
  format: 'iife',
  target: 'es2018',
  platform: 'browser',
  charset: 'utf8',
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
}

export var terser = {
  ecma: 2018,
  compress: { passes: 3 },
  mangle: true,
  format: { comments: false },
}

var NAMES = Object.keys(FEATURES)

// The variants to build: file name -> features.
export function variantList() {
  var list = { 'core.js': [] }
  for (var f of NAMES) list['core+' + f + '.js'] = [f]
  for (var f of NAMES) if (f != 'engagement') list['core+engagement+' + f + '.js'] = ['engagement', f]
  list['script.js'] = NAMES
  return list
}

// The minified tracker with `features` on.
export async function variant(features) {
  var define = {}
  for (var f of NAMES) define[FEATURES[f].flag] = String(features.includes(f))
  var out = await build({ ...options, define })
  var min = await minify(out.outputFiles[0].text, terser)
  if (min.code.split('{_o:0,').length != 2) throw new Error('the options placeholder {_o:0, is not in the build once')
  return min.code
}

// Every variant: file name -> content.
export async function variants() {
  var out = {}
  for (var [name, features] of Object.entries(variantList())) out[name] = await variant(features)
  return out
}

// Kept for the tests that read the full script.
export async function script() {
  return variant(NAMES)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  var all = await variants()
  mkdirSync(here + 'dist', { recursive: true })
  for (var f of readdirSync(here + 'dist')) if (f.endsWith('.js') && !(f in all)) rmSync(here + 'dist/' + f)
  for (var [name, code] of Object.entries(all)) writeFileSync(here + 'dist/' + name, code)
}
