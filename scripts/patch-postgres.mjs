// Runs after `npm install` / `npm ci` (package.json "postinstall"): repairs defects of
// postgres.js 3.4.9 that a database restart under load, or a backup, triggers.
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
// 3. COPY … TO STDOUT pauses the socket when its stream is full and resumes it only when the
//    stream is read again; when the COPY ended in the same network read, the ended stream was
//    never read again and the connection stayed paused for good: the next statement on it
//    (the next table of `kinko backup`) waited for ever. CopyDone now resumes the socket.
//
// Each repair is applied once (a marker says it is there); a driver whose code is not the
// one these repairs know fails the install loudly, so an upgrade is checked by a person.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILES = ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js'];

const REPAIRS = [
  {
    mark: '/* kinko: write-scheduler repair */',
    apply(text) {
      const nextWrite = `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`;
      const teardown = /\n( {4})clearImmediate\(nextWriteTimer\)\n/g;
      if (!text.includes(nextWrite) || (text.match(teardown)?.length ?? 0) !== 2) return null;
      return text
        .replace(
          nextWrite,
          `  function nextWrite(fn) {
    ${this.mark}
    if (!socket) {
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`,
        )
        .replace(teardown, '\n$1clearImmediate(nextWriteTimer)\n$1chunk = nextWriteTimer = null\n');
    },
  },
  {
    mark: '/* kinko: copy-out resume repair */',
    apply(text) {
      const copyDone = `  function CopyDone() {
    stream && stream.push(null)
    stream = null
  }`;
      if (!text.includes(copyDone)) return null;
      return text.replace(
        copyDone,
        `  function CopyDone() {
    ${this.mark}
    stream && stream.push(null)
    stream = null
    socket && socket.resume()
  }`,
      );
    },
  },
];

let patched = 0;
for (const file of FILES) {
  const p = path.join(root, 'node_modules', 'postgres', file);
  if (!fs.existsSync(p)) continue;
  let text = fs.readFileSync(p, 'utf8');
  for (const repair of REPAIRS) {
    if (text.includes(repair.mark)) continue;
    const repaired = repair.apply(text);
    if (repaired === null) {
      process.stderr.write(`patch-postgres: ${p} is not the postgres.js 3.4.9 this repairs\n`);
      process.exit(1);
    }
    text = repaired;
    patched += 1;
  }
  fs.writeFileSync(p, text);
}
if (patched > 0) process.stdout.write(`patch-postgres: ${patched} repair(s) applied\n`);
