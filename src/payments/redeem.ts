import {
  codesError,
  parsePaymentCode,
  paymentCodeHmac,
  type CodesErrorCode,
} from '../codes/index.ts';
import { AUDIT_APPEND_INSERT_ENTRIES_MAX, type AuditEntryInput } from '../audit/index.ts';
import {
  allSent,
  beginWith,
  retryOnConflict,
  withLastWrites,
  type LastWrites,
  type Tx,
} from '../db/index.ts';
import { errorBody, statusOf, httpError, idempotencyError } from '../http/index.ts';
import { assert } from '../lib/assert.ts';
import type { Identity } from '../identity/index.ts';
import { KinkoError } from '../lib/errors.ts';
import { publicId } from '../lib/ids.ts';
import { refusalOf, type AssessInput, type Assessment, type BatchReads } from '../risk/index.ts';
import { accountIdFor } from './accounts.ts';
import {
  enqueueReceipts,
  ensureAccounts,
  entry,
  WALLET_CURRENCY,
  type PaymentsDeps,
  type Source,
} from './context.ts';
import { transferIdFor, TRANSFER_CODES } from './ids.ts';
import { yen } from './messages.ts';
import * as store from './store.ts';
import { paymentsError, type PaymentsErrorCode } from './errors.ts';

// Redeeming payment codes at the register, a micro-batch at a time (batcher.ts): one
// transaction answers every request of the batch. In order:
//   1. idempotency: a key seen before replays its stored answer (422 with other parameters);
//      (the stored answers, the guessing counters and the codes are read in one round trip)
//   2. misreads: a code that is not 22 digits, not Kinko's or fails its check digit is
//      answered by name (400) and not counted as a guess: anyone can compute a check digit,
//      so a well-formed code is the only kind a guesser gains anything by sending;
//   3. guessing: a terminal or merchant past its failure limit gets 429 + Retry-After;
//   4. the codes, locked: wrong, expired and already used are refused (and counted);
//   5. the customer (frozen or held → refused) and risk (block → refused);
//   6. one ledger batch wallet → merchant; a wallet without the balance is refused;
//   7. codes consumed, payment rows, answers (for idempotency), counters, audit, receipts.
// Everything commits together; then each request gets its answer.

export interface RedeemRequest {
  scope: string;
  idempotencyKey: string;
  fingerprint: Buffer;
  terminal: { terminalId: string; storeId: string; merchantId: string };
  codeText: string;
  amount: bigint;
  currency: string;
  actor: { type: 'terminal' | 'api_key'; id: string };
  source: Source;
}

export interface Answer {
  statusCode: number;
  body: string;
  replayed?: boolean;
  retryAfterSeconds?: number;
}

interface Item {
  req: RedeemRequest;
  hmac: Buffer | null;
  /** Why the code text is not a Kinko code (malformed, wrong prefix, bad check digit). */
  misread?: CodesErrorCode;
  answer?: Answer;
  /** Stored for idempotency (false: 409/422/429, which belong to the later request). */
  store?: boolean;
  failure?: boolean;
  payment?: store.PaymentRow;
  customerId?: string;
  assessment?: Assessment;
}

function errorAnswer(error: KinkoError, requestId?: string): Answer {
  const retry = error.extra?.['retry_after_seconds'];
  return {
    statusCode: statusOf(error.code),
    body: JSON.stringify(errorBody(error, requestId)),
    ...(typeof retry === 'number' ? { retryAfterSeconds: retry } : {}),
  };
}

export function paymentJson(p: store.PaymentRow) {
  return {
    id: p.id,
    object: 'code_payment',
    method: p.method,
    status: 'succeeded',
    amount: p.amount_minor.toString(),
    amount_refunded: p.refunded_minor.toString(),
    currency: p.currency,
    merchant_id: p.merchant_id,
    store_id: p.store_id,
    terminal_id: p.terminal_id,
    risk: { decision: p.risk_decision, reasons: p.risk_reasons },
    created_at: p.created_at.toISOString(),
    receipt: { number: p.id, text: `Kinko payment ${yen(p.amount_minor)}` },
  };
}

