// Email in headless Chromium against the real server binary and a real
// SMTP server (Mailpit): the operator's test email arrives and the settings
// show it; "forgot password?" mails a link that sets a new password.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { launch, login, newPage, settle, shot, startMailpit, startServer, USER } from './harness.js'

var mailpit
var server
var browser
var pages = []

before(async () => {
  mailpit = await startMailpit()
  server = await startServer(port => [
    '--smtp-url', mailpit.smtpURL, '--smtp-from', 'Sillage <stats@example.fr>', '--public-url', 'http://127.0.0.1:' + port,
  ])
  browser = await launch()
})

after(async () => {
  for (var p of pages) assert.deepEqual(p.problems, [], 'a page broke its CSP, threw, or reached another origin')
  if (browser) await browser.close()
  if (server) await server.stop()
  if (mailpit) await mailpit.stop()
})

async function fresh(options) {
  var p = await newPage(browser, server, { viewport: { width: 1100, height: 900 }, ...options })
  pages.push(p)
  return p
}

describe('email', () => {
  test('the operator sends a test email and sees it delivered', async () => {
    var p = await fresh()
    await login(p, server)
    await settle(p)
    var section = p.locator('[data-mail-settings]')
    await section.getByText('smtp+plain://127.0.0.1:').waitFor()
    assert.equal((await section.locator('[data-mail-from]').textContent()).trim(), '"Sillage" <stats@example.fr>')
    assert.equal((await section.locator('[data-mail-last-sent]').textContent()).trim(), '—')
    await section.locator('[data-mail-test]').click()
    await p.getByText('A test email was sent to ' + USER + '.').waitFor()
    var m = await mailpit.waitFor(USER, 'Sillage test email')
    assert.match(m.Text, /the SMTP settings work/)
    // The settings now show when the last email left.
    await p.waitForFunction(() => document.querySelector('[data-mail-last-sent]').textContent.trim() !== '—')
    await shot(p, 'mail-01-settings')
  })

  test('forgot password: the mailed link sets a new password', async () => {
    var p = await fresh()
    await p.goto(server.url + '/login')
    await p.locator('[data-forgot]').click()
    await p.waitForURL(/\/forgot$/)
    await p.getByLabel('Email').fill(USER)
    await shot(p, 'mail-02-forgot')
    await p.getByRole('button', { name: 'Send the link' }).click()
    await p.getByText('If an account has the email ' + USER + ', a link is on its way').waitFor()
    var m = await mailpit.waitFor(USER, 'Reset your Sillage password')
    var link = m.Text.match(/http:\/\/\S+\/reset\/[A-Za-z0-9_-]+/)
    assert.ok(link, 'no reset link in ' + m.Text)
    assert.ok(link[0].startsWith(server.url + '/reset/'), link[0])
    assert.ok(m.HTML.includes('href="' + link[0] + '"'), 'the HTML part has the same link')

    await p.goto(link[0])
    await p.getByText('For the account ' + USER).waitFor()
    await p.getByLabel('New password').fill('chosen after forgetting')
    await p.getByLabel('Repeat the password').fill('chosen after forgetting')
    await p.getByRole('button', { name: 'Set the password' }).click()
    await p.getByText('Your password was changed. Log in with it.').waitFor()
    await shot(p, 'mail-03-reset-done')

    var again = await fresh()
    await again.goto(server.url + '/login')
    await again.getByLabel('Email').fill(USER)
    await again.getByLabel('Password').fill('chosen after forgetting')
    await again.getByRole('button', { name: 'Log in' }).click()
    await again.waitForURL(/\/sites$/)
  })

  test('in French, the forgot page and its email', async () => {
    var p = await fresh({ locale: 'fr-FR' })
    await p.goto(server.url + '/forgot?lang=fr')
    await p.getByRole('heading', { name: 'Mot de passe oublié' }).waitFor()
    await p.getByLabel('E-mail').fill(USER)
    await p.getByRole('button', { name: 'Envoyer le lien' }).click()
    await p.getByText('Si un compte a l’adresse ' + USER).waitFor()
    var m = await mailpit.waitFor(USER, 'Réinitialiser votre mot de passe')
    assert.match(m.Text, /Quelqu'un \(vous, espérons-le\)/)
  })
})
