import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePaymentCode } from './cpm.ts';
import { paymentCodeBarcodeSvg, paymentCodeQrSvg } from './render.ts';

// The wallet is sent the SVGs (payments/issue.ts), so they are what is tested.

/** The module matrix drawn by the QR SVG's path ("M4 4.5h7m2 0h4…"), margin removed. */
function svgModules(svg: string, margin: number): boolean[][] {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)![1]) - 2 * margin;
  const dark = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  const d = /<path stroke="#000000" d="([^"]+)"/.exec(svg)![1]!;
  let x = 0;
  let y = 0;
  for (const [, op, a, b] of d.matchAll(/([MmHh])(-?[\d.]+)(?:\s+(-?[\d.]+))?/g)) {
    const n = Number(a);
    if (op === 'M') [x, y] = [n, Number(b)];
    else if (op === 'm') [x, y] = [x + n, y + Number(b)];
    else {
      for (let i = 0; i < n; i++) dark[Math.floor(y) - margin]![x + i - margin] = true;
      x += n;
    }
  }
  return dark;
}

const MASKS: Array<(i: number, j: number) => boolean> = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i + j) % 2) + ((i * j) % 3)) % 2 === 0,
];

// GF(256) with QR's primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), for the
// Reed–Solomon check below.
const GF_EXP: number[] = [];
const GF_LOG: number[] = [];
for (let i = 0, v = 1; i < 255; i++, v = v & 0x80 ? ((v << 1) ^ 0x11d) & 0xff : v << 1) {
  GF_EXP[i] = v;
  GF_LOG[v] = i;
}
const gfMul = (a: number, b: number) => (a && b ? GF_EXP[(GF_LOG[a]! + GF_LOG[b]!) % 255]! : 0);

/** True when all 26 codewords of a version-1-M symbol form a Reed–Solomon codeword. */
function reedSolomonValid(codewords: number[]): boolean {
  for (let i = 0; i < 10; i++) {
    let syndrome = 0;
    for (const c of codewords) syndrome = gfMul(syndrome, GF_EXP[i]!) ^ c;
    if (syndrome !== 0) return false;
  }
  return true;
}

/**
 * Reads a version-1 QR symbol's data the way ISO/IEC 18004 lays it out: two-column strips from
 * the right, alternately upward and downward, skipping finder, timing and format modules; then
 * one numeric-mode segment. Each mask is tried; only a read whose 26 codewords pass the
 * Reed–Solomon check of level M (10 error correction codewords) and whose padding is the
 * standard's 0xEC/0x11 filler is accepted, so a wrong mask cannot pass.
 */
function readNumericQrV1(dark: boolean[][]): string | undefined {
  assert.equal(dark.length, 21, 'version 1 (21 × 21 modules)');
  const reserved = (r: number, c: number) =>
    (r < 9 && c < 9) || (r < 9 && c >= 13) || (r >= 13 && c < 9) || r === 6 || c === 6;
  for (const mask of MASKS) {
    const bits: number[] = [];
    let upward = true;
    for (let x = 20; x > 0; x -= 2) {
      if (x === 6) x = 5;
      for (let k = 0; k < 21; k++) {
        const r = upward ? 20 - k : k;
        for (const c of [x, x - 1]) {
          if (!reserved(r, c)) bits.push(Number(dark[r]![c]) ^ Number(mask(r, c)));
        }
      }
      upward = !upward;
    }
    const take = (from: number, n: number) => parseInt(bits.slice(from, from + n).join(''), 2);
    const codewords = Array.from({ length: 26 }, (_, i) => take(i * 8, 8));
    if (bits.length !== 208 || !reedSolomonValid(codewords) || take(0, 4) !== 0b0001) continue;
    const count = take(4, 10);
    // Version 1 at level M holds 16 data codewords: at most 34 digits.
    if (count > 34) continue;
    let digits = '';
    let at = 14;
    for (let left = count; left > 0; left -= 3) {
      const width = left >= 3 ? 10 : left === 2 ? 7 : 4;
      digits += String(take(at, width)).padStart(Math.min(3, left), '0');
      at += width;
    }
    at += 4; // terminator
    at = Math.ceil(at / 8) * 8;
    const pads = [];
    for (; at < 16 * 8; at += 8) pads.push(take(at, 8));
    if (pads.every((p, i) => p === (i % 2 === 0 ? 0xec : 0x11))) return digits;
  }
  return undefined;
}

test('the QR SVG is one well-formed SVG whose symbol reads back as the code', async () => {
  for (let i = 0; i < 20; i++) {
    const code = generatePaymentCode();
    const svg = await paymentCodeQrSvg(code);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*viewBox="0 0 29 29"/);
    assert.match(svg.trim(), /<\/svg>$/);
    assert.equal(svg.match(/<svg/g)!.length, 1);
    const modules = svgModules(svg, 4);
    assert.equal(readNumericQrV1(modules), code);
    // The reader is not fooled: one flipped data module fails the Reed–Solomon check.
    modules[20]![20] = !modules[20]![20];
    assert.equal(readNumericQrV1(modules), undefined);
  }
});

test('the Code 128 barcode is well-formed and in code set C (two digits a symbol)', async () => {
  const code = generatePaymentCode();
  const svg = await paymentCodeBarcodeSvg(code);
  assert.match(svg, /^<svg viewBox="0 0 (\d+) (\d+)" xmlns="http:\/\/www\.w3\.org\/2000\/svg">/);
  assert.match(svg.trim(), /<\/svg>$/);
  // Start C + 11 symbols + check symbol = 13 × 11 modules, stop 13: 156 modules, plus 10
  // modules of quiet zone each side, 3 px a module. Code set B would need 277 modules.
  const width = Number(/viewBox="0 0 (\d+)/.exec(svg)![1]);
  assert.equal(width, (156 + 2 * 10) * 3);
});

test('rendering refuses anything but a parsed payment code', async () => {
  const notACode = '5812' as Parameters<typeof paymentCodeQrSvg>[0];
  await assert.rejects(paymentCodeQrSvg(notACode), /not a parsed payment code/);
  await assert.rejects(paymentCodeBarcodeSvg(notACode), /not a parsed payment code/);
});
