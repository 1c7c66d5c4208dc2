import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

// The HTTP-flow benchmarks at their smallest size, so a change to the platform that breaks
// them (a rule that holds the bench's top-ups, a new required header) fails here and not
// only when someone next measures. Each runs as `npm run bench:…` does, in its own process
// with its own embedded PostgreSQL, and must end with zero failed flows and both checks ok.
// The ratio target is not asserted: two flows per caller measure nothing.

interface BenchLine {
  bench: string;
  figures: { concurrent: { failures: number; flows: number } };
  reference: { failures: number; flows: number };
  checks: Record<string, string>;
}

function runBench(file: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      env: { ...process.env, BENCH_FLOWS_ONE: '2', BENCH_FLOWS_EACH: '2', BENCH_LOG: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

for (const [name, file] of [
  ['topup', 'bench/topup.bench.ts'],
  ['web-pay', 'bench/web-pay.bench.ts'],
] as const) {
  test(`bench:${name} runs its flows without a failure`, async () => {
    const { code, out } = await runBench(file);
    assert.equal(code, 0, out.slice(-2000));
    const json = out.split('\n').find((l) => l.startsWith('{"bench"'));
    assert.ok(json, `no JSON line in:\n${out.slice(-2000)}`);
    const line = JSON.parse(json) as BenchLine;
    assert.equal(line.figures.concurrent.failures, 0);
    assert.equal(line.reference.failures, 0);
    assert.ok(line.figures.concurrent.flows > 0 && line.reference.flows > 0);
    assert.equal(line.checks['ledger'], 'ok');
    assert.match(line.checks['audit'] ?? '', /^ok\b/);
  });
}
