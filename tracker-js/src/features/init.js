// Plausible's plausible.init(options), in the tracker's own settings (the
// names of its data-* attributes, as in dataset): `o` is read into `D`,
// which is returned. Options whose value is false or absent change nothing.
//   domain, endpoint            data-domain, data-api
//   hashBasedRouting            data-hash
//   outboundLinks               data-outbound-links
//   fileDownloads               data-file-downloads: true for the default
//                               list, {fileExtensions: ['pdf', …]} a list
//   formSubmissions, trackForms data-forms
//   captureOnLocalhost          data-allow-localhost
//   autoCapturePageviews: false data-manual
//   customProperties            props for every event, or a function of the
//                               event's name that returns them
//   transformRequest            a function of each event's payload that
//                               returns the payload to send, or a falsy
//                               value to send nothing
//   logging: false              no console warning for ignored events
//   bindToWindow: false         window.plausible is left alone
export var init = (o, D) => {
  if (o) {
    if (o.domain) D.domain = o.domain
    if (o.endpoint) D.api = o.endpoint
    if (o.hashBasedRouting) D.hash = ''
    if (o.outboundLinks) D.outboundLinks = ''
    if (o.fileDownloads) D.fileDownloads = [o.fileDownloads.fileExtensions || ''] + ''
    if (o.formSubmissions || o.trackForms) D.forms = ''
    if (o.captureOnLocalhost) D.allowLocalhost = ''
    if (o.autoCapturePageviews === !1) D.manual = ''
    if (o.customProperties) D.cp = o.customProperties
    if (o.transformRequest) D.tr = o.transformRequest
    if (o.logging === !1) D.L = ''
    if (o.bindToWindow === !1) D.B = ''
  }
  return D
}
