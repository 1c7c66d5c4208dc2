// Runs after `npm install` / `npm ci` (package.json "postinstall"): repairs two defects in
// postgres.js 3.4.9's write scheduler that a database restart under load triggers.
//
// 1. A small write waits for setImmediate. When the socket closed first, teardown cancelled
//    that write without forgetting it (`nextWriteTimer` stayed set, `chunk` kept the dead
//    bytes): every later connect of that pooled connection queued its start-up message
//    behind them, never sent it, and timed out — one failed request per connect timeout, for
//    good (upstream: LanternOps/breeze#3225).
// 2. A write made after the socket closed (a ROLLBACK after a transaction's connection
//    died) ran `socket.write` on null from an immediate: an uncaught TypeError that ends the
//    process (upstream: porsager/postgres#1154, #1208, pull request #1168). Such a write now
//    fails its queries with CONNECTION_CLOSED instead, as a write to a closed socket should.
//
// Idempotent; fails loudly when the driver's code is not the one this patch knows, so an
// upgrade is checked by a person instead of silently losing the repair.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MARK = '/* kinko: write-scheduler repair */';
const FILES = ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js'];

const NEXT_WRITE = `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`;
const NEXT_WRITE_FIXED = `  function nextWrite(fn) {
    ${MARK}
    if (!socket) {
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`;
const TEARDOWN = /\n(    )clearImmediate\(nextWriteTimer\)\n/g;
const TEARDOWN_FIXED = '\n$1clearImmediate(nextWriteTimer)\n$1chunk = nextWriteTimer = null\n';

let patched = 0;
for (const file of FILES) {
  const p = path.join(root, 'node_modules', 'postgres', file);
  if (!fs.existsSync(p)) continue;
  const text = fs.readFileSync(p, 'utf8');
  if (text.includes(MARK)) continue;
  const teardowns = text.match(TEARDOWN)?.length ?? 0;
  if (!text.includes(NEXT_WRITE) || teardowns !== 2) {
    process.stderr.write(`patch-postgres: ${p} is not the postgres.js 3.4.9 this repairs\n`);
    process.exit(1);
  }
  fs.writeFileSync(p, text.replace(NEXT_WRITE, NEXT_WRITE_FIXED).replace(TEARDOWN, TEARDOWN_FIXED));
  patched += 1;
}
if (patched > 0) process.stdout.write(`patch-postgres: repaired ${patched} file(s)\n`);
