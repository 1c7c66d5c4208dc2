import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/db/index.ts';
import { createLogger } from '../src/lib/log.ts';
import { freePort } from './helpers/free-port.ts';

// `npm test`: starts one embedded PostgreSQL for the whole run, runs every *.test.ts file
// under src/ and test/ with Node's test runner (each file in its own process, each with its
// own database), stops the server and ends with one summary line of passed and failed tests.
// Arguments filter the files by substring: `npm test -- ledger`.

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function findTests(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') findTests(p, out);
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

/** A test file still running after this long is cancelled and reported as failed. */
const FILE_TIMEOUT_MS = 15 * 60_000;

const filters = process.argv.slice(2);
const files = [...findTests(path.join(root, 'src')), ...findTests(path.join(root, 'test'))]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files match');
  process.exit(1);
}

const started = Date.now();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-test-'));
const log = createLogger({ level: 'warn' });
const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), log });
const adminUrl = pg.superuserUrl;

let passed = 0;
let failed = 0;
let interrupted = false;
const code = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${Math.max(2, os.availableParallelism())}`,
      // A file whose tests are done ends even if it left a handle open (a socket, a timer,
      // a child process): one such leak kept a CI run waiting until its 90-minute limit.
      '--test-force-exit',
      // A file that is still running after this long fails, named, instead of hanging
      // the run: the slowest file takes about a minute on a loaded machine.
      `--test-timeout=${FILE_TIMEOUT_MS}`,
      '--test-reporter=spec',
      ...files,
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, KINKO_TEST_ADMIN_URL: adminUrl, KINKO_ENV: 'test' },
    },
  );
  // Ctrl-C or a CI timeout: stop the tests, then the database, and leave nothing behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      child.kill(signal);
    });
  }
  let tail = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
    // Read the counts as they pass: the list of failures printed after them can be longer
    // than the tail kept.
    passed = Number(/ℹ pass (\d+)/.exec(tail)?.[1] ?? passed);
    failed = Number(/ℹ fail (\d+)/.exec(tail)?.[1] ?? failed);
  });
  child.on('exit', (c) => {
    resolve(c ?? 1);
  });
});

await pg.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
const seconds = ((Date.now() - started) / 1000).toFixed(1);
const ok = code === 0 && failed === 0 && !interrupted;
console.log(
  `\nkinko tests: ${passed} passed, ${failed} failed, ${files.length} files, ${seconds} s — ${ok ? 'OK' : 'FAILED'}`,
);
process.exit(ok ? 0 : 1);
