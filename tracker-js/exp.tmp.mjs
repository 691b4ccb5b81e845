import { build } from 'esbuild'
import { minify } from 'terser'
import { gzipSync } from 'node:zlib'
import { options, terser } from '/work/wt-tracker/tracker-js/build.js'
var out = await build({ ...options, entryPoints: [process.argv[2]] })
var min = (await minify(out.outputFiles[0].text, terser)).code
console.log(process.argv[2], min.length, gzipSync(min, { level: 9 }).length)
if (process.argv[3]) console.log(min)
