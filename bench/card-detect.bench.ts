import { performance } from 'node:perf_hooks';
import { cardBrand, findCardNumbers, holdsCardNumber } from '../src/lib/card-numbers.ts';
import {
  CONTEXTS,
  digits,
  e164,
  groupings,
  syntheticCards,
  TEST_CARDS,
  TIMESTAMP_MS_TO,
  timestampMs,
  uuid,
  uuidV7,
} from '../test/helpers/card-samples.ts';
import { printReport, round } from './report.ts';

// `npm run bench:card-detect`: how often the one card-number detector (lib/card-numbers.ts)
// takes something else for a card, and whether it finds every card. False positives over
// BENCH_SAMPLES (default 1,000,000) of each kind of string that was taken for a card —
// random UUIDs (target 0), 13-digit millisecond timestamps and E.164 phone numbers (target at
// most 1 in 100,000) — and recall over every published test card of every brand, plus one
// generated card per IIN range and length, in every printed grouping and several contexts
// (target 100 %). The time printed is the detector's alone, per string. The last line is
// the one JSON line every benchmark ends with (no reference: nothing here is a rate).

const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 1_000_000);

interface Row {
  what: string;
  n: number;
  hits: number;
  target: string;
  ok: boolean;
  example: string;
  usPer: number;
}

const BATCH = 100_000;

/** Generates samples a batch at a time and times only the detector over them. */
function measure(what: string, target: number, make: () => string): Row {
  let hits = 0;
  let example = '';
  let ms = 0;
  for (let done = 0; done < SAMPLES; done += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, SAMPLES - done) }, make);
    const started = performance.now();
    for (const s of batch) {
      if (holdsCardNumber(s)) {
        hits += 1;
        if (!example) example = s;
      }
    }
    ms += performance.now() - started;
  }
  const targetText = target === 0 ? '0' : target >= 1 ? '' : `≤ ${target * 100_000} in 100,000`;
  const ok = hits <= target * SAMPLES;
  return { what, n: SAMPLES, hits, target: targetText, ok, example, usPer: (ms * 1000) / SAMPLES };
}

function recall(): Row {
  const cards = [...Object.values(TEST_CARDS).flat(), ...syntheticCards()];
  let n = 0;
  let hits = 0;
  let example = '';
  for (const pan of cards) {
    for (const written of groupings(pan)) {
      for (const context of CONTEXTS) {
        const text = context(written);
        const found = findCardNumbers(text);
        n += 1;
        if (found.length === 1 && found[0]!.digits === pan) hits += 1;
        else if (!example) example = text;
      }
    }
  }
  const ok = hits === n && cards.every((c) => cardBrand(c) !== undefined);
  return {
    what: 'recall: test cards × groupings × contexts',
    n,
    hits,
    target: '100 %',
    ok,
    example,
    usPer: 0,
  };
}

const rows: Row[] = [
  measure('UUID v4, bare', 0, uuid),
  measure('UUID v7 in text ("transfer … posted")', 0, () => `transfer ${uuidV7()} posted`),
  measure('ms timestamp 2001–2096, bare', 1e-5, () => timestampMs()),
  measure('ms timestamp in a token (idem-…)', 1e-5, () => `idem-${timestampMs()}`),
  measure('E.164 number as written (+…)', 1e-5, () => `sms to ${e164()}`),
  recall(),
];
// Reported, not targets: what the rules cannot tell apart, with no context to go on.
const info: Row[] = [
  measure('(info) ms timestamp 2096–2286, bare', 1, () => timestampMs(TIMESTAMP_MS_TO, 9e12)),
  measure('(info) E.164 digits without "+"', 1, () => e164().slice(1)),
  measure('(info) random 16 digits, bare', 1, () => digits(16)),
];

for (const r of [...rows, ...info]) {
  const rate = r.what.startsWith('recall')
    ? `${((100 * r.hits) / r.n).toFixed(2)} % found`
    : `${r.hits} false positives (${((r.hits / r.n) * 100_000).toFixed(2)} in 100,000)`;
  const verdict = r.what.startsWith('(info)') ? 'info' : r.ok ? 'OK' : 'FAIL';
  const speed = r.usPer > 0 ? `, ${r.usPer.toFixed(2)} µs each` : '';
  console.log(
    `${verdict.padEnd(4)} ${r.what}: ${r.n.toLocaleString('en')} samples, ${rate}` +
      `${r.target ? ` [target ${r.target}]` : ''}${speed}${r.example ? `; e.g. ${r.example}` : ''}`,
  );
}
const ok = rows.every((r) => r.ok);
printReport({
  bench: 'card-detect',
  figures: Object.fromEntries(
    [...rows, ...info].map((r) => [
      r.what,
      { n: r.n, hits: r.hits, target: r.target, ok: r.ok, usPer: round(r.usPer) },
    ]),
  ),
  reference: null,
  ok,
});
process.exitCode = ok ? 0 : 1;
