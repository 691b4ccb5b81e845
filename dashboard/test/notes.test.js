import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { bucketDays, noteMarks } from '../src/lib/notes.js'

describe('annotations on the graph', () => {
  test('buckets end the day before the next one, the last with its interval', () => {
    assert.deepEqual(bucketDays(['2024-03-01', '2024-03-04', '2024-03-11'], 'week'), [
      ['2024-03-01', '2024-03-03'],
      ['2024-03-04', '2024-03-10'],
      ['2024-03-11', '2024-03-17'],
    ])
    assert.deepEqual(bucketDays(['2024-01-01', '2024-02-01'], 'month')[1], ['2024-02-01', '2024-02-29'])
    assert.deepEqual(bucketDays(['2024-03-01 00:00:00', '2024-03-01 01:00:00'], 'hour'), [
      ['2024-03-01', '2024-03-01'],
      ['2024-03-01', '2024-03-01'],
    ])
  })

  test('a note marks the buckets it touches; notes starting together share a mark', () => {
    var labels = ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04']
    var a = { id: 'a', from: '2024-03-02', to: '2024-03-02', text: 'x' }
    var b = { id: 'b', from: '2024-02-20', to: '2024-03-03', text: 'y' }
    var c = { id: 'c', from: '2024-03-02', to: '2024-03-09', text: 'z' }
    var d = { id: 'd', from: '2024-04-01', to: '2024-04-01', text: 'outside' }
    var m = noteMarks([a, b, c, d], labels, 'day')
    assert.deepEqual(
      m.map(x => [x.first, x.last, x.notes.map(n => n.id).join()]),
      [
        [0, 2, 'b'],
        [1, 3, 'a,c'],
      ]
    )
  })
})
