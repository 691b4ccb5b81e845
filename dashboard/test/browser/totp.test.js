// Two-factor authentication in headless Chromium against the real server,
// started with --require-2fa: the forced enrolment right after the first
// login (QR code, secret, a first code, the recovery codes shown once),
// then logins with a code and with a recovery code, and turning it off.
// Codes are computed here by RFC 6238, independently of the server.
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { after, afterEach, before, describe, test } from 'node:test'
import { launch, newPage, shot, SITE, startServer, USER } from './harness.js'

function base32(s) {
  var alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  var bits = 0
  var value = 0
  var out = []
  for (var c of s.replace(/=+$/, '').toUpperCase()) {
    var i = alphabet.indexOf(c)
    if (i < 0) throw new Error('not base32: ' + s)
    value = ((value << 5) | i) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

// The 6-digit code of a base32 secret at time ms (SHA-1, 30 s steps).
function totp(secret, ms = Date.now()) {
  var msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)))
  var h = createHmac('sha1', base32(secret)).update(msg).digest()
  var o = h[h.length - 1] & 15
  var n = (((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1e6
  return String(n).padStart(6, '0')
}

var server
var browser
var page

before(async () => {
  server = await startServer(['--require-2fa'])
  browser = await launch()
  page = await newPage(browser, server, { viewport: { width: 1000, height: 900 } })
})

after(async () => {
  if (browser) await browser.close()
  if (server) await server.stop()
})

afterEach(() => {
  if (page) assert.deepEqual(page.problems.splice(0), [], 'the page broke its CSP, threw, or reached another origin')
})

async function password() {
  await page.goto(server.url + '/login')
  await page.getByLabel('Email').fill(USER)
  await page.getByLabel('Password').fill(server.password)
  await page.getByRole('button', { name: 'Log in' }).click()
}

async function logout() {
  await page.locator('[data-account]').click()
  await page.locator('[data-logout]').click()
  await page.waitForURL(/\/login$/)
}

var apiStatus = path => page.evaluate(p => fetch(p).then(r => r.status), path)

describe('two-factor authentication', () => {
  var secret
  var recovery

  test('the TOTP of this test follows RFC 6238', () => {
    // RFC 6238, appendix B: SHA-1 at 59 s is 94287082 (8 digits).
    assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59000), '287082') // base32 of 12345678901234567890
  })

  test('an instance that requires it has the first login enrol', async () => {
    await password()
    var card = page.locator('[data-forced-enrolment]')
    await card.locator('[data-totp-secret]').waitFor()
    assert.equal(await apiStatus('/api/sites'), 403, 'a session without a second factor reads nothing')
    // The QR code is drawn (a data: image, which the CSP allows).
    var qrWidth = await card.locator('img.totp-qr').evaluate(img => (img.complete ? img.naturalWidth : 0))
    assert.ok(qrWidth > 0, 'the QR code did not load')
    secret = (await card.locator('[data-totp-secret]').textContent()).trim()
    assert.match(secret, /^[A-Z2-7]{16,}$/)
    await shot(page, 'totp-01-enrol')

    var right = totp(secret)
    await card.getByLabel('Code shown by the app').fill(right === '000000' ? '111111' : '000000')
    await card.getByRole('button', { name: 'Turn on' }).click()
    await card.getByRole('alert').getByText('Wrong code').waitFor()

    await card.getByLabel('Code shown by the app').fill(totp(secret))
    await card.getByRole('button', { name: 'Turn on' }).click()
    await card.locator('[data-recovery-codes] li').first().waitFor()
    recovery = await card.locator('[data-recovery-codes] li').allTextContents()
    assert.equal(recovery.length, 10)
    await shot(page, 'totp-02-recovery-codes')
    await card.locator('[data-recovery-saved]').click()
    await page.waitForURL(/\/sites$/)
    await page.getByText(SITE).first().waitFor()
    assert.equal(await apiStatus('/api/sites'), 200)
  })

  test('logs in with a code from the app', async () => {
    await logout()
    await password()
    var step = page.locator('[data-second-factor]')
    await step.waitFor()
    assert.equal(await apiStatus('/api/auth/me'), 401, 'the password alone opened a session')
    await shot(page, 'totp-03-code-prompt')
    // The next step's code: the enrolment's own code cannot be replayed,
    // and one step of drift is accepted.
    await step.getByLabel('Code from the app, or a recovery code').fill(totp(secret, Date.now() + 30000))
    await step.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(/\/sites$/)
    assert.equal(await apiStatus('/api/auth/me'), 200)
  })

  test('logs in with a recovery code, once', async () => {
    await logout()
    await password()
    var step = page.locator('[data-second-factor]')
    await step.getByLabel('Code from the app, or a recovery code').fill(recovery[0])
    await step.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(/\/sites$/)
  })

  test('turns it off with the password and a code, and is asked to enrol again', async () => {
    await page.locator('[data-account]').click()
    await page.locator('[data-totp-menu]').click()
    var dialog = page.getByRole('dialog')
    await dialog.getByText('9 recovery codes left').waitFor()
    await dialog.getByLabel('Current password').fill(server.password)
    await dialog.getByLabel('Code from the app, or a recovery code').fill(recovery[1])
    await dialog.getByRole('button', { name: 'Turn off' }).click()
    await page.locator('[data-forced-enrolment] [data-totp-secret]').waitFor()
    await shot(page, 'totp-04-enrol-again')
    assert.equal(await apiStatus('/api/sites'), 403)
  })
})