/**
 * Where a batch's time goes, in milliseconds summed over batches (for benchmarks and
 * metrics): before BEGIN (a connection, the merchant's ledger account), the reads, the
 * decisions (risk's reads included), the ledger's posting (the scopes' lock with it), the
 * writes, and COMMIT.
 */
export interface RedeemPhases {
  batches: number;
  openMs: number;
  readMs: number;
  decideMs: number;
  postMs: number;
  writeMs: number;
  commitMs: number;
}

export const newRedeemPhases = (): RedeemPhases => ({
  batches: 0,
  openMs: 0,
  readMs: 0,
  decideMs: 0,
  postMs: 0,
  writeMs: 0,
  commitMs: 0,
});

type PhaseName = Exclude<keyof RedeemPhases, 'batches'>;
interface PhaseClock {
  /** Adds the time since the last lap to the phase. */
  lap(phase: PhaseName): void;
}

function phaseClock(phases: RedeemPhases): PhaseClock {
  let last = performance.now();
  return {
    lap: (phase) => {
      const now = performance.now();
      phases[phase] += now - last;
      last = now;
    },
  };
}

/** Attempts of a batch whose transaction lost to a concurrent one (deadlock, new key). */
const BATCH_ATTEMPTS_MAX = 3;

/**
 * Another batch of the same terminal or merchant committed after this batch read the
 * guessing counters and stored answers (it counted failures, or answered one of this
 * batch's Idempotency-Keys): this batch's decisions may be wrong, so it rolls back and runs
 * again, taking the scopes' lock before it reads them.
 */
class ScopeMoved extends Error {}

/**
 * Runs one batch; a transaction lost to a concurrent one runs again (retryOnConflict). Two
 * batches may run at once (batchesInFlightMax): each reads and decides without holding
 * anything another batch waits for (apart from its own codes), then takes its terminals'
 * and merchants' guessing lock, checks the counters it decided with are still the ones
 * committed, and posts and writes under that lock. So the counters stay exact (every
 * decision is made with the counts a one-at-a-time order would give), and a key the other
 * batch answered meanwhile is found when this one stores its answer (an Idempotency-Key's
 * scope belongs to one merchant, whose lock both hold to commit), while one batch's reads
 * and decisions overlap the other's writes and commit. So does the next batch's, even with
 * one batch in flight: once this batch has sent its last writes and COMMIT it calls
 * `committing`, and the batcher starts the next batch while PostgreSQL runs those writes
 * and flushes the commit; that batch takes the scopes' lock only once this one committed.
 */
export async function redeemBatch(
  deps: PaymentsDeps,
  reqs: RedeemRequest[],
  phases: RedeemPhases = newRedeemPhases(),
  committing: () => void = () => {},
): Promise<Answer[]> {
  const clock = phaseClock(phases);
  await ensureAccounts(
    deps,
    [...new Set(reqs.map((r) => r.terminal.merchantId))].map((owner) => ({
      kind: 'merchant' as const,
      owner,
    })),
  );
  const attempt = (lockFirst: boolean) =>
    retryOnConflict(BATCH_ATTEMPTS_MAX, async () => {
      const items: Item[] = reqs.map((req) => {
        const parsed = parsePaymentCode(req.codeText);
        if (!parsed.ok) return { req, hmac: null, misread: parsed.reason };
        return { req, hmac: paymentCodeHmac(deps.codeKey, parsed.code) };
      });
      // BEGIN travels with the first reads: one round trip fewer than sql.begin.
      await withLastWrites((last) =>
        beginWith(deps.sql, 'select 1', async (tx, opened) => {
          clock.lap('openMs');
          await runBatch(deps, tx, items, { opened, lockFirst, clock, last });
          clock.lap('writeMs');
          // Every statement of the batch is sent and COMMIT follows it at once: the next
          // batch may read and decide while this one's writes and COMMIT run.
          committing();
        }),
      );
      clock.lap('commitMs');
      return items.map((i) => i.answer ?? errorAnswer(httpError('internal_error')));
    });
  phases.batches += 1;
  try {
    return await attempt(false);
  } catch (e) {
    if (!(e instanceof ScopeMoved)) throw e;
    return attempt(true);
  }
}

