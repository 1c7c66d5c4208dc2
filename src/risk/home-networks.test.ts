import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DelegatedFileInvalid, HomeNetworks, parseDelegated } from './home-networks.ts';

// The home-country table: the delegated statistics format read as APNIC writes it (ipv4
// counts, ipv6 prefix lengths, other countries, summaries and headers skipped), and the
// lookup every decision makes.

const FILE = [
  '2|apnic|20261204|5|19830613|20261203|+1000',
  'apnic|*|ipv4|*|3|summary',
  'apnic|JP|ipv4|1.0.16.0|4096|20110412|allocated|A92D9378|e-stats',
  'apnic|JP|ipv4|1.0.64.0|16384|20110412|allocated',
  'apnic|CN|ipv4|1.0.1.0|256|20110414|allocated',
  'apnic|JP|ipv6|2400:2000::|20|20090608|allocated',
  'apnic|JP|asn|173|1|20020801|allocated',
  'apnic||ipv4|1.0.8.0|256||available',
].join('\n');

async function loaded(text: string): Promise<HomeNetworks> {
  const ranges = parseDelegated(text).ranges;
  const home = new HomeNetworks(async () => ranges);
  await home.refresh(undefined as never);
  return home;
}

test('a delegated file gives the home blocks, first and last address each', () => {
  const { ranges, registry, skipped } = parseDelegated(FILE);
  assert.equal(registry, 'apnic');
  assert.equal(skipped, 5);
  assert.deepEqual(ranges, [
    { first: '1.0.16.0', last: '1.0.31.255' },
    { first: '1.0.64.0', last: '1.0.127.255' },
    {
      first: '2400:2000:0000:0000:0000:0000:0000:0000',
      last: '2400:2fff:ffff:ffff:ffff:ffff:ffff:ffff',
    },
  ]);
  assert.throws(() => parseDelegated('apnic|JP|ipv4|1.0.16.0\n'), DelegatedFileInvalid);
  assert.throws(
    () => parseDelegated('apnic|JP|ipv4|300.0.0.0|256|0|allocated'),
    DelegatedFileInvalid,
  );
  assert.throws(() => parseDelegated('apnic|KR|ipv4|1.11.0.0|65536|0|allocated'), /no JP/);
});

test('an address is home when a block holds it; none loaded, every address is', async () => {
  const home = await loaded(FILE);
  for (const ip of ['1.0.16.0', '1.0.31.255', '1.0.100.7', '::ffff:1.0.70.1', '2400:2abc::1']) {
    assert.equal(home.isHome(ip), true, ip);
  }
  for (const ip of ['1.0.32.0', '1.0.1.5', '8.8.8.8', '2400:3000::1', '2001:db8::1']) {
    assert.equal(home.isHome(ip), false, ip);
  }
  const empty = new HomeNetworks(async () => []);
  await empty.refresh(undefined as never);
  assert.equal(empty.isHome('8.8.8.8'), true);
});

test('the shipped seed parses: 126/8, 133/8 and two IPv6 /32s', async () => {
  const seed = readFileSync(new URL('./home-networks-jp-seed.txt', import.meta.url), 'utf8');
  const home = await loaded(seed);
  assert.equal(parseDelegated(seed).ranges.length, 4);
  assert.equal(home.isHome('126.255.1.1'), true);
  assert.equal(home.isHome('133.0.0.1'), true);
  assert.equal(home.isHome('134.0.0.1'), false);
  assert.equal(home.isHome('2001:218:ffff::1'), true);
});
