import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskUntrusted, reportDirective, reportText, reportUrl } from './csp-report.ts';

// What a CSP report keeps: enough to investigate (page, directive, host, script, the path's
// shape), and no digits that could be card data, however a skimmer spells them.

test('ordinary reports keep what an investigation needs', () => {
  assert.equal(reportUrl('https://evil.example/skim.js?c=1', 300), 'https://evil.example/skim.js');
  assert.equal(
    reportUrl('https://cdn.example/npm/jquery@3.7.1/dist/jquery.min.js#x', 300),
    'https://cdn.example/npm/jquery@3.7.1/dist/jquery.min.js',
  );
  assert.equal(
    reportUrl('http://127.0.0.1:8443/hosted/fields', 300),
    'http://127.0.0.1:8443/hosted/fields',
  );
  assert.equal(reportUrl('inline', 300), 'inline');
  assert.equal(reportUrl('https://u:p@evil.example/', 300), 'https://evil.example/');
  assert.equal(reportUrl('data:text/html,<script>', 300), 'data:');
  assert.equal(reportUrl('blob:https://evil.example/4917613582942078', 300), 'blob:');
  assert.equal(reportDirective('script-src-elem'), 'script-src-elem');
  assert.equal(reportDirective("script-src 'nonce-abc123456789'"), 'script-src');
  assert.equal(reportDirective('4917613582942078'), 'unknown');
});

test('digits that could be card data are masked however they are split or encoded', () => {
  assert.equal(maskUntrusted('/4917613582942078/cvc739/'), '/••••••••••••••••/cvc•••/');
  assert.equal(maskUntrusted('/49/17/61/35/82/94/20/78'), '/••/••/••/••/••/••/••/••');
  assert.equal(maskUntrusted('/a4b9c1d7e6f1g3h5i8j2k9l4m2'), '/a•b•c•d•e•f•g•h•i•j•k•l•m•');
  assert.equal(reportText('c=739;e=1229', 100), 'c=•••;e=••••');
  const b64 = Buffer.from('4917613582942078|739').toString('base64');
  assert.equal(maskUntrusted(`/i/${b64}`), '/i/[encoded]');
  assert.equal(
    reportUrl('https://evil.example/%34%39%31%37%36%31%33%35%38%32%39%34%32%30%37%38', 300),
    'https://evil.example/••••••••••••••••',
  );
  assert.equal(
    reportUrl('https://4917613582942078.evil.example/', 300),
    'https://••••••••••••••••.evil.example/',
  );
  assert.equal(maskUntrusted('v2 build 7'), 'v2 build 7');
});
