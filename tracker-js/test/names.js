// Prints how many bytes the names of dist/script.js take gzipped by
// themselves (`node test/names.js`): its string literals, regular
// expressions, property names of three letters or more, object keys, and
// the browser globals it reads, space-separated, gzip -9. A lower bound
// for the script's size that no rewrite of its code can go below
// (BENCHMARKS.md, "Tracker size"). An estimate: the separators cost a few
// bytes, and a name gzip would find inside the code is counted once here.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

var js = readFileSync(new URL('../dist/script.js', import.meta.url), 'utf8')
var GLOBALS =
  'window|document|location|navigator|addEventListener|localStorage|history|console|setTimeout|fetch|scrollY|innerHeight|Math|JSON|Object|RegExp|URL|Date|Cypress|_phantom|__nightmare'
var names = js.match(new RegExp(`"[^"]*"|'[^']*'|\\.[a-zA-Z_$][\\w$]{2,}|\\b(?:${GLOBALS})\\b|[a-zA-Z]{3,}(?="?:)`, 'g'))
// The regular expression literals (the pattern above does not read them).
var regexps = js.match(/(?<=[(,=:?|&!])\/(?:\\.|\[[^\]]*\]|[^/\\\n[])+\/[gi]*/g) || []
var all = [...names, ...regexps].join(' ')
console.log(`${names.length} names and ${regexps.length} regular expressions: ${all.length} B raw, ${gzipSync(all, { level: 9 }).length} B gzip -9`)
console.log(`dist/script.js: ${js.length} B raw, ${gzipSync(js, { level: 9 }).length} B gzip -9`)
