// The tracker's features. Each is a compile-time flag (esbuild's define):
// build.js sets F_<NAME> to true or false for each variant, and the code of a
// feature that is off is dead code, dropped by esbuild and terser. The core
// (pageviews, SPA history, the JS API and its queue, exclusions, the rules
// that send nothing: localhost, automation, opt-out) is always in.
//
// Its Plausible name is the legacy script extension that turns it on
// (/js/script.hash.outbound-links.js); the collector reads the same table
// (collector/script.go) from dist/variants.json.
export var FEATURES = {
  hash: { flag: 'F_HASH', plausible: 'hash', what: 'hash-based routing (data-hash)' },
  outbound: { flag: 'F_OUTBOUND', plausible: 'outbound-links', what: 'outbound link clicks (data-outbound-links)' },
  downloads: { flag: 'F_DOWNLOADS', plausible: 'file-downloads', what: 'file download clicks (data-file-downloads)' },
  forms: { flag: 'F_FORMS', what: 'form submissions (data-forms)' },
  tagged: { flag: 'F_TAGGED', plausible: 'tagged-events', what: 'clicks on elements tagged with sillage-event-*/plausible-event-* classes' },
  revenue: { flag: 'F_REVENUE', plausible: 'revenue', what: 'revenue sent with events' },
  engagement: { flag: 'F_ENGAGEMENT', what: 'engagement events: scroll depth and time on page' },
  notfound: { flag: 'F_NOTFOUND', what: "sillage('404') with the page's path" },
  props: { flag: 'F_PROPS', plausible: 'pageview-props', what: 'properties on the script tag (data-props-*, event-*) and customProperties' },
  init: { flag: 'F_INIT', what: "Plausible's plausible.init(options) (customProperties, transformRequest, logging, bindToWindow…) and the url event option" },
  retry: { flag: 'F_RETRY', what: 'events answered 429, 502-504 or lost are sent again' },
}
