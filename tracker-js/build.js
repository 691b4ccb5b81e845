// Builds src/tracker.js into dist/script.js: `npm run build`.
// test/dist.test.js builds with the same options to check dist/ is current.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

export var here = fileURLToPath(new URL('.', import.meta.url))

export var options = {
  entryPoints: [here + 'src/tracker.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2017',
  platform: 'browser',
  charset: 'utf8',
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build({ ...options, outfile: here + 'dist/script.js' })
}
