// Events the collector could not take yet (503 while it starts, 429) or
// that were lost on the way (a network error) are sent again, and then
// reach the real collector exactly once; other answers are final.
//
// The first answers are given by a route (page.route) in place of the
// collector, with the headers the collector sends on a 503 while it starts
// (collector.ServeStarting: CORS, Retry-After exposed to the script); the
// requests after them go through to the real server (route.continue).
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { fileName, finish, leftovers, open, setup, until } from './harness.js'

var env, sillage, fx
before(async () => {
  env = await setup(fileName(import.meta.url))
  ;({ sillage, fx } = env)
})
afterEach(t => leftovers(env, t))
after(() => env?.close())

var CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After' }

// Answers the first `answers.length` requests to the collector from the
// list ('abort' fails the request as a network error would, a number is a
// status, [status, retryAfter] adds Retry-After); the rest go through.
// Returns the times the requests were made, in ms.
async function answerFirst(v, answers) {
  var times = []
  await v.page.route(sillage.api, route => {
    times.push(Date.now())
    var a = answers.shift()
    if (a === undefined) return route.continue()
    if (a == 'abort') return route.abort('connectionrefused')
    var [status, retryAfter] = [].concat(a)
    return route.fulfill({
      status,
      headers: { ...CORS, ...(retryAfter != null && { 'Retry-After': String(retryAfter) }) },
      contentType: 'application/json',
      body: '{"errors":{"server":"starting, retry later"}}',
    })
  })
  return times
}

// The page's events per name, from the Stats API, once they are want.
var perName = (path, want) =>
  sillage.pollFor({ metrics: ['events'], dimensions: ['event:name'], filters: [['is', 'event:page', [path]]] }, want)

describe('retries', () => {
  test('a 503 with Retry-After: the pageview is sent again after it, and an event sent meanwhile follows it; each arrives once', async t => {
    var url = fx.add('/retry/503')
    var v = await open(env)
    var times = await answerFirst(v, [[503, 2]])
    await v.page.goto(url)
    await v.wait(es => es[0]?.status == 503)
    // The pageview waits to be sent again: this event waits behind it.
    var got = v.page.evaluate(() => new Promise(r => sillage('Signup', { callback: r })))
    assert.deepEqual(await got, { status: 202 })
    await v.wait(es => es.length == 3 && es.every(e => e.status))
    // The pageview, refused, then again, then the Signup: the collector
    // gets the pageview first.
    assert.deepEqual(
      v.events.map(e => [e.name, e.status]),
      [['pageview', 503], ['pageview', 202], ['Signup', 202]]
    )
    // Retry-After was honoured (the script's own first delay is 1 s).
    assert.ok(times[1] - times[0] >= 1900, `retried after ${times[1] - times[0]} ms, before Retry-After's 2 s`)
    await finish(env, t, v)
    await perName('/retry/503', { pageview: [1], Signup: [1] })
  })

  test('a 429 and a network error are retried; the callback gets the last status', async t => {
    var url = fx.add('/retry/429')
    var v = await open(env)
    await answerFirst(v, [[429, 1], 'abort'])
    await v.page.goto(url)
    await v.wait(es => es.length == 3 && es[2].status, 15000)
    assert.deepEqual(
      v.events.map(e => [e.name, e.status || 'failed']),
      [['pageview', 429], ['pageview', 'failed'], ['pageview', 202]]
    )
    var got = await v.page.evaluate(() => new Promise(r => sillage('Signup', { callback: r })))
    assert.deepEqual(got, { status: 202 })
    await finish(env, t, v)
    await perName('/retry/429', { pageview: [1], Signup: [1] })
    assert.equal(v.events.length, 4)
  })

  test('a 404 is final: not sent again, the callback gets it', async t => {
    var url = fx.add('/retry/404', { attrs: 'data-manual' })
    var v = await open(env)
    await answerFirst(v, [404])
    await v.page.goto(url)
    var got = await v.page.evaluate(() => new Promise(r => sillage('pageview', { callback: r })))
    assert.deepEqual(got, { status: 404 })
    // A later event goes out at once, and through: had the first been
    // retried, it would have been sent before it (and counted).
    got = await v.page.evaluate(() => new Promise(r => sillage('Signup', { callback: r })))
    assert.deepEqual(got, { status: 202 })
    assert.deepEqual(v.names(), ['pageview', 'Signup'])
    await finish(env, t, v)
    await perName('/retry/404', { Signup: [1] })
  })

  test('three retries at most: a collector that keeps answering 503 gets the event four times, then the callback its status', async t => {
    var url = fx.add('/retry/gives-up', { attrs: 'data-manual' })
    var v = await open(env)
    await answerFirst(v, [[503, 1], [503, 1], [503, 1], [503, 1]])
    await v.page.goto(url)
    var got = await v.page.evaluate(() => new Promise(r => sillage('pageview', { callback: r })))
    assert.deepEqual(got, { status: 503 })
    assert.deepEqual(v.names(), ['pageview', 'pageview', 'pageview', 'pageview'])
    // Having given up, the script takes the collector for unreachable and
    // does not retry until an event gets an answer: the next one goes
    // through (the route answers no more).
    got = await v.page.evaluate(() => new Promise(r => sillage('Signup', { callback: r })))
    assert.deepEqual(got, { status: 202 })
    await finish(env, t, v)
    await perName('/retry/gives-up', { Signup: [1] })
  })
})
