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
// 4. A new connection's first statement is the driver's own fetch of the array types, whose
//    promise nothing awaited: a connection lost during it (a database stopping just as it
//    connected) raised an unhandled rejection, which ends a production process (upstream:
//    porsager/postgres#279, #1192, #1205). Its failure already fails the query waiting for
//    the connection; the fetch's own promise is now observed.
// 5. A reservation (`sql.reserve()`, which beginWith uses) waiting for a connection's
//    start-up was dropped from the connection while the types were fetched and found again
//    only in the pool's queue; a connection lost during the fetch reconnected for it after
//    taking it off that queue, so once connected it was handed to nobody: the reservation,
//    and the request behind it, waited for ever. The connection now hands itself to the
//    reservation it started up for, and the pool queues a reservation only when it has no
//    connection to start for it.
// 6. A connection closed with a statement in flight kept that statement and the server's
//    last error (PostgreSQL's FATAL on a shutdown) as if they belonged to its next life: the
//    first statement after a successful reconnect failed with the old error, and a types
//    fetch cut short was never settled (upstream: porsager/postgres#1223). Both are
//    forgotten when the socket closes.
// 7. A reservation outlived its connection: a statement sent through it after the
//    connection closed (the next statement of a transaction, or its ROLLBACK) went to the
//    same pooled connection's next life, where it failed the statement the pool was
//    reconnecting for, or, once reconnected, ran in another caller's session outside any
//    transaction; statements it had queued behind a busy connection were never settled.
//    They now fail with the connection's CONNECTION_CLOSED.
// 8. Not a defect, a cost: what one tick sends on a connection waits for setImmediate and
//    leaves in one socket write, unless it reaches 1,024 bytes, which is written at once.
//    A statement with large parameters (a ledger write with its audit entry, a webhook
//    event's body) then left alone and what followed it in the same tick (COMMIT sent with
//    the last writes) went in a second write: one more wake-up of PostgreSQL and of Node,
//    no wait saved. A tick's bytes now leave together up to 64 KiB (a COPY still streams
//    its own writes), each message copied once into a list (the driver's builder reuses
//    its buffer) and joined once, rather than the whole chunk copied again at each one.
//
// Each repair is applied once (a marker says it is there); a driver whose code is not the
// one these repairs know fails the install loudly, so an upgrade is checked by a person.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIRECTORIES = ['src', 'cjs/src', 'cf/src'];

/** closed()'s line that fails the statements in flight (split: it is longer than a line here). */
const CLOSE_FAILS_QUERIES =
  '    !hadError && (query || sent.length) && ' +
  "error(Errors.connection('CONNECTION_CLOSED', options, socket))";

const REPAIRS = [
  {
    file: 'connection.js',
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
    file: 'connection.js',
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
  {
    file: 'connection.js',
    mark: '/* kinko: start-up repair */',
    apply(text) {
      const ready = `      if (needsTypes) {
        initial.reserve && (initial = null)
        return fetchArrayTypes()
      }

      initial && !initial.reserve && execute(initial)
`;
      if (!text.includes(ready)) return null;
      return text.replace(
        ready,
        `      if (needsTypes) {
        ${this.mark}
        return fetchArrayTypes().catch(() => {})
      }

      initial.reserve ? initial.reserve(connection) : execute(initial)
`,
      );
    },
  },
  {
    file: 'index.js',
    mark: '/* kinko: reserve repair */',
    apply(text) {
      const reserve = `        queries.push(query)
        closed.length && connect(closed.shift(), query)
`;
      if (!text.includes(reserve)) return null;
      return text.replace(
        reserve,
        `        ${this.mark}
        closed.length ? connect(closed.shift(), query) : queries.push(query)
`,
      );
    },
  },
  {
    file: 'index.js',
    mark: '/* kinko: reservation-gone repair */',
    apply(text) {
      const handle = `    const sql = Sql(handler)
    sql.release = () => {
      c.reserved = null
      onopen(c)
    }

    return sql

    function handler(q) {
      c.queue === full
        ? queue.push(q)
        : c.execute(q) || move(c, full)
    }
`;
      if (!text.includes(handle)) return null;
      return text.replace(
        handle,
        `    ${this.mark}
    let gone = null
    c.onclose = e => {
      gone = e
      while (queue.length) queue.shift().reject(e)
    }
    const sql = Sql(handler)
    sql.release = () => {
      c.onclose = null
      c.reserved = null
      onopen(c)
    }

    return sql

    function handler(q) {
      gone
        ? q.reject(gone)
        : c.queue === full
          ? queue.push(q)
          : c.execute(q) || move(c, full)
    }
`,
      );
    },
  },
  {
    file: 'connection.js',
    mark: '/* kinko: stale-answer repair */',
    apply(text) {
      const closed = `    socket.removeAllListeners()
    socket = null

    if (initial)
      return reconnect()

${CLOSE_FAILS_QUERIES}
`;
      if (!text.includes(closed)) return null;
      return text.replace(
        closed,
        `    socket.removeAllListeners()
    socket = null
    ${this.mark}
    errorResponse = null

    if (initial) {
      query && queryError(query, Errors.connection('CONNECTION_CLOSED', options, socket))
      query = null
      return reconnect()
    }

${CLOSE_FAILS_QUERIES}
    query = null
`,
      );
    },
  },
  {
    file: 'connection.js',
    mark: '/* kinko: write-gathering change */',
    apply(text) {
      const write = `  function write(x, fn) {
    chunk = chunk ? Buffer.concat([chunk, x]) : Buffer.from(x)
    if (fn || chunk.length >= 1024)
      return nextWrite(fn)`;
      const send = `    const x = socket.write(chunk, fn)`;
      if (!text.includes(write) || !text.includes(send)) return null;
      return text
        .replace(
          write,
          `  function write(x, fn) {
    ${this.mark}
    chunk ? chunk.push(Buffer.from(x)) : (chunk = [Buffer.from(x)], chunkBytes = 0)
    chunkBytes += x.length
    if (fn || chunkBytes >= 65536)
      return nextWrite(fn)`,
        )
        .replace(
          send,
          `    const x = socket.write(chunk.length === 1 ? chunk[0] : Buffer.concat(chunk), fn)`,
        )
        .replace(`    , chunk = null\n`, `    , chunk = null\n    , chunkBytes = 0\n`);
    },
  },
];

let patched = 0;
for (const dir of DIRECTORIES) {
  for (const file of new Set(REPAIRS.map((r) => r.file))) {
    const p = path.join(root, 'node_modules', 'postgres', dir, file);
    if (!fs.existsSync(p)) continue;
    let text = fs.readFileSync(p, 'utf8');
    for (const repair of REPAIRS.filter((r) => r.file === file)) {
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
}
if (patched > 0) process.stdout.write(`patch-postgres: ${patched} repair(s) applied\n`);
