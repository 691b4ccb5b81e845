// Builds src/tracker.js into dist/script.js: `npm run build`.
// esbuild bundles src/ into one iife, terser shrinks it. test/dist.test.js
// calls script() to check dist/ is current.
import { build } from 'esbuild'
import { writeFileSync } from 'node:fs'
import { minify } from 'terser'
import { fileURLToPath } from 'node:url'

export var here = fileURLToPath(new URL('.', import.meta.url))

export var options = {
  entryPoints: [here + 'src/tracker.js'],
  bundle: true,
  write: false,
  format: 'iife',
  target: 'es2017',
  platform: 'browser',
  charset: 'utf8',
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
}

export var terser = {
  ecma: 2017,
  compress: { passes: 3 },
  mangle: true,
  format: { comments: false },
}

// The content of dist/script.js, built from src/ now.
export async function script() {
  var out = await build(options)
  var min = await minify(out.outputFiles[0].text, terser)
  return min.code
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(here + 'dist/script.js', await script())
}
