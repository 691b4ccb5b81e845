// What a failed request tells the reader, in the reader's language. The
// server's own sentence is kept where it says something only it knows
// (a refused value, a conflict); a lost connection, a busy or failing
// server and an oversized request are told in the reader's words.

// errorSentence returns the text of a failure: status 0 for a request
// that got no answer, serverText the server's sentence (or ''), retryAfter
// its Retry-After header (or null), t the reader's translations.
export function errorSentence(status, serverText, retryAfter, t) {
  if (status === 0) return t('error.network')
  if (status === 429) {
    var seconds = Number(retryAfter)
    return seconds > 0 ? t('error.busyFor', { count: Math.ceil(seconds) }) : t('error.busy')
  }
  if (status === 413) return t('error.tooLarge')
  if (status >= 500) return t('error.server', { status })
  if (status === 403 && (!serverText || /^this needs the \w+ role\b|^forbidden$|^not allowed$/i.test(serverText))) return t('error.forbidden')
  return serverText || t('error.status', { status })
}
