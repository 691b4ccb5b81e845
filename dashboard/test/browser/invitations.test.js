// Invitations in headless Chromium against the real server binary: the
// inviter copies a link (never a password); a new person opens it and
// chooses a password; an existing account logs in, then accepts.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { launch, login, newPage, settle, shot, SITE, startServer } from './harness.js'

var server
var browser
var owner
var pages = []

before(async () => {
  server = await startServer()
  browser = await launch()
  owner = await fresh()
  await login(owner, server)
})

after(async () => {
  for (var p of pages) assert.deepEqual(p.problems, [], 'a page broke its CSP, threw, or reached another origin')
  if (browser) await browser.close()
  if (server) await server.stop()
})

async function fresh() {
  var p = await newPage(browser, server, { viewport: { width: 1100, height: 900 } })
  pages.push(p)
  return p
}

// Invites an email from a site's members tab; returns the copied link.
async function invite(domain, email, role) {
  await owner.goto(server.url + '/' + domain + '/settings/members')
  await settle(owner)
  await owner.getByLabel('Email').fill(email)
  await owner.getByLabel('Role').selectOption(role)
  await owner.getByRole('button', { name: 'Add a member' }).click()
  var answer = owner.waitForResponse(r => r.url().endsWith('/members') && r.request().method() === 'POST')
  await owner.getByRole('dialog').locator('[data-confirm]').click()
  // The server answers with the invitation and its link: never a password.
  var body = await (await answer).json()
  assert.deepEqual(Object.keys(body).sort(), ['invitation', 'link'])
  var link = (await owner.locator('[data-invite-link]').textContent()).trim()
  assert.equal(link, body.link)
  assert.match(link, new RegExp('^' + server.url + '/invite/[A-Za-z0-9_-]{43}$'))
  // Pending until accepted.
  await owner.locator('.items .item').filter({ hasText: email }).first().waitFor()
  return link
}

// The sites an account sees, with its role, from inside its page.
function sitesOf(p) {
  return p.evaluate(async () => (await (await fetch('/api/sites')).json()).sites.map(s => s.domain + ':' + s.role))
}

describe('invitations', () => {
  test('a new person opens the link, chooses a password and joins', async () => {
    var link = await invite(SITE, 'new@client.fr', 'viewer')
    await shot(owner, 'invite-01-link')
    var p = await fresh()
    await p.goto(link)
    await p.getByText('Choose your password to create your account.').waitFor()
    await p.getByLabel('New password').fill('the invitee chose this')
    await p.getByLabel('Repeat the password').fill('the invitee chose this')
    await shot(p, 'invite-02-new-account')
    await p.getByRole('button', { name: 'Create my account and join' }).click()
    await p.waitForURL(new RegExp('/' + SITE.replace(/\./g, '\\.') + '$'))
    assert.deepEqual(await sitesOf(p), [SITE + ':viewer'])
    // The link served once.
    var again = await fresh()
    await again.goto(link)
    await again.getByText('This invitation link is invalid, expired or already used.').waitFor()
  })

  test('an existing account logs in, then accepts', async () => {
    // A second site, which new@client.fr is not a member of yet.
    var status = await owner.evaluate(async () => {
      var csrf = (await (await fetch('/api/auth/me')).json()).csrf_token
      var res = await fetch('/api/sites', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ domain: 'second.example.fr', timezone: 'Europe/Paris' }),
      })
      return res.status
    })
    assert.equal(status, 201)
    var link = await invite('second.example.fr', 'new@client.fr', 'admin')
    var p = await fresh()
    await p.goto(link)
    await p.getByText('This email has an account: log in as new@client.fr to accept.').waitFor()
    await p.getByLabel('Password', { exact: true }).fill('the invitee chose this')
    await p.getByRole('button', { name: 'Log in' }).click()
    // Logged in, still asked: nobody joins without saying so.
    await p.getByRole('button', { name: 'Accept' }).waitFor()
    assert.deepEqual(await sitesOf(p), [SITE + ':viewer'])
    await shot(p, 'invite-03-accept')
    await p.getByRole('button', { name: 'Accept' }).click()
    await p.waitForURL(/\/second\.example\.fr$/)
    assert.deepEqual((await sitesOf(p)).sort(), [SITE + ':viewer', 'second.example.fr:admin'].sort())
    // No longer pending for the owner.
    await owner.goto(server.url + '/second.example.fr/settings/members')
    await settle(owner)
    await owner.getByText('No pending invitation.').waitFor()
  })
})
