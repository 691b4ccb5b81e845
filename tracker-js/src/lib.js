// Pure helpers of the tracker: no DOM, no globals, no side effects.
// tracker.js imports them and esbuild inlines them into dist/script.js;
// test/lib.test.js imports this file directly.
//
// Every byte here ships to every visitor of every site: keep it tight.

// Extensions that `data-file-downloads` tracks when given no value.
export var DOWNLOADS =
  'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg,iso,msi'

// A RegExp for the comma-separated path patterns of `data-exclude`
// ("/admin/*, /preview/**"): each is anchored at both ends (a trailing
// slash allowed, as the collector drops it), `*` stands for anything within
// one path segment, `**` for anything at all, every other character (but
// spaces, dropped) for itself.
export var exclusion = s =>
  RegExp(
    '^(' +
      (
        s
          .replace(/\s/g, '')
          .replace(/[^\w*/,-]/g, '\\$&')
          .replace(/\*\*?/g, m => (m[1] ? '.*' : '[^/]*'))
          .match(/[^,]+/g) || ['$^']
      ).join('|') +
      ')/?$'
  )

// A RegExp testing whether a path ends in one of the extensions listed in
// `s` ("pdf, zip" or ".pdf,.zip"), whatever their case; none when `s`
// lists none.
export var extensions = s => RegExp('\\.(' + (s.match(/\w+/g) || ['$^']).join('|') + ')$', 'i')

// Reads a class attribute such as
//   "btn sillage-event-name=Signup sillage-event-plan=Pro+yearly"
// (or Plausible's plausible-event-…, with = or --) into the event's name,
// 'Signup', returned (undefined when none is given), and its properties,
// set in `p`: {plan: 'Pro yearly'} ('+' stands for a space).
export var tagged = (c, p, n) => (
  (c + '').replace(/(?:sillage|plausible)-event-([^\s=]+?)(?:=|--)(\S+)/g, (_, k, v) => {
    v = v.replace(/\+/g, ' ')
    k == 'name' ? (n = v) : (p[k] = v)
  }),
  n
)

// The same, with the revenue feature: revenue classes too,
// plausible-revenue-KEY=value (or sillage-revenue-…), give `o.revenue`
// ({amount: '29.90', currency: 'EUR'}), unset when there are none.
export var taggedRevenue = (c, p, o, n) => (
  (c + '').replace(/(?:sillage|plausible)-(event|revenue)-([^\s=]+?)(?:=|--)(\S+)/g, (_, t, k, v) => {
    v = v.replace(/\+/g, ' ')
    t > 'f' ? ((o.revenue = o.revenue || {})[k] = v) : k == 'name' ? (n = v) : (p[k] = v)
  }),
  n
)
