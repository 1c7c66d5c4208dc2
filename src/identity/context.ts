import type { IdentityLimits, KinkoEnv } from '../config.ts';
import type { Sql, Tx } from '../db/index.ts';
import type { AuditEntryInput, Outcome } from '../audit/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { ErrorOptions } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { NOTIFY_TOPIC, type NotifyMessage } from '../notify/index.ts';
import { identityError, type IdentityErrorCode } from './errors.ts';
import type { Passwords } from './passwords.ts';
import type { Source } from '../http/index.ts';
import type { Incidents } from '../incidents/index.ts';
import type { SwitchCheck } from '../switches/index.ts';
import type { Risk } from '../risk/index.ts';

// What every identity service receives: its dependencies as plain parameters, and the
// request's source for audit entries and per-source limits.

export interface AuditPort {
  append(tx: Tx, entries: readonly AuditEntryInput[]): Promise<void>;
}

export interface OutboxPort {
  enqueue(
    tx: Tx,
    events: readonly { topic: string; key?: string; payload: object }[],
  ): Promise<unknown>;
}

/** The risk engine's door for new-device confirmation (risk/index.ts). */
type RiskPort = Pick<Risk, 'assess' | 'record'>;

/** The incidents service's door for detectors (incidents/index.ts). */
export type IncidentsPort = Pick<Incidents, 'raise'>;

export interface Deps {
  sql: Sql;
  clock: Clock;
  audit: AuditPort;
  outbox: OutboxPort;
  incidents: IncidentsPort;
  limits: IdentityLimits;
  log: Logger;
  env: KinkoEnv;
  /** The public origin browsers use, e.g. https://pay.example; WebAuthn binds to it. */
  origin: string;
  rpId: string;
  passwords: Passwords;
  /** Seals TOTP secrets at rest (sealed.ts); a key file outside the database. */
  secretsKey: Buffer;
  /** Kill switches: sign-up, sign-in, recovery and new devices can be suspended. */
  switches: SwitchCheck;
  /**
   * The risk engine, asked when a new device is confirmed; built after identity (it reads
   * identity's facts), hence a function. None: no decision is taken (unit harnesses).
   */
  risk?: (() => RiskPort) | undefined;
}

/** Where a request came from: the peer address and the request id, for audit and limits. */
export type { Source };

export function at(deps: Deps, plusSeconds = 0): Date {
  return new Date(deps.clock.nowMs() + plusSeconds * 1000);
}

export interface Contacts {
  email: string;
  phone: string;
}

/** Messages to send in the caller's transaction, through the outbox. */
export async function send(deps: Deps, tx: Tx, messages: readonly NotifyMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await deps.outbox.enqueue(
    tx,
    messages.map((m) => ({ topic: NOTIFY_TOPIC, key: m.to, payload: m })),
  );
}

export function customerEntry(
  action: string,
  customerId: string | null,
  source: Source,
  outcome: Outcome,
  detail?: Record<string, unknown>,
): AuditEntryInput {
  return {
    action,
    actor: customerId ? { type: 'customer', id: customerId } : { type: 'customer' },
    subject: customerId ? { type: 'customer', id: customerId } : undefined,
    source: { ip: source.ip, requestId: source.requestId },
    outcome,
    detail,
  };
}

/** A refusal decided inside a transaction, thrown by commitThenThrow after commit. */
export class Refusal {
  constructor(readonly error: Error) {}
}

export function refuse(code: IdentityErrorCode, options: ErrorOptions = {}): Refusal {
  return new Refusal(identityError(code, options));
}

/**
 * Runs fn in a transaction and throws its refusal only after the transaction committed, so
 * that a counted failed attempt (and its audit entry) is kept when the caller is refused.
 */
export async function commitThenThrow<T>(
  deps: Deps,
  fn: (tx: Tx) => Promise<T | Refusal>,
): Promise<T> {
  const result = (await deps.sql.begin(fn)) as T | Refusal;
  if (result instanceof Refusal) throw result.error;
  return result;
}
