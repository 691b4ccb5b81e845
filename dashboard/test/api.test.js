import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { get, prefetch, stats } from '../src/ui/api.js'

// A fetch that answers when told: calls lists the requests in the order
// they left, answer(i) settles the i-th.
function fakeFetch() {
  var calls = []
  globalThis.fetch = (path, init) =>
    new Promise((ok, fail) => {
      calls.push({ path, body: init.body, ok: (data = {}) => ok({ ok: true, status: 200, text: async () => JSON.stringify(data) }), fail })
    })
  return calls
}

var tick = ms => new Promise(ok => setTimeout(ok, ms))
var sent = calls => calls.map(c => (c.body ? JSON.parse(c.body).site_id : c.path))

describe('the order of the dashboard\'s requests', () => {
  test('top stats first, then the graph, then the panels, whatever the order they are asked in', async () => {
    var calls = fakeFetch()
    var panel = stats({ site_id: 'panel' }, 2)
    var graph = stats({ site_id: 'graph' }, 1)
    var top = stats({ site_id: 'top' }, 0)
    var dialog = get('/dialog')
    await tick(20)
    assert.deepEqual(sent(calls), ['/dialog', 'top'])
    calls[1].ok({ results: [1] })
    assert.deepEqual(await top, { results: [1] })
    await tick(20)
    assert.deepEqual(sent(calls), ['/dialog', 'top', 'graph'])
    calls[2].fail(new Error('down'))
    await assert.rejects(graph)
    await tick(20)
    assert.deepEqual(sent(calls), ['/dialog', 'top', 'graph', 'panel'])
    calls[3].ok()
    calls[0].ok()
    await Promise.all([panel, dialog])
  })

  test('a later stage waits at most 4 s for an earlier one', async () => {
    var calls = fakeFetch()
    var t0 = Date.now()
    var top = stats({ site_id: 'slow top' }, 0)
    var panel = stats({ site_id: 'panel' }, 2)
    await tick(20)
    assert.deepEqual(sent(calls), ['slow top'])
    while (calls.length < 2 && Date.now() - t0 < 6000) await tick(20)
    assert.equal(calls.length, 2, 'the panel was never sent')
    assert.ok(Date.now() - t0 >= 3990, 'waited ' + (Date.now() - t0) + ' ms')
    calls[1].ok()
    calls[0].ok()
    await Promise.all([top, panel])
  })

  test('a prefetched query is asked once', async () => {
    var calls = fakeFetch()
    prefetch({ site_id: 'early' }, 0)
    await tick(20)
    var answer = stats({ site_id: 'early' }, 0)
    calls[0].ok({ n: 1 })
    assert.deepEqual(await answer, { n: 1 })
    assert.equal(calls.length, 1)
    // Taken once: the next one (a reload) asks again.
    var again = stats({ site_id: 'early' }, 0)
    await tick(20)
    assert.equal(calls.length, 2)
    calls[1].ok({ n: 2 })
    assert.deepEqual(await again, { n: 2 })
  })

  test('a failed prefetch is forgotten', async () => {
    var calls = fakeFetch()
    prefetch({ site_id: 'gone' }, 0)
    await tick(20)
    calls[0].ok = null
    calls[0].fail(new Error('offline'))
    await tick(20)
    var answer = stats({ site_id: 'gone' }, 0)
    await tick(20)
    assert.equal(calls.length, 2)
    calls[1].ok({ n: 3 })
    assert.deepEqual(await answer, { n: 3 })
  })
})