async function runBatch(
  deps: PaymentsDeps,
  tx: Tx,
  items: Item[],
  {
    opened,
    lockFirst,
    clock,
    last,
  }: { opened: Promise<unknown>; lockFirst: boolean; clock: PhaseClock; last: LastWrites },
): Promise<void> {
  const now = deps.clock.now();
  const windowMs = deps.limits.guessWindowSeconds * 1000;
  const windowStart = new Date(now.getTime() - (now.getTime() % windowMs));
  const scopes = [...new Set(items.flatMap((i) => scopesOf(i.req)))].sort();
  const keys = items.map((i) => ({ scope: i.req.scope, key: i.req.idempotencyKey }));
  const read = { opened, lockFirst, scopes, keys, windowStart };
  const { codes, facts, stored, counts, risk } = await readBatch(deps, tx, items, read);
  clock.lap('readMs');
  const decidedWith = new Map(counts);
  replays(items, stored);
  suspended(deps, open(items));
  misreads(open(items));
  const guard = throttle(deps, open(items), counts, windowStart, now);
  await verifyCodes(deps, tx, open(items), { codes, facts, risk }, guard, now);
  clock.lap('decideMs');
  // From here on the batch holds its scopes' lock; the counters are read again under it,
  // and the ledger's lock goes out behind them in the same round trip.
  const recount = lockFirst ? undefined : relock(tx, scopes, windowStart, decidedWith);
  recount?.catch(() => undefined);
  // The ledger's audit entries are appended with the batch's own, in one statement, and
  // its write statement goes out with the batch's writes: one round trip for all of them.
  const ledgerEntries: AuditEntryInput[] = [];
  const ledgerWrites: Promise<void>[] = [];
  await post(deps, tx, open(items), { auditInto: ledgerEntries, writesInto: ledgerWrites });
  if (recount && !(await recount)) {
    await settled(ledgerWrites);
    throw new ScopeMoved();
  }
  clock.lap('postMs');
  await finish(deps, tx, items, { windowStart, now, ledgerEntries, ledgerWrites, last });
}

/**
 * The batch's reads, in two round trips. First, with BEGIN: the codes (locked in hmac
 * order), stored answers and guessing counters. Then, once the codes name the customers:
 * the customers' risk locks (as a top-up takes them: a customer's decision then sees the
 * payments of a batch running beside this one, in any process), their facts and risk's
 * reads (rules, velocity counters, facts) for every request whose code was found, sent
 * behind the locks so that they see what was committed before them. Locks are
 * always taken codes, customers, scopes, accounts, so two batches never wait for each other
 * in a circle. Codes of requests that turn out to be replays or throttled are locked too,
 * and left as they are. A batch that runs again because its scopes moved takes the scopes'
 * lock in the second round trip, before it reads answers and counters.
 */
async function readBatch(
  deps: PaymentsDeps,
  tx: Tx,
  items: Item[],
  on: {
    opened: Promise<unknown>;
    lockFirst: boolean;
    scopes: string[];
    keys: store.IdempotencyRef[];
    windowStart: Date;
  },
) {
  const hmacs = items.flatMap((i) => (i.hmac ? [i.hmac] : []));
  // Sent behind a lock, the reads' snapshots are taken once it is held.
  const reads = () =>
    allSent([
      store.storedAnswers(tx, on.keys),
      store.guessFailures(tx, on.scopes, on.windowStart),
    ] as const);
  const [codes, early] = await allSent([
    store.lockCodes(tx, hmacs),
    on.lockFirst ? undefined : reads(),
    on.opened,
  ] as const);
  const customers = [...new Set(codes.map((c) => c.customer_id))];
  // Sent in this order: risk's reads last, behind the locks.
  const locked = deps.risk.lockCustomers(tx, customers);
  const scopesLocked = on.lockFirst && store.lockGuessScopes(tx, on.scopes);
  const lateReads = on.lockFirst ? reads() : undefined;
  const customerFacts = deps.identity.customerFacts(tx, customers);
  const risk = riskReads(deps, tx, items, codes);
  const [, , late, facts] = await allSent([
    locked,
    scopesLocked,
    lateReads,
    customerFacts,
    risk.sent.read,
  ] as const);
  const [stored, counts] = (early ?? late)!;
  return { codes, facts: new Map(facts.map((f) => [f.id, f])), stored, counts, risk };
}

