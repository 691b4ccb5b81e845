import assert from 'node:assert/strict'
import { test } from 'node:test'
import { route, settingsPath } from '../src/lib/routes.js'

test('every path the server sends to the dashboard has its page', () => {
  assert.deepEqual(route('/'), { name: 'home' })
  assert.deepEqual(route('/login'), { name: 'login' })
  assert.deepEqual(route('/setup'), { name: 'setup' })
  assert.deepEqual(route('/forgot'), { name: 'forgot' })
  assert.deepEqual(route('/sites'), { name: 'sites' })
  assert.deepEqual(route('/sites/new'), { name: 'newsite' })
  assert.deepEqual(route('/example.fr'), { name: 'dashboard', domain: 'example.fr' })
  assert.deepEqual(route('/example.fr/'), { name: 'dashboard', domain: 'example.fr' })
  assert.deepEqual(route('/example.fr/settings'), { name: 'settings', domain: 'example.fr', tab: 'general' })
  assert.deepEqual(route('/example.fr/settings/goals'), { name: 'settings', domain: 'example.fr', tab: 'goals' })
  assert.deepEqual(route('/share/AbC123'), { name: 'share', slug: 'AbC123' })
  assert.deepEqual(route('/unsubscribe/Tok_en-1'), { name: 'unsubscribe', token: 'Tok_en-1' })
  assert.deepEqual(route('/example.fr/settings/reports'), { name: 'settings', domain: 'example.fr', tab: 'reports' })
  assert.deepEqual(route('/example.fr/nope'), { name: 'notfound' })
  assert.deepEqual(route('/sites/new/x'), { name: 'notfound' })
  assert.deepEqual(route('/%E0%A4%A'), { name: 'notfound' })
  assert.equal(settingsPath('example.fr', 'shared-links'), '/example.fr/settings/shared-links')
})
