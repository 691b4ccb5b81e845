// The pure helpers of src/lib.js, imported directly.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DOWNLOADS, exclusion, extensions, tagged, taggedRevenue } from '../src/lib.js'

describe('exclusion', () => {
  var cases = [
    // pattern, path, excluded
    ['/admin/*', '/admin/users', true],
    ['/admin/*', '/admin/', true],
    ['/admin/*', '/admin', false],
    ['/admin/*', '/admin/users/1', false],
    ['/admin/*', '/x/admin/users', false],
    ['/preview/**', '/preview/a/b/c', true],
    ['/preview/**', '/preview/', true],
    ['/preview/**', '/previews', false],
    ['/blog/*/edit', '/blog/my-post/edit', true],
    ['/blog/*/edit', '/blog/a/b/edit', false],
    ['/**/draft', '/a/b/draft', true],
    ['/exact', '/exact', true],
    ['/exact', '/exact/more', false],
    ['/file.html', '/file.html', true],
    ['/file.html', '/fileXhtml', false],
    ['/a+(b)?[c]$^|{1}\\', '/a+(b)?[c]$^|{1}\\', true],
    ['/a+b', '/aab', false],
    ['/thank-you', '/thank-you/', true],
    ['/admin/*', '/admin/users/', true],
  ]
  for (var [pattern, path, want] of cases)
    test(`${pattern} ${want ? 'matches' : 'does not match'} ${path}`, () => {
      assert.equal(exclusion(pattern).test(path), want)
    })

  test('a comma-separated list, spaces around', () => {
    var re = exclusion(' /admin/* ,/preview/**,, ')
    assert.ok(re.test('/admin/x'))
    assert.ok(re.test('/preview/x/y'))
    assert.ok(!re.test('/'))
    assert.ok(!re.test('/public'))
  })

  test('no pattern excludes nothing', () => {
    for (var p of ['/', '/a', '/a/b']) assert.ok(!exclusion('').test(p))
  })
})

describe('extensions', () => {
  test('the default list', () => {
    var re = extensions(DOWNLOADS)
    for (var p of ['/a.pdf', '/b/c.XLSX', '/x.7z', '/y.tar.gz', '/setup.msi', '/v.mp4'])
      assert.ok(re.test(p), p)
    for (var p of ['/', '/pdf', '/a.pdfx', '/a.html', '/a.pdf/', '/x.zip.html', '/apdf'])
      assert.ok(!re.test(p), p)
  })

  test('a list given by the site', () => {
    var re = extensions('epub, .mobi,AZW3')
    assert.ok(re.test('/b.epub') && re.test('/b.mobi') && re.test('/b.azw3'))
    assert.ok(!re.test('/b.pdf'))
    // Dots and a trailing comma make no empty extension.
    re = extensions('.pdf,.zip,')
    assert.ok(re.test('/a.pdf') && !re.test('/a.') && !re.test('/a.x'))
    assert.ok(!extensions(' , ').test('/a.'))
  })

  test('the default list is the documented one', () => {
    assert.equal(
      DOWNLOADS,
      'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg,iso,msi'
    )
  })
})

describe('tagged', () => {
  // tagged(classes, props) returns the name and fills props.
  var read = c => {
    var p = {}
    return [tagged(c, p), p]
  }
  test('name and props, + for a space', () => {
    assert.deepEqual(read('btn sillage-event-name=Sign+up sillage-event-plan=Pro+yearly big'), [
      'Sign up',
      { plan: 'Pro yearly' },
    ])
  })
  test('props with dashes in their name', () => {
    assert.deepEqual(read('sillage-event-plan-type=pro sillage-event-name=X'), ['X', { 'plan-type': 'pro' }])
  })
  test('no name, no event', () => {
    for (var c of [null, '', 'btn', 'sillage-event-plan=pro', 'sillage-event-name=']) assert.ok(!read(c)[0], String(c))
  })
  test('whitespace of any kind separates classes', () => {
    assert.deepEqual(read('\tsillage-event-name=A\nsillage-event-k=v  '), ['A', { k: 'v' }])
  })
})

describe('taggedRevenue', () => {
  // taggedRevenue(classes, props, options) returns the name, fills props,
  // and sets options.revenue when revenue classes are there.
  var read = c => {
    var p = {}
    var o = {}
    return [taggedRevenue(c, p, o), p, o]
  }
  test('reads what tagged reads', () => {
    for (var c of [null, '', 'btn', 'sillage-event-plan=pro', 'btn sillage-event-name=Sign+up sillage-event-plan=Pro+yearly big', 'plausible-event-name--Buy plausible-event-plan-type--x']) {
      var p = {}
      assert.deepEqual(read(c).slice(0, 2), [tagged(c, p), p], String(c))
    }
  })
  test('revenue classes, with = or --, either prefix', () => {
    assert.deepEqual(read('plausible-event-name=Buy plausible-revenue-amount=29.90 sillage-revenue-currency--EUR'), [
      'Buy',
      {},
      { revenue: { amount: '29.90', currency: 'EUR' } },
    ])
  })
  test('no revenue class, no revenue', () => {
    assert.deepEqual(read('sillage-event-name=Free sillage-event-plan=x')[2], {})
  })
})

