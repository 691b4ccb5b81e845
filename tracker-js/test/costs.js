// Prints what each feature adds to dist/script.js, gzip -9: the size of
// the build with every feature minus the build without that one
// (`node test/costs.js`; BENCHMARKS.md, "Tracker size").
import { gzipSync } from 'node:zlib'
import { variant } from '../build.js'
import { FEATURES } from '../src/features.js'

var size = async features => gzipSync(await variant(features), { level: 9 }).length
var all = Object.keys(FEATURES)
var full = await size(all)
console.log(`every feature: ${full} B`)
for (var f of all) console.log(`${f}: ${full - (await size(all.filter(x => x != f)))} B`)
console.log(`the core alone: ${await size([])} B`)