/** The risk inputs of the requests whose code was found, and risk's reads for them. */
interface RiskReads {
  inputs: ReadonlyMap<Item, AssessInput>;
  sent: BatchReads;
}

function riskReads(
  deps: PaymentsDeps,
  tx: Tx,
  items: readonly Item[],
  codes: readonly store.CodeRow[],
): RiskReads {
  const byHmac = new Map(codes.map((c) => [c.hmac.toString('hex'), c]));
  const inputs = new Map<Item, AssessInput>();
  for (const item of items) {
    const code = item.hmac && byHmac.get(item.hmac.toString('hex'));
    if (code) inputs.set(item, riskInput(item.req, code));
  }
  return { inputs, sent: deps.risk.readMany([...inputs.values()], tx) };
}

/** Takes the scopes' lock and says whether the counters are still those decided with. */
async function relock(
  tx: Tx,
  scopes: readonly string[],
  windowStart: Date,
  decidedWith: ReadonlyMap<string, number>,
): Promise<boolean> {
  // Two statements: the read's snapshot is taken once the first holds the lock.
  const [, counts] = await allSent([
    store.lockGuessScopes(tx, scopes),
    store.guessFailures(tx, scopes, windowStart),
  ] as const);
  return scopes.every((s) => (counts.get(s) ?? 0) === (decidedWith.get(s) ?? 0));
}

const open = (items: Item[]) => items.filter((i) => !i.answer);
const keyOf = (r: RedeemRequest) => `${r.scope}\n${r.idempotencyKey}`;

function refuse(item: Item, error: KinkoError, store: boolean, failure = false): void {
  item.answer = errorAnswer(error, item.req.source.requestId);
  item.store = store;
  item.failure = failure;
}

/**
 * Step 1b: a payment a kill switch covers is refused before its code is read or a guess
 * counted, and its answer is not stored (a retry after the switch is lifted runs); replays
 * of payments made before it went on are still answered.
 */
function suspended(deps: PaymentsDeps, items: Item[]): void {
  for (const item of items) {
    const { merchantId, storeId, terminalId } = item.req.terminal;
    const request = { merchantId, storeId, terminalId, source: item.req.source.ip };
    try {
      deps.switches.refuse({ operation: 'code_payments', ...request });
    } catch (error) {
      if (!(error instanceof KinkoError)) throw error;
      refuse(item, error, false);
    }
  }
}

/** Step 1: stored answers replay; a key twice in one batch waits for the first (409). */
function replays(items: Item[], stored: readonly store.StoredAnswer[]): void {
  const byKey = new Map(stored.map((s) => [`${s.scope}\n${s.key}`, s]));
  const seen = new Set<string>();
  for (const item of items) {
    const key = keyOf(item.req);
    const s = byKey.get(key);
    if (s && !s.fingerprint.equals(item.req.fingerprint)) {
      refuse(item, idempotencyError('idempotency_key_reused'), false);
    } else if (s) {
      item.answer = { statusCode: s.status_code, body: s.body, replayed: true };
    } else if (seen.has(key)) {
      refuse(item, idempotencyError('idempotency_request_in_progress'), false);
    }
    seen.add(key);
  }
}

/**
 * Step 2: a misread code is answered by name, neither stored nor counted: the register asks
 * for a rescan, and the same key may then carry the corrected code.
 */
function misreads(items: Item[]): void {
  for (const item of items) {
    if (item.misread) refuse(item, codesError(item.misread, { param: 'code' }), false);
  }
}

interface Guard {
  /** Refuses the item (429) when its terminal or merchant is past the limit. */
  check(item: Item): boolean;
  /** Counts a failed verification, so later items of the same batch see it. */
  count(item: Item): void;
}

