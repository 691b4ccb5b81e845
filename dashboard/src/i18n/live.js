// The live view's messages, loaded with it (src/ui/live.jsx), which the
// dashboard adds to its dictionaries: the first load does not carry them.
export var MESSAGES = { en: {}, fr: {} }

Object.assign(MESSAGES.en, {
  'live.title': 'Live: the last 30 minutes',
  'live.current': { one: 'visitor in the last 5 minutes', other: 'visitors in the last 5 minutes' },
  'live.visitors30': { one: '{n} visitor in 30 minutes', other: '{n} visitors in 30 minutes' },
  'live.pageviews30': { one: '{n} pageview', other: '{n} pageviews' },
  'live.updated': 'Updated at {time}',
  'live.stale': 'Could not refresh ({message}); these are the figures of {time}.',
  'live.graph': 'Visitors per minute, the last 30 minutes',
  'live.minute': '{time}: {visitors} visitors, {pageviews} pageviews',
  'live.pages': 'Pages',
  'live.sources': 'Sources',
  'live.countries': 'Countries',
  'live.none': 'Nobody in the last 30 minutes.',
  'live.filtersIgnored': 'Filters do not apply to the live view: it shows the whole site.',
  'live.now': 'now',
  'live.ago': '{n} min ago',
})

Object.assign(MESSAGES.fr, {
  'live.title': 'En direct : les 30 dernières minutes',
  'live.current': { one: 'visiteur ces 5 dernières minutes', other: 'visiteurs ces 5 dernières minutes' },
  'live.visitors30': { one: '{n} visiteur en 30 minutes', other: '{n} visiteurs en 30 minutes' },
  'live.pageviews30': { one: '{n} page vue', other: '{n} pages vues' },
  'live.updated': 'Mis à jour à {time}',
  'live.stale': 'Actualisation impossible ({message}) ; voici les chiffres de {time}.',
  'live.graph': 'Visiteurs par minute, les 30 dernières minutes',
  'live.minute': '{time} : {visitors} visiteurs, {pageviews} pages vues',
  'live.pages': 'Pages',
  'live.sources': 'Sources',
  'live.countries': 'Pays',
  'live.none': 'Personne ces 30 dernières minutes.',
  'live.filtersIgnored': 'Les filtres ne s’appliquent pas au direct : il montre tout le site.',
  'live.now': 'maintenant',
  'live.ago': 'il y a {n} min',
})
