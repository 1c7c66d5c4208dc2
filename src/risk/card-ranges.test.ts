import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CardRanges, CardRangesFileInvalid, parseCardRanges } from './card-ranges.ts';

// The BIN table file as `kinko risk bin-table load` reads it (header, comments, one range a
// line, a whole file refused for one bad line or an overlap), and the lookup every decision
// with a card makes.

const FILE = [
  '# a comment',
  'bin_low,bin_high,country,funding,brand',
  '',
  '400000,409999,US,credit,visa',
  '510510,510510,US,prepaid,mastercard',
  '356600,356699,JP,debit,jcb',
].join('\n');

async function loaded(text: string): Promise<CardRanges> {
  const ranges = parseCardRanges(text);
  const t = new CardRanges(async () => ranges);
  await t.refresh(undefined as never);
  return t;
}

test('a BIN table file gives its ranges; any bad line refuses the whole file', () => {
  assert.deepEqual(parseCardRanges(FILE)[1], {
    binLow: '510510',
    binHigh: '510510',
    country: 'US',
    funding: 'prepaid',
    brand: 'mastercard',
  });
  const bad = (line: string, why: RegExp) =>
    assert.throws(
      () => parseCardRanges(`bin_low,bin_high,country,funding,brand\n${line}`),
      (e: Error) => e instanceof CardRangesFileInvalid && why.test(e.message),
      line,
    );
  bad('42424,424242,US,credit,visa', /six digits/);
  bad('424242,424241,US,credit,visa', /after/);
  bad('424242,424242,usa,credit,visa', /country/);
  bad('424242,424242,US,charge,visa', /funding/);
  bad('424242,424242,US,credit,maestro', /brand/);
  bad('424242,424242,US,credit', /4 fields/);
  bad('400000,409999,US,credit,visa\n405000,405000,US,debit,visa', /overlap/);
  assert.throws(() => parseCardRanges('low,high\n1,2'), /header/);
  assert.throws(() => parseCardRanges('bin_low,bin_high,country,funding,brand\n'), /no range/);
});

test('a BIN is looked up by bisection; a BIN in no range has no entry', async () => {
  const t = await loaded(FILE);
  assert.equal(t.lookup('400000')?.country, 'US');
  assert.equal(t.lookup('409999')?.funding, 'credit');
  assert.equal(t.lookup('510510')?.funding, 'prepaid');
  assert.equal(t.lookup('356650')?.funding, 'debit');
  for (const bin of ['399999', '410000', '510511', '999999', 'abcdef', '4000']) {
    assert.equal(t.lookup(bin), undefined, bin);
  }
  assert.equal(new CardRanges(async () => []).lookup('424242'), undefined);
});

test('the shipped test-card table parses and covers the simulator test cards', async () => {
  const text = readFileSync(new URL('./card-ranges-test-cards.csv', import.meta.url), 'utf8');
  assert.match(text, /^# TEST DATA/);
  const t = await loaded(text);
  for (const pan of ['4242424242424242', '5555555555554444', '3566002020360505']) {
    assert.ok(t.lookup(pan.slice(0, 6)), pan);
  }
  assert.equal(t.lookup('510510')?.funding, 'prepaid');
  assert.equal(t.lookup('356600')?.country, 'JP');
});