const scopesOf = (r: RedeemRequest) => [
  `terminal:${r.terminal.terminalId}`,
  `merchant:${r.terminal.merchantId}`,
];

/** Step 3: the guessing counters of the batch's terminals and merchants. */
function throttle(
  deps: PaymentsDeps,
  items: Item[],
  counts: Map<string, number>,
  windowStart: Date,
  now: Date,
): Guard {
  const windowEndMs = windowStart.getTime() + deps.limits.guessWindowSeconds * 1000;
  const retry = Math.max(1, Math.ceil((windowEndMs - now.getTime()) / 1000));
  const guard: Guard = {
    check: (item) => {
      const [terminal, merchant] = scopesOf(item.req).map((s) => counts.get(s) ?? 0);
      const over =
        terminal! >= deps.limits.guessFailuresPerTerminalMax ||
        merchant! >= deps.limits.guessFailuresPerMerchantMax;
      if (over) {
        const extra = { retry_after_seconds: retry };
        refuse(item, paymentsError('code_guessing_throttled', { extra }), false);
      }
      return !over;
    },
    count: (item) => {
      for (const s of scopesOf(item.req)) counts.set(s, (counts.get(s) ?? 0) + 1);
    },
  };
  for (const item of items) guard.check(item);
  return guard;
}

type CustomerFacts = Awaited<ReturnType<Identity['customerFacts']>>[number];

/** Step 4 and 5: the code (wrong, used, expired), the customer, and risk. */
async function verifyCodes(
  deps: PaymentsDeps,
  tx: Tx,
  items: Item[],
  read: {
    codes: readonly store.CodeRow[];
    facts: ReadonlyMap<string, CustomerFacts>;
    risk: RiskReads;
  },
  guard: Guard,
  now: Date,
): Promise<void> {
  const codes = new Map(read.codes.map((c) => [c.hmac.toString('hex'), c]));
  const facts = read.facts;
  const consumed = new Set<string>();
  const failed = (item: Item, code: PaymentsErrorCode) => {
    refuse(item, paymentsError(code, { param: 'code' }), true, true);
    guard.count(item);
  };
  const candidates: { item: Item; code: store.CodeRow; input: AssessInput }[] = [];
  for (const item of items) {
    if (!guard.check(item)) continue;
    const hex = item.hmac?.toString('hex');
    const code = hex ? codes.get(hex) : undefined;
    if (!code || !hex) failed(item, 'code_invalid');
    else if (code.used_at || consumed.has(hex)) failed(item, 'code_already_used');
    else if (code.expires_at.getTime() <= now.getTime()) failed(item, 'code_expired');
    else {
      consumed.add(hex);
      const f = facts.get(code.customer_id);
      const held = f?.moneyHoldUntil && f.moneyHoldUntil.getTime() > now.getTime();
      if (!f || f.frozen || held) {
        refuse(item, paymentsError('wallet_unavailable'), true);
        continue;
      }
      // Read with the batch's other reads; what they did not need is known now.
      const input = read.risk.inputs.get(item)!;
      input.account = { createdAt: f.createdAt, moneyHoldUntil: f.moneyHoldUntil };
      candidates.push({ item, code, input });
    }
  }
  // One decision for the batch: every attempt sees those decided before it.
  const assessed = await deps.risk.assessMany(
    candidates.map((c) => c.input),
    tx,
    read.risk.sent,
  );
  candidates.forEach(({ item, code }, i) => {
    const a = assessed[i]!;
    item.assessment = a;
    // At the register there is no one to step up: review and step_up pass, flagged.
    const refusal = refusalOf(a, true, true);
    if (refusal) refuse(item, refusal, true);
    else item.payment = paymentRow(item.req, code, a, now);
  });
}

/** A request's risk input; its account's facts are added once identity's read answers. */
function riskInput(req: RedeemRequest, code: store.CodeRow): AssessInput {
  return {
    kind: 'code_payment',
    customerId: code.customer_id,
    deviceId: code.device_id,
    terminalId: req.terminal.terminalId,
    storeId: req.terminal.storeId,
    merchantId: req.terminal.merchantId,
    amount: req.amount,
    currency: req.currency,
  };
}

