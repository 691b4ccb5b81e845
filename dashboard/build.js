// Builds src/ into dist/: `npm run build`.
//
// dist/index.html            the page every dashboard route serves
// dist/assets/app.HASH.js    the application, bundled and minified (esbuild)
// dist/assets/app.HASH.css   its styles (uPlot's included)
// dist/assets/chunk.HASH.js  code loaded on demand (the settings pages)
// dist/assets/icon.HASH.svg
//
// Asset names carry a hash of their content, so the server caches them
// forever. The world map's paths are made here (build/world.js) and reach
// the bundle as the module 'world:paths'. test/dist.test.js builds into a
// temporary folder and compares it with dist/.
import { build as esbuild } from 'esbuild'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { worldModule } from './build/world.js'

export var here = fileURLToPath(new URL('.', import.meta.url))

var world = {
  name: 'world',
  setup(b) {
    b.onResolve({ filter: /^world:paths$/ }, () => ({ path: 'world', namespace: 'world' }))
    b.onLoad({ filter: /.*/, namespace: 'world' }, () => ({ contents: worldModule(), loader: 'js' }))
  },
}

export var options = {
  entryPoints: { app: join(here, 'src/main.jsx') },
  bundle: true,
  write: false,
  metafile: true,
  outdir: join(here, 'dist/assets'),
  entryNames: '[name].[hash]',
  chunkNames: 'chunk.[hash]',
  splitting: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  charset: 'utf8',
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
  plugins: [world],
}

function hashed(name, ext, content) {
  return name + '.' + createHash('sha256').update(content).digest('hex').slice(0, 10) + '.' + ext
}

// Every file of dist/, by path relative to it, and `firstLoad`: the assets
// the page loads before anything is shown (the entry, the chunks it imports
// statically, its CSS), as opposed to chunks loaded on demand.
export async function files() {
  var out = await esbuild(options)
  var outdir = options.outdir
  var rel = p => 'assets/' + relative(outdir, p).split(sep).join('/')
  var all = {}
  for (var f of out.outputFiles) all[rel(f.path)] = Buffer.from(f.contents)
  var outputs = out.metafile.outputs
  // Chunks loaded on demand are entry points too in the metafile: the
  // application's is the one with its stylesheet.
  var entryKey = Object.keys(outputs).find(k => outputs[k].entryPoint && outputs[k].cssBundle && k.endsWith('.js'))
  var entry = outputs[entryKey]
  var abs = k => resolve(process.cwd(), k)
  var firstLoad = new Set([rel(abs(entryKey)), rel(abs(entry.cssBundle))])
  var walk = k => {
    for (var imp of outputs[k].imports) {
      if (imp.kind !== 'import-statement' || imp.external) continue
      var name = rel(abs(imp.path))
      if (!firstLoad.has(name)) {
        firstLoad.add(name)
        walk(imp.path)
      }
    }
  }
  walk(entryKey)
  var icon = readFileSync(join(here, 'src/favicon.svg'))
  var names = { js: rel(abs(entryKey)).slice(7), css: rel(abs(entry.cssBundle)).slice(7), favicon: hashed('icon', 'svg', icon) }
  all['assets/' + names.favicon] = icon
  // Country flags (flag-icons, MIT), served as files: a page fetches only
  // the flags it shows, none of them in the first load.
  var flagsDir = join(here, 'node_modules/flag-icons/flags/4x3')
  for (var f of readdirSync(flagsDir).sort()) if (/^[a-z]{2}\.svg$/.test(f)) all['flags/' + f] = readFileSync(join(flagsDir, f))
  all['index.html'] = Buffer.from(readFileSync(join(here, 'src/index.html'), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k) => names[k]))
  return { files: all, firstLoad: [...firstLoad] }
}

export async function buildInto(dir) {
  var { files: all, firstLoad } = await files()
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'assets'), { recursive: true })
  mkdirSync(join(dir, 'flags'), { recursive: true })
  for (var [name, content] of Object.entries(all)) writeFileSync(join(dir, name), content)
  return { files: all, firstLoad }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  var { files: all, firstLoad } = await buildInto(join(here, 'dist'))
  for (var name of Object.keys(all).sort()) console.log('dist/' + name, all[name].length, 'B' + (firstLoad.includes(name) ? ' (first load)' : ''))
}
