import type { Sql, Tx } from './sql.ts';

// A transaction whose BEGIN does not cost a round trip of its own. postgres.js's sql.begin
// sends BEGIN and waits for its answer before the callback's first statement leaves, so a
// short transaction (lock, write, COMMIT) paid three round trips, each a socket write that
// wakes PostgreSQL. Here BEGIN travels with the transaction's first statement, in one
// simple-protocol message, and the callback's next statements are pipelined behind it.

/**
 * Runs fn in a transaction on a reserved connection. `first` is a statement without
 * parameters sent in one message with BEGIN: PostgreSQL runs it only if BEGIN succeeded,
 * and `opened` settles with its rows. fn may send statements before `opened` settles (they
 * are pipelined behind it), but must await it before any statement that writes: were BEGIN
 * to fail, a statement after it would run, and commit, alone. COMMIT is sent when fn
 * resolves, ROLLBACK when it throws; COMMIT does not wait for `opened` (a transaction whose
 * statements all went out behind BEGIN is then one round trip), whose failure is thrown
 * once COMMIT answered. Were BEGIN to fail, COMMIT would find no transaction and end none.
 */
export async function beginWith<T, R>(
  sql: Sql,
  first: string,
  fn: (tx: Tx, opened: Promise<R[]>) => Promise<T>,
): Promise<T> {
  let opened: Promise<R[]> | undefined;
  const result = await onReserved(sql, (tx) => {
    // The answer holds one result per statement: BEGIN's (no rows), then first's.
    opened = tx
      .unsafe(`begin; ${first}`)
      .simple()
      .then((results) => (results as unknown as R[][])[1] ?? []);
    // Observed at once: fn awaits it, but may throw before it gets there.
    opened.catch(() => undefined);
    return fn(tx, opened);
  });
  // Answered before COMMIT was: settled by now.
  await opened;
  return result;
}

/**
 * Runs a transaction whose BEGIN travels with its first reads, for a transaction that has no
 * statement without parameters to send with BEGIN (beginWith). `reads` is called at once:
 * the statements it sends (reads and locks only: `for update`, advisory locks) go out behind
 * BEGIN in the same write. `fn` is called with their result only once BEGIN and the reads
 * have answered, so everything fn writes is inside the transaction: were BEGIN to fail, what
 * reads sent ran on its own and changed nothing, and fn is never called. COMMIT is sent when
 * fn resolves, ROLLBACK when either throws.
 */
export async function beginReading<R, T>(
  sql: Sql,
  reads: (tx: Tx) => Promise<R>,
  fn: (tx: Tx, read: R) => Promise<T>,
): Promise<T> {
  return onReserved(sql, async (tx) => {
    const opened = tx.unsafe('begin').simple();
    // Observed at once: the reads may fail before BEGIN is awaited.
    opened.catch(() => undefined);
    const read = reads(tx);
    read.catch(() => undefined);
    // BEGIN answers before anything sent behind it; its failure is the one to report.
    await opened;
    return fn(tx, await read);
  });
}

/**
 * The part beginWith and beginReading share: `run` opens the transaction on a reserved
 * connection and does its work; COMMIT is sent when it resolves, ROLLBACK when it throws.
 */
async function onReserved<T>(sql: Sql, run: (tx: Tx) => Promise<T>): Promise<T> {
  const reserved = await sql.reserve();
  // A reserved connection runs statements like a transaction's handle; it has no savepoints,
  // which no caller of this module uses.
  const tx = reserved as unknown as Tx;
  let alive = true;
  try {
    const result = await run(tx);
    await tx.unsafe('commit');
    return result;
  } catch (e) {
    alive = await rolledBack(tx);
    throw e;
  } finally {
    // A connection that closed meanwhile was put back on the pool's closed list by the
    // driver, to reconnect; released now, it would be handed out again without a socket.
    if (alive) reserved.release();
  }
}

/** PostgreSQL's SQLSTATE for a statement refused because an earlier one failed. */
const IN_FAILED_TRANSACTION = '25P02';

/**
 * Awaits statements a transaction sent together, and throws the first failure only once all
 * have settled: Promise.all rejects at the first, and the ROLLBACK that follows could leave
 * before a later statement of another (audit.append sends one more after its INSERT), which
 * would then run, and commit, on its own. The failure thrown is the one that failed the
 * transaction.
 */
export async function allSent<T extends readonly unknown[]>(
  work: readonly [...T],
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(work);
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  // The failure that aborted the transaction, not the "transaction is aborted" after it.
  const aborted = (e: unknown) => (e as { code?: unknown }).code === IN_FAILED_TRANSACTION;
  if (failures.length > 0) throw failures.find((e) => !aborted(e)) ?? failures[0];
  const values = settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
  return values as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/**
 * Ends a failed transaction; true when the connection answered (even with an error, and
 * with a warning only when nothing was open), false when it is gone.
 */
async function rolledBack(tx: Tx): Promise<boolean> {
  try {
    await tx.unsafe('rollback');
    return true;
  } catch (e) {
    return (e as { name?: unknown }).name === 'PostgresError';
  }
}

/**
 * Writes a transaction sends unawaited, last, to leave with COMMIT: writes to rows that
 * concurrent requests share (a ledger account every payment of a merchant posts to, a
 * velocity counter), which are then locked for that statement and COMMIT only, not while
 * Node waits for the answers of the transaction's other statements. A ledger call hands its
 * write here through `writesInto`.
 */
export type LastWrites = Promise<void>[];

/**
 * Runs a transaction (`run` opens it; COMMIT follows when it resolves) whose last writes go
 * out with COMMIT, then awaits them: had one failed, PostgreSQL ended the transaction with a
 * rollback at COMMIT (the driver does not say so), and its error is thrown here. Each write
 * must be observed when it is pushed, since `run` may throw before this awaits it.
 */
export async function withLastWrites<T>(run: (writes: LastWrites) => Promise<T>): Promise<T> {
  const writes: LastWrites = [];
  const result = await run(writes);
  await allSent(writes);
  return result;
}