function paymentRow(
  req: RedeemRequest,
  code: store.CodeRow,
  a: Assessment,
  now: Date,
): store.PaymentRow {
  const id = publicId('pay', 16);
  return {
    id,
    method: 'cpm',
    merchant_id: req.terminal.merchantId,
    store_id: req.terminal.storeId,
    terminal_id: req.terminal.terminalId,
    customer_id: code.customer_id,
    device_id: code.device_id,
    amount_minor: req.amount,
    refunded_minor: 0n,
    currency: req.currency,
    transfer_id: transferIdFor('payment', id),
    risk_decision: a.decision,
    risk_reasons: a.reasons,
    created_at: now,
  };
}

/** Step 6: one ledger batch; a wallet without enough money refuses its payment only. */
async function post(
  deps: PaymentsDeps,
  tx: Tx,
  items: Item[],
  into: { auditInto: AuditEntryInput[]; writesInto: Promise<void>[] },
): Promise<void> {
  const paying = items.filter((i) => i.payment);
  const results = await deps.ledger.createTransfersInTx(
    tx,
    paying.map(({ payment: p }) => paymentTransfer(p!)),
    { actor: { type: 'system', id: 'payments' }, ...into },
  );
  paying.forEach((item, i) => {
    const r = results[i]?.result;
    if (r === 'ok') {
      item.answer = { statusCode: 200, body: JSON.stringify(paymentJson(item.payment!)) };
      item.store = true;
      return;
    }
    // No wallet account yet is a wallet with nothing in it.
    assert(r === 'exceeds_credits' || r === 'debit_account_not_found', `payment post: ${r}`);
    delete item.payment;
    refuse(item, paymentsError('insufficient_funds'), true);
  });
}

/** The payment's line in the merchant's balance transactions. */
export function paymentMovement(p: store.PaymentRow): store.WalletBalanceTransaction {
  return {
    id: publicId('txn', 16),
    merchant_id: p.merchant_id,
    type: p.method === 'cpm' ? 'code_payment' : 'store_payment',
    source_id: p.id,
    transfer_id: p.transfer_id,
    amount: p.amount_minor,
    currency: p.currency,
    created_at: p.created_at,
  };
}

export function paymentTransfer(p: store.PaymentRow) {
  return {
    id: p.transfer_id,
    debitAccountId: accountIdFor('customer_wallet', p.customer_id, WALLET_CURRENCY),
    creditAccountId: accountIdFor('merchant', p.merchant_id, WALLET_CURRENCY),
    amount: p.amount_minor,
    currency: p.currency,
    code: TRANSFER_CODES.payment,
    userData: `payment:${p.id}`,
  };
}

/** What finish writes besides the items: the ledger's share of the batch. */
interface Finishing {
  windowStart: Date;
  now: Date;
  /** The ledger batch's audit entry, appended with the batch's own. */
  ledgerEntries: readonly AuditEntryInput[];
  /** The ledger batch's write statement, sent and not yet awaited. */
  ledgerWrites: readonly Promise<void>[];
  /** Where writes that leave with COMMIT go (withLastWrites). */
  last: LastWrites;
}

/**
 * Step 7: everything the batch decided, written set-based, sent at once behind the ledger's
 * write. Every write is a single statement sent now, and they leave with COMMIT
 * (withLastWrites): the writes and COMMIT are one round trip. The audit entries go as
 * INSERTs of at most AUDIT_APPEND_INSERT_ENTRIES_MAX each, not as audit.append's COPY for
 * a large batch, which must have the connection to itself and so would wait for the rest
 * to answer, and COMMIT for it. An entry the SIEM export must hear of is appended by
 * audit.append, which sends one more statement once its INSERT answered: those writes are
 * awaited before COMMIT.
 *
 * A key another batch answered after this one read the stored answers (it committed before
 * this batch took the scopes' lock) fails the answers' insert, and the transaction with it:
 * this batch runs again (ScopeMoved) and then replays that answer. Only the answers this
 * batch stores are checked: a request refused unstored (a misread, 409, 429) gets its
 * refusal rather than the replay, and moves nothing.
 */
