import { createLogger } from '../src/lib/log.ts';
import { measureFloor } from './http-floor.ts';
import { printReport, round } from './report.ts';

// `npm run bench:http-floor`: this server's HTTP stack answering a code-payment-shaped
// request at once, no database (http-floor.ts): the floor under bench:pay, which measures
// it again in its own run. Prints one line of prose, then the one JSON line.
//
// Environment: BENCH_REQUESTS (default 40,000), BENCH_CONNECTIONS (default 512, as bench:pay).

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 40_000);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 512);
const log = createLogger({ level: process.env['BENCH_LOG'] ?? 'warn' });

const f = await measureFloor(log, REQUESTS, CONNECTIONS);
const first = f.failures ? ` (first: ${f.firstFailure})` : '';
process.stdout.write(
  `http floor (code-payment-shaped route, no database): peak ${f.peakPerSecond.toFixed(0)} ` +
    `requests/s (${REQUESTS} requests, ${CONNECTIONS} connections, ` +
    `p50 ${f.peakP50Ms.toFixed(1)} ms, p99 ${f.peakP99Ms.toFixed(1)} ms); ` +
    `at 80 % = ${f.steadyRate}/s: ${f.steadyPerSecond.toFixed(0)} requests/s, ` +
    `p50 ${f.steadyP50Ms.toFixed(1)} ms, p99 ${f.steadyP99Ms.toFixed(1)} ms; ` +
    `failures ${f.failures}${first}; ` +
    `CPU per request: server ${f.serverCpuUs.toFixed(0)} µs, ` +
    `load generator ${f.loadGeneratorCpuUs.toFixed(0)} µs\n`,
);
printReport({
  bench: 'http-floor',
  figures: Object.fromEntries(
    Object.entries(f).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]),
  ),
  reference: null,
});
process.exitCode = f.failures > 0 ? 1 : 0;
