import type { AuditEntryInput } from '../audit/index.ts';
import type { Sql, Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import { KinkoError } from '../lib/errors.ts';
import { publicId } from '../lib/ids.ts';
import { reasonWords } from './reasons.ts';
import * as store from './store.ts';
import type { Actor } from './versions.ts';
import { riskError } from './errors.ts';

// The review queue: a `review` decision on a path that can wait holds its subject (a top-up,
// a merchant's web payment, later a card link) until an analyst approves or declines it. Risk keeps
// the queue and reads no other module's tables: the module that owns a kind of subject
// registers how to approve and decline it (ReviewHandlers), and holds its subject by calling
// hold() in the transaction that writes the subject's held state, its audit entry and its
// outbox event, so a held subject always has its review and never the one without the other.
//
// Approving is two steps. In one transaction the review is locked, marked approved and
// audited, and the owner's approve() moves the subject out of its held state. After commit,
// settle() moves the money, keyed by the subject id (a card charge's idempotency keys, the
// ledger transfer id), so it is safe to run again: approving an approved review runs settle()
// again, which finishes a settlement a crash interrupted and otherwise moves nothing. Two
// analysts approving at once are serialised on the review row; a decline after an approval
// (or the reverse) is refused with risk_review_already_decided. A decline whose undoing needs
// a call outside the transaction (a web payment's authorization is voided at the card
// network) finishes it in afterDecline(), after commit. A subject that ends while waiting
// (its authorization expired, the merchant canceled it) closes its review (close()), in the
// owner's transaction; a closed review is decided, so it cannot be approved any more.

export interface Review {
  id: string;
  kind: string;
  subjectId: string;
  /** Null for a web payment: a web shop's shopper is no Kinko customer. */
  customerId: string | null;
  /** The merchant of a held web payment; null for a top-up. */
  merchantId: string | null;
  amountMinor: bigint;
  currency: string;
  decisionId: string;
  status: store.ReviewRow['status'];
  createdAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  note: string | null;
}

/** What a kind's owner supplies: how its subject leaves the held state. */
export interface ReviewHandlers {
  /** In the approving transaction: the subject leaves its held state (no money moves yet). */
  approve(tx: Tx, review: Review, who: Actor): Promise<void>;
  /**
   * After the approval commits, and again on each later approve of the same review: moves
   * the money, keyed by the subject id, so a second run moves nothing more. Answers the
   * subject's state for the operator (say { status: 'succeeded' } or a failure code).
   */
  settle(review: Review, who: Actor): Promise<Record<string, unknown>>;
  /** In the declining transaction: the subject fails, nothing moves, the customer is told. */
  decline(tx: Tx, review: Review, who: Actor): Promise<void>;
  /**
   * After the decline commits: undoes what cannot be undone in a transaction (voids a card
   * authorization), keyed by the subject id. Answers the subject's state for the operator.
   */
  afterDecline?(review: Review, who: Actor): Promise<Record<string, unknown>>;
  /**
   * Locks the subject before its review row is locked, for an owner whose own paths lock
   * the subject first and then close its review (a merchant's cancel): one lock order, so
   * an approval and a cancel at the same moment wait for each other instead of deadlocking.
   */
  lockSubject?(tx: Tx, review: Review): Promise<void>;
}

interface HoldInput {
  kind: string;
  subjectId: string;
  /** Who asked for the held movement; a web payment has a merchant instead. */
  customerId?: string | null;
  merchantId?: string | null;
  amountMinor: bigint;
  currency: string;
  /** The decision that held the subject: its risk_decisions row, written by record(). */
  decisionId: string;
  /** Who asked for the held movement (the customer), for the audit entry. */
  source?: Actor['source'];
}

interface ReviewView {
  id: string;
  object: 'risk_review';
  kind: string;
  subject_id: string;
  customer_id: string | null;
  merchant_id: string | null;
  amount: string;
  currency: string;
  status: Review['status'];
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
  note: string | null;
}

interface ReviewDetail extends ReviewView {
  decision: {
    id: string;
    decided_at: string;
    decision: string;
    reason: string | null;
    /** The reason as the customer was told it. */
    reason_words: string;
    version: number;
    rules_fired: string[];
    shadow_version: number | null;
    shadow_decision: string | null;
    signals: Record<string, unknown> | null;
  } | null;
}

interface ReviewListQuery {
  status?: Review['status'] | 'all' | undefined;
  kind?: string | undefined;
  customerId?: string | undefined;
  /** A review id: the page starts after it. */
  after?: string | undefined;
  limit?: number | undefined;
}

export interface Reviews {
  /** The owner of a kind of subject says how to approve and decline it (once per process). */
  register(kind: string, handlers: ReviewHandlers): void;
  /**
   * Holds a subject for review in the caller's transaction (the one writing its held
   * state). A subject is held at most once: a second hold is refused (risk_review_exists).
   */
  hold(tx: Tx, input: HoldInput): Promise<Review>;
  /** Reviews, oldest first (open ones by default). */
  list(q: ReviewListQuery): Promise<ReviewView[]>;
  /** One review with its decision: signals, rules fired, version. Reading it is audited. */
  get(id: string, who: Actor): Promise<ReviewDetail>;
  /** Approves (or finishes approving) a review; answers the review and its subject's state. */
  approve(
    who: Actor,
    id: string,
    note: string,
  ): Promise<{ review: ReviewView; subject: Record<string, unknown> }>;
  /** Declines an open review: the subject fails in the same transaction. */
  decline(
    who: Actor,
    id: string,
    note: string,
  ): Promise<{ review: ReviewView; subject?: Record<string, unknown> }>;
  /**
   * In the owner's transaction: its subject ended while waiting (`why`: the hold expired, the
   * merchant canceled it), so its open review is closed and audited. Answers the review, or
   * undefined when the subject had no open review.
   */
  close(tx: Tx, subjectId: string, why: string): Promise<Review | undefined>;
}

interface ReviewsDeps {
  sql: Sql;
  clock: Clock;
  audit: { append(tx: Tx, entries: readonly AuditEntryInput[]): Promise<void> };
}

export const REVIEWS_PAGE_MAX = 100;
const REVIEWS_PAGE_DEFAULT = 50;

export function createReviews(deps: ReviewsDeps): Reviews {
  const kinds = new Map<string, ReviewHandlers>();
  const handlersOf = (kind: string) => {
    const h = kinds.get(kind);
    assert(h, `no handlers registered for review kind ${kind}`);
    return h;
  };
  return {
    register: (kind, handlers) => void kinds.set(kind, handlers),
    hold: (tx, input) => hold(deps, tx, input, handlersOf),
    list: async (q) => {
      const after = q.after ? await store.reviewById(deps.sql, q.after) : undefined;
      if (q.after && !after) throw riskError('risk_review_not_found', { param: 'after' });
      const rows = await store.listReviews(deps.sql, {
        status: q.status ?? 'open',
        kind: q.kind,
        customerId: q.customerId,
        after: after ? { createdAt: after.created_at, id: after.id } : undefined,
        limit: Math.min(q.limit ?? REVIEWS_PAGE_DEFAULT, REVIEWS_PAGE_MAX),
      });
      return rows.map((r) => reviewView(reviewOf(r)));
    },
    get: (id, who) => detail(deps, id, who),
    approve: (who, id, note) => approve(deps, who, id, note, handlersOf),
    decline: async (who, id, note) => {
      const declined = await decline(deps, who, id, note, handlersOf);
      const after = handlersOf(declined.kind).afterDecline;
      const review = reviewView(declined);
      return after ? { review, subject: await after(declined, who) } : { review };
    },
    close: async (tx, subjectId, why) => {
      const set = { decided_at: deps.clock.now(), note: why };
      const row = await store.closeReview(tx, subjectId, set);
      if (!row) return undefined;
      const system = { type: 'system' as const, id: 'risk' };
      await deps.audit.append(tx, [
        audited('risk.review.closed', system, row.id, undefined, partyOf(row, { note: why })),
      ]);
      return reviewOf(row);
    },
  };
}

async function hold(
  deps: ReviewsDeps,
  tx: Tx,
  input: HoldInput,
  handlersOf: (kind: string) => ReviewHandlers,
): Promise<Review> {
  handlersOf(input.kind); // A kind nobody can approve would hold money for ever.
  assert(input.customerId || input.merchantId, 'a review names a customer or a merchant');
  const row: store.ReviewRow = {
    id: publicId('rv', 12),
    kind: input.kind,
    subject_id: input.subjectId,
    customer_id: input.customerId ?? null,
    merchant_id: input.merchantId ?? null,
    amount_minor: input.amountMinor,
    currency: input.currency,
    decision_id: input.decisionId,
    status: 'open',
    created_at: deps.clock.now(),
    decided_by: null,
    decided_at: null,
    note: null,
  };
  if (!(await store.insertReview(tx, row))) {
    throw riskError('risk_review_exists', { extra: { subject_id: input.subjectId } });
  }
  await deps.audit.append(tx, [
    audited(
      'risk.review.opened',
      { type: 'system', id: 'risk' },
      row.id,
      input.source,
      partyOf(row, {
        kind: row.kind,
        subject_id: row.subject_id,
        amount: row.amount_minor.toString(),
        decision_id: row.decision_id,
      }),
    ),
  ]);
  return reviewOf(row);
}

/** The review row, locked (its subject first when the owner asks: see lockSubject). */
async function lockReview(
  tx: Tx,
  id: string,
  handlersOf: (kind: string) => ReviewHandlers,
): Promise<store.ReviewRow | undefined> {
  const seen = await store.reviewById(tx, id);
  if (!seen) return undefined;
  await handlersOf(seen.kind).lockSubject?.(tx, reviewOf(seen));
  return store.reviewById(tx, id, true);
}

async function approve(
  deps: ReviewsDeps,
  who: Actor,
  id: string,
  note: string,
  handlersOf: (kind: string) => ReviewHandlers,
): Promise<{ review: ReviewView; subject: Record<string, unknown> }> {
  const review = await deps.sql.begin(async (tx) => {
    const row = await lockReview(tx, id, handlersOf);
    if (!row) throw riskError('risk_review_not_found');
    // Declined, or closed because the subject ended while it waited: nothing to approve.
    if (row.status === 'declined' || row.status === 'closed') throw alreadyDecided(row);
    // Approved already (a double click, a second analyst, a retry after a crash): nothing
    // is written again; settle() below finishes what the first approval started.
    if (row.status === 'approved') return reviewOf(row);
    const set = {
      status: 'approved' as const,
      decided_by: who.operatorId,
      decided_at: deps.clock.now(),
      note,
    };
    await store.decideReview(tx, row.id, set);
    const r = reviewOf({ ...row, ...set });
    await handlersOf(r.kind).approve(tx, r, who);
    await deps.audit.append(tx, [decidedEntry('risk.review.approved', who, r)]);
    return r;
  });
  const subject = await handlersOf(review.kind).settle(review, who);
  return { review: reviewView(review), subject };
}

async function decline(
  deps: ReviewsDeps,
  who: Actor,
  id: string,
  note: string,
  handlersOf: (kind: string) => ReviewHandlers,
): Promise<Review> {
  return deps.sql.begin(async (tx) => {
    const row = await lockReview(tx, id, handlersOf);
    if (!row) throw riskError('risk_review_not_found');
    if (row.status !== 'open') throw alreadyDecided(row);
    const set = {
      status: 'declined' as const,
      decided_by: who.operatorId,
      decided_at: deps.clock.now(),
      note,
    };
    await store.decideReview(tx, row.id, set);
    const r = reviewOf({ ...row, ...set });
    await handlersOf(r.kind).decline(tx, r, who);
    await deps.audit.append(tx, [decidedEntry('risk.review.declined', who, r)]);
    return r;
  });
}

async function detail(deps: ReviewsDeps, id: string, who: Actor): Promise<ReviewDetail> {
  const row = await store.reviewById(deps.sql, id);
  if (!row) throw riskError('risk_review_not_found');
  const d = await store.decisionById(deps.sql, row.decision_id);
  // The page shows a customer's personal activity: who looked at it is on the trail.
  await deps.sql.begin((tx) =>
    deps.audit.append(tx, [
      audited('risk.review.viewed', operator(who), row.id, who.source, partyOf(row, {})),
    ]),
  );
  return {
    ...reviewView(reviewOf(row)),
    decision: d
      ? {
          id: d.id,
          decided_at: d.decided_at.toISOString(),
          decision: d.decision,
          reason: d.reason,
          reason_words: reasonWords(d.reason),
          version: d.version,
          rules_fired: d.rules_fired,
          shadow_version: d.shadow_version,
          shadow_decision: d.shadow_decision,
          signals: d.signals,
        }
      : null,
  };
}

function alreadyDecided(row: store.ReviewRow): KinkoError {
  return riskError('risk_review_already_decided', {
    extra: { status: row.status, decided_by: row.decided_by },
  });
}

const operator = (who: Actor) => ({ type: 'operator' as const, id: who.operatorId });

function decidedEntry(action: string, who: Actor, r: Review): AuditEntryInput {
  return audited(action, operator(who), r.id, who.source, {
    kind: r.kind,
    subject_id: r.subjectId,
    ...(r.customerId ? { customer_id: r.customerId } : {}),
    ...(r.merchantId ? { merchant_id: r.merchantId } : {}),
    amount: r.amountMinor.toString(),
    note: r.note,
  });
}

/** An audit entry's detail names the review's customer or merchant (whichever it has). */
function partyOf(
  r: Pick<store.ReviewRow, 'customer_id' | 'merchant_id'>,
  detail: Record<string, unknown>,
): Record<string, unknown> {
  return {
    ...(r.customer_id ? { customer_id: r.customer_id } : {}),
    ...(r.merchant_id ? { merchant_id: r.merchant_id } : {}),
    ...detail,
  };
}

function audited(
  action: string,
  actor: AuditEntryInput['actor'],
  reviewId: string,
  source: Actor['source'],
  detail: Record<string, unknown>,
): AuditEntryInput {
  return {
    action,
    actor,
    subject: { type: 'risk_review', id: reviewId },
    source: source ? { ip: source.ip, requestId: source.requestId } : undefined,
    outcome: 'success',
    detail,
  };
}

function reviewOf(r: store.ReviewRow): Review {
  return {
    id: r.id,
    kind: r.kind,
    subjectId: r.subject_id,
    customerId: r.customer_id,
    merchantId: r.merchant_id,
    amountMinor: r.amount_minor,
    currency: r.currency,
    decisionId: r.decision_id,
    status: r.status,
    createdAt: r.created_at,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    note: r.note,
  };
}

function reviewView(r: Review): ReviewView {
  return {
    id: r.id,
    object: 'risk_review',
    kind: r.kind,
    subject_id: r.subjectId,
    customer_id: r.customerId,
    merchant_id: r.merchantId,
    amount: r.amountMinor.toString(),
    currency: r.currency,
    status: r.status,
    created_at: r.createdAt.toISOString(),
    decided_by: r.decidedBy,
    decided_at: r.decidedAt?.toISOString() ?? null,
    note: r.note,
  };
}
