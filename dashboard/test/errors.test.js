import assert from 'node:assert/strict'
import { test } from 'node:test'
import { errorSentence } from '../src/lib/errors.js'
import { makeT } from '../src/lib/i18n.js'

test('failures in the reader’s language; the server’s own sentences kept', () => {
  var fr = makeT('fr')
  var en = makeT('en')
  for (var [status, server, retry, want] of [
    [0, '', null, 'Le serveur est injoignable. Vérifiez votre connexion, puis réessayez.'],
    [429, 'too many stats queries: wait for your turn', '3', 'Trop de demandes à la fois. Réessayez dans 3 secondes.'],
    [429, '', null, 'Trop de demandes à la fois. Réessayez dans un instant.'],
    [503, 'engine unavailable', null, 'Le serveur n’a pas pu répondre (erreur 503). Réessayez dans un instant.'],
    [413, 'query larger than 64 KiB', null, 'C’est trop volumineux pour le serveur.'],
    [403, 'this needs the admin role', null, fr('error.forbidden')],
    [403, '', null, fr('error.forbidden')],
    [404, '', null, 'Le serveur a refusé (erreur 404).'],
    [409, 'segment "Mobile" is used by the monthly report', null, 'segment "Mobile" is used by the monthly report'],
  ]) {
    assert.equal(errorSentence(status, server, retry, fr), want, `${status} ${server}`)
  }
  assert.equal(errorSentence(429, '', '1', en), 'Too many requests at once. Try again in 1 second.')
  assert.equal(errorSentence(500, 'boom', null, en), 'The server could not answer (error 500). Try again in a moment.')
})