async function finish(
  deps: PaymentsDeps,
  tx: Tx,
  items: Item[],
  { windowStart, now, ledgerEntries, ledgerWrites, last }: Finishing,
): Promise<void> {
  const paid = items.flatMap((i) => (i.payment ? [i.payment] : []));
  const added = new Map<string, number>();
  for (const { req } of items.filter((i) => i.failure)) {
    for (const s of scopesOf(req)) added.set(s, (added.get(s) ?? 0) + 1);
  }
  const answers = items
    .filter((i) => i.store && i.answer && !i.answer.replayed)
    .map((i) => ({
      scope: i.req.scope,
      key: i.req.idempotencyKey,
      fingerprint: i.req.fingerprint,
      status_code: i.answer!.statusCode,
      body: i.answer!.body,
    }));
  const entries = [...ledgerEntries, ...items.filter((i) => i.store).map(auditEntry)];
  const inOneStatement = entries.length <= AUDIT_APPEND_INSERT_ENTRIES_MAX;
  const withCommit = entries.length === 0 || !deps.audit.hooked(entries);
  const writes: Promise<unknown>[] = [
    store.storeAnswers(tx, answers, now).catch((e: unknown) => {
      throw store.answerStoredFirst(e) ? new ScopeMoved() : e;
    }),
    ...ledgerWrites,
    store.markCodesUsed(
      tx,
      items.flatMap((i) =>
        i.payment && i.hmac ? [{ hmac: i.hmac, paymentId: i.payment.id }] : [],
      ),
      now,
    ),
    store.insertPayments(tx, paid),
    store.insertBalanceTransactions(tx, paid.map(paymentMovement)),
    store.addGuessFailures(tx, added, windowStart),
    enqueueReceipts(
      deps,
      tx,
      'payment',
      paid.map((p) => p.id),
    ),
    deps.risk.record(
      tx,
      items.flatMap((i) =>
        i.assessment
          ? [{ a: i.assessment, subjectId: i.payment?.id ?? null, counted: !!i.payment }]
          : [],
      ),
    ),
  ];
  if (withCommit) {
    for (let i = 0; i < entries.length; i += AUDIT_APPEND_INSERT_ENTRIES_MAX) {
      const part = entries.slice(i, i + AUDIT_APPEND_INSERT_ENTRIES_MAX);
      writes.push(deps.audit.appendStatement(tx, part));
    }
    for (const w of writes) {
      // Observed at once: withLastWrites awaits them once COMMIT has answered.
      const write = w.then(() => undefined);
      write.catch(() => undefined);
      last.push(write);
    }
    return;
  }
  await settled([...writes, inOneStatement && deps.audit.append(tx, entries)]);
  if (!inOneStatement) await deps.audit.append(tx, entries);
}

/**
 * Waits for every statement before reporting the first failure, so that none of the batch's
 * writes is still running, or yet to be sent, when the transaction rolls back.
 */
async function settled(work: readonly (Promise<unknown> | false)[]): Promise<void> {
  const results = await Promise.allSettled(work);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

function auditEntry(i: Item) {
  const { req } = i;
  const subject = i.payment
    ? { type: 'payment', id: i.payment.id }
    : { type: 'terminal', id: req.terminal.terminalId };
  const detail: Record<string, unknown> = {
    merchant_id: req.terminal.merchantId,
    store_id: req.terminal.storeId,
    terminal_id: req.terminal.terminalId,
    amount: req.amount.toString(),
  };
  if (i.payment) {
    detail['customer_id'] = i.payment.customer_id;
    detail['risk_decision'] = i.payment.risk_decision;
    detail['risk_reasons'] = i.payment.risk_reasons;
  } else {
    detail['refusal'] = (JSON.parse(i.answer!.body) as { error: { code: string } }).error.code;
  }
  return entry(
    i.payment ? 'payments.code_payment.succeeded' : 'payments.code_payment.refused',
    req.actor,
    subject,
    req.source,
    detail,
    i.payment ? 'success' : 'denied',
  );
}
