import { createAudit, type Audit } from '../../src/audit/index.ts';
import { loadConfig } from '../../src/config.ts';
import { connect } from '../../src/db/index.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { assert } from '../../src/lib/assert.ts';
import { uuidv7 } from '../../src/lib/ids.ts';
import { createLedger, type Ledger, type TransferInput } from '../../src/ledger/index.ts';

// A Kinko process of its own, for tests that need two processes at once or one to kill:
// `node --import tsx test/helpers/ledger-writer.ts` with WRITER_URL (the serving role's
// database), WRITER_ACCOUNTS (comma-separated ledger account ids), WRITER_TAG and
// WRITER_MODE. It writes one line per event on stdout:
//   ack <transfer id>…    transfers committed (acknowledged to the caller)
//   batch <n>             a batch of n transfers is about to be sent
//   appended              (mode hold) a transaction appended its entries and now waits
//   done                  (mode append) every transaction committed
// Modes:
//   append  WRITER_TRANSACTIONS transactions, each appending 1–3 entries with subject ids
//           `<tag>-<i>-<j>`, interleaved with one-transfer ledger transactions; then exits.
//   ledger  until killed: one-transfer transactions from 4 callers beside batches of
//           WRITER_BATCH transfers.
//   hold    one transaction appends an entry and a transfer, then waits for ever.
//   spend   until killed: one-transfer transactions from 4 callers over the accounts, the
//           first a funding account and the rest wallets that may not overdraw: a third
//           refill a wallet from the funding account, the rest spend from a wallet into
//           another or into the funding account; refused spends (exceeds_credits) are
//           not acknowledged.

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
const sql = connect(env('WRITER_URL'), { connectionsMax: 6 });
const audit = createAudit({ clock: systemClock, sql });
const ledger = createLedger({ sql, clock: systemClock, audit, limits });
const accounts = env('WRITER_ACCOUNTS').split(',');
const tag = env('WRITER_TAG');
const say = (line: string) => process.stdout.write(`${line}\n`);

function transfer(i: number): TransferInput {
  const d = i % accounts.length;
  const c = (d + 1 + (i % (accounts.length - 1))) % accounts.length;
  const [debitAccountId, creditAccountId] = [accounts[d]!, accounts[c]!];
  return { id: uuidv7(), debitAccountId, creditAccountId, amount: 1n, currency: 'JPY', code: 1 };
}

async function post(l: Ledger, transfers: TransferInput[]): Promise<void> {
  const results = await l.createTransfers(transfers);
  const failed = results.find((r) => r.result !== 'ok');
  if (failed) throw new Error(`transfer ${failed.index} failed: ${failed.result}`);
  say(`ack ${transfers.map((t) => t.id).join(' ')}`);
}

async function appendMode(a: Audit): Promise<void> {
  const n = Number(env('WRITER_TRANSACTIONS'));
  for (let i = 0; i < n; i++) {
    const entries = Array.from({ length: 1 + (i % 3) }, (_, j) => ({
      action: 'test.writer.wrote',
      actor: { type: 'system' as const },
      subject: { type: 'writer', id: `${tag}-${i}-${j}` },
      outcome: 'success' as const,
    }));
    await sql.begin((tx) => a.append(tx, entries));
    if (i % 4 === 0) await post(ledger, [transfer(i)]);
  }
  await audit.chain();
  say('done');
}

async function ledgerMode(): Promise<void> {
  const size = Number(env('WRITER_BATCH'));
  let i = 0;
  const single = async () => {
    for (;;) await post(ledger, [transfer(i++)]);
  };
  const batches = async () => {
    for (;;) {
      const batch = Array.from({ length: size }, () => transfer(i++));
      say(`batch ${size}`);
      await post(ledger, batch);
    }
  };
  await Promise.all([single(), single(), single(), single(), batches()]);
}

async function spendMode(): Promise<void> {
  const [funding, ...wallets] = accounts;
  assert(funding && wallets.length >= 2, 'spend needs a funding account and two wallets');
  let i = 0;
  const one = (k: number): TransferInput => {
    const w = wallets[k % wallets.length]!;
    const other = k % 2 === 0 ? funding : wallets[(k + 1) % wallets.length]!;
    const [debitAccountId, creditAccountId] = k % 3 === 0 ? [funding, w] : [w, other];
    const amount = BigInt(1 + (k % 4));
    return { id: uuidv7(), debitAccountId, creditAccountId, amount, currency: 'JPY', code: 1 };
  };
  const caller = async () => {
    for (;;) {
      const t = one(i++);
      const [r] = await ledger.createTransfers([t]);
      if (r?.result === 'ok') say(`ack ${t.id}`);
      else if (r?.result !== 'exceeds_credits') throw new Error(`transfer failed: ${r?.result}`);
    }
  };
  await Promise.all([caller(), caller(), caller(), caller()]);
}

async function holdMode(): Promise<void> {
  await sql.begin(async (tx) => {
    await ledger.createTransfersInTx(tx, [transfer(0)]);
    await audit.append(tx, [
      { action: 'test.writer.held', actor: { type: 'system' }, outcome: 'success' },
    ]);
    say('appended');
    await new Promise(() => {});
  });
}

const mode = env('WRITER_MODE');
if (mode === 'append') await appendMode(audit);
else if (mode === 'ledger') await ledgerMode();
else if (mode === 'hold') await holdMode();
else if (mode === 'spend') await spendMode();
else throw new Error(`unknown WRITER_MODE ${mode}`);
await sql.end({ timeout: 5 });
