import { createHash } from 'node:crypto';
import { Encrypter } from 'age-encryption';
import type { Db, Tx } from '../db/index.ts';
import { publicId } from '../lib/ids.ts';
import { cardAad, decodeSecret, open, wrapAad } from './crypto.ts';
import * as store from './store.ts';
import { vaultError } from './errors.ts';
import type { Actor, Source, VaultCoreDeps } from './vault.ts';

// The card export: the only way full card numbers leave the vault, for the card companies
// an incident's cards belong to. Dual control, in the code and in the database (migration
// 0040): one operator requests an export of the incident's latest scope run, naming the card
// company's age public key and why; a different operator approves it, and only then, in the
// approval's transaction, are the numbers decrypted in memory, written as CSV and encrypted to
// the recipient. Only the ciphertext is stored (Kinko holds no key that opens it), offered a
// few times until it expires; every step is audited and on the incident's timeline. A number
// is never logged, queued, audited or put in an error message; the CSV buffer is zeroed once
// encrypted. There is no security code to export: Kinko never keeps one.

/** One affected card of a scope run as incidents names it: never its number. */
interface ExportCardRef {
  /** The vault's keyed fingerprint, hex. */
  fingerprint: string;
  brand: string;
  firstAt: Date;
  lastAt: Date;
}

/** What an export needs from the incidents module; main.ts wires incidents/export.ts in. */
export interface CardExportIncidents {
  /** The incident's latest scope run; null when it has none; throws when no such incident. */
  latestScope(db: Db, incidentId: string): Promise<{ id: string; run: number } | null>;
  scopeCards(db: Db, scopeId: string): Promise<ExportCardRef[]>;
  appendTimeline(
    tx: Tx,
    incidentId: string,
    e: {
      kind: string;
      summary: string;
      ref: { type: string; id: string };
      actor: Actor;
      detail: Record<string, unknown>;
    },
  ): Promise<bigint>;
}

interface CardExportDeps extends VaultCoreDeps {
  incidents: CardExportIncidents;
}

type CardExportState = 'requested' | 'approved' | 'used_up' | 'expired';

export interface CardExportView {
  id: string;
  incidentId: string;
  scopeId: string;
  recipient: string;
  reason: string;
  state: CardExportState;
  cardsRequested: number;
  cardsExported: number | null;
  requestedBy: string;
  requestedAt: Date;
  approvedBy: string | null;
  approvedAt: Date | null;
  downloads: number;
  downloadsMax: number;
  expiresAt: Date;
  /** SHA-256 of the encrypted file, hex, for the card company to check what it received. */
  sha256: string | null;
}

function stateOf(r: store.CardExportRow, now: Date): CardExportState {
  if (r.downloads >= r.downloads_max) return 'used_up';
  if (now >= r.expires_at) return 'expired';
  return r.approved_by ? 'approved' : 'requested';
}

function viewOf(r: store.CardExportRow, now: Date): CardExportView {
  return {
    ...{ id: r.id, incidentId: r.incident_id, scopeId: r.scope_id, recipient: r.recipient },
    ...{ reason: r.reason, state: stateOf(r, now), cardsRequested: r.cards_requested },
    ...{ cardsExported: r.cards_exported, requestedBy: r.requested_by },
    ...{ requestedAt: r.requested_at, approvedBy: r.approved_by, approvedAt: r.approved_at },
    ...{ downloads: r.downloads, downloadsMax: r.downloads_max, expiresAt: r.expires_at },
    sha256: r.ciphertext_sha256 ? r.ciphertext_sha256.toString('hex') : null,
  };
}

/** Checks an age recipient by parsing it as the library does; a bad one is a named error. */
function checkRecipient(recipient: string): void {
  try {
    new Encrypter().addRecipient(recipient);
  } catch {
    throw vaultError('card_export_recipient_invalid', { param: 'recipient' });
  }
}

export interface CardExportRequest {
  incidentId: string;
  recipient: string;
  reason: string;
  operatorId: string;
  source?: Source | undefined;
}

/** Requests an export of the incident's latest scope run; nothing is decrypted yet. */
export async function requestCardExport(
  deps: CardExportDeps,
  r: CardExportRequest,
): Promise<CardExportView> {
  checkRecipient(r.recipient);
  const actor: Actor = { type: 'operator', id: r.operatorId };
  return deps.sql.begin(async (tx) => {
    const scope = await deps.incidents.latestScope(tx, r.incidentId);
    if (!scope) throw vaultError('card_export_no_scope', { param: 'id' });
    const cards = await deps.incidents.scopeCards(tx, scope.id);
    if (cards.length === 0) throw vaultError('card_export_no_cards', { param: 'id' });
    if (cards.length > deps.limits.vaultCardExportCardsMax) {
      throw vaultError('card_export_too_large', { param: 'id' });
    }
    const now = deps.clock.now();
    const row = {
      ...{ id: publicId('cexp', 16), incident_id: r.incidentId, scope_id: scope.id },
      ...{ recipient: r.recipient, reason: r.reason, cards_requested: cards.length },
      ...{ requested_by: r.operatorId, requested_at: now, downloads: 0 },
      downloads_max: deps.limits.vaultCardExportDownloadsMax,
      expires_at: new Date(now.getTime() + deps.limits.vaultCardExportSecondsMax * 1000),
    };
    await store.insertCardExport(tx, row);
    const detail = { incident_id: r.incidentId, scope_id: scope.id, cards: cards.length };
    await deps.audit.append(tx, [
      {
        ...{ action: 'vault.card_export.requested', actor, source: r.source },
        ...{ subject: { type: 'card_export', id: row.id }, outcome: 'success', detail },
      },
    ]);
    await deps.incidents.appendTimeline(tx, r.incidentId, {
      kind: 'card_export.requested',
      summary:
        `Card export requested for scope run ${scope.run}: ${cards.length} cards, encrypted ` +
        `to the card company's key; a second operator approves it. Reason: ${r.reason}`,
      ref: { type: 'card_export', id: row.id },
      actor,
      detail: { ...detail, expires_at: row.expires_at.toISOString() },
    });
    return viewOf({ ...row, ...NOT_APPROVED }, now);
  });
}

const NOT_APPROVED = {
  approved_by: null,
  approved_at: null,
  cards_exported: null,
  ciphertext: null,
  ciphertext_sha256: null,
};

/** An export of this incident, locked for a change; card_export_not_found otherwise. */
async function lockedExport(
  tx: Tx,
  incidentId: string,
  exportId: string,
): Promise<store.CardExportRow> {
  const row = await store.cardExportById(tx, exportId, true);
  if (!row || row.incident_id !== incidentId) {
    throw vaultError('card_export_not_found', { param: 'export' });
  }
  return row;
}

/** A refusal is audited in a transaction of its own, so the attempt outlives the refusal. */
async function auditRefusal(
  deps: CardExportDeps,
  a: { action: string; exportId: string; actor: Actor; source?: Source | undefined },
  code: string,
): Promise<void> {
  await deps.sql.begin((tx) =>
    deps.audit.append(tx, [
      {
        ...{ action: a.action, actor: a.actor, source: a.source },
        ...{ subject: { type: 'card_export', id: a.exportId }, outcome: 'denied' },
        detail: { code },
      },
    ]),
  );
}

export interface CardExportDecision {
  incidentId: string;
  exportId: string;
  operatorId: string;
  source?: Source | undefined;
}

/**
 * Approves an export requested by another operator, and produces it: the cards of its scope
 * run decrypted, written as CSV and encrypted to the recipient, in this one transaction.
 */
export async function approveCardExport(
  deps: CardExportDeps,
  d: CardExportDecision,
): Promise<CardExportView> {
  const actor: Actor = { type: 'operator', id: d.operatorId };
  const refusal = { action: 'vault.card_export.approved', exportId: d.exportId, actor };
  try {
    return await deps.sql.begin(async (tx) => {
      const row = await lockedExport(tx, d.incidentId, d.exportId);
      if (row.approved_by) throw vaultError('card_export_already_approved');
      if (row.requested_by === d.operatorId) {
        throw vaultError('card_export_needs_second_operator', { param: 'export' });
      }
      const now = deps.clock.now();
      if (now >= row.expires_at) throw vaultError('card_export_unavailable');
      const refs = await deps.incidents.scopeCards(tx, row.scope_id);
      const file = await produce(deps, tx, row.recipient, refs);
      const sha256 = createHash('sha256').update(file.ciphertext).digest();
      const approval = { id: row.id, approvedBy: d.operatorId, at: now, sha256 };
      await store.approveCardExport(tx, { ...approval, ...file });
      const approved = { ...row, approved_by: d.operatorId, approved_at: now };
      const done = { ...approved, cards_exported: file.cardsExported, ciphertext_sha256: sha256 };
      await recordApproval(deps, tx, done, { actor, source: d.source });
      return viewOf(done, now);
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'card_export_needs_second_operator') {
      await auditRefusal(deps, { ...refusal, source: d.source }, code);
    }
    throw error;
  }
}

async function recordApproval(
  deps: CardExportDeps,
  tx: Tx,
  row: store.CardExportRow,
  by: { actor: Actor; source?: Source | undefined },
): Promise<void> {
  const detail = {
    ...{ incident_id: row.incident_id, scope_id: row.scope_id, requested_by: row.requested_by },
    ...{ cards_requested: row.cards_requested, cards_exported: row.cards_exported },
    sha256: row.ciphertext_sha256?.toString('hex'),
  };
  // The decryptions are audited here, as one entry for the export, before the commit that
  // is the only way the encrypted file can ever be read: no entry, no file.
  await deps.audit.append(tx, [
    {
      ...{ action: 'vault.card_export.approved', actor: by.actor, source: by.source },
      ...{ subject: { type: 'card_export', id: row.id }, outcome: 'success', detail },
    },
  ]);
  const missing = row.cards_requested - (row.cards_exported ?? 0);
  await deps.incidents.appendTimeline(tx, row.incident_id, {
    kind: 'card_export.approved',
    summary:
      `Card export approved by a second operator: ${row.cards_exported} cards encrypted ` +
      `to the card company's key` +
      (missing > 0 ? `; ${missing} deleted card(s) could not be included.` : '.'),
    ref: { type: 'card_export', id: row.id },
    actor: by.actor,
    detail,
  });
}

const CSV_HEADER = 'pan,expiry,brand,first_seen,last_seen\n';

/**
 * Decrypts each card in memory, writes the CSV into one buffer, encrypts it to the recipient
 * and zeroes the buffer. A card deleted since the scope run (crypto-shredded) is left out.
 */
async function produce(
  deps: CardExportDeps,
  tx: Tx,
  recipient: string,
  refs: readonly ExportCardRef[],
): Promise<{ ciphertext: Buffer; cardsExported: number }> {
  const rows = await store.liveCardsByFingerprints(
    tx,
    refs.map((r) => r.fingerprint),
  );
  const byFingerprint = new Map(rows.map((r) => [r.fingerprint.toString('hex'), r]));
  const lines: Buffer[] = [Buffer.from(CSV_HEADER, 'utf8')];
  let exported = 0;
  try {
    for (const ref of refs) {
      const row = byFingerprint.get(ref.fingerprint);
      if (!row || !row.ciphertext || !row.wrapped_key || row.kek_version === null) continue;
      const dataKey = await deps.keyProvider.unwrap(
        row.kek_version,
        row.wrapped_key,
        wrapAad(row.token, row.kek_version),
      );
      const plain = open(dataKey, row.ciphertext, cardAad(row.token));
      dataKey.fill(0);
      const secret = decodeSecret(plain);
      plain.fill(0);
      const expiry = `${String(secret.expMonth).padStart(2, '0')}/${secret.expYear}`;
      const seen = `${ref.firstAt.toISOString()},${ref.lastAt.toISOString()}`;
      lines.push(Buffer.from(`${secret.pan},${expiry},${row.brand},${seen}\n`, 'utf8'));
      exported += 1;
    }
    const csv = Buffer.concat(lines);
    try {
      const e = new Encrypter();
      e.addRecipient(recipient);
      return { ciphertext: Buffer.from(await e.encrypt(csv)), cardsExported: exported };
    } finally {
      csv.fill(0);
    }
  } finally {
    for (const l of lines) l.fill(0);
  }
}

/**
 * Hands out the encrypted file once more and counts it; the last download allowed drops the
 * ciphertext. An export not approved, used up or expired gives nothing (and an expired one
 * is dropped now).
 */
export async function downloadCardExport(
  deps: CardExportDeps,
  d: CardExportDecision,
): Promise<{ view: CardExportView; file: Buffer }> {
  const actor: Actor = { type: 'operator', id: d.operatorId };
  const outcome = await deps.sql.begin(async (tx) => {
    const row = await lockedExport(tx, d.incidentId, d.exportId);
    const now = deps.clock.now();
    if (!row.approved_by) return refused('card_export_not_approved');
    if (row.ciphertext && now >= row.expires_at) {
      await store.dropCardExportCiphertext(tx, row.id);
    }
    if (!row.ciphertext || now >= row.expires_at) {
      return refused('card_export_unavailable');
    }
    await store.countCardExportDownload(tx, row.id);
    const counted = { ...row, downloads: row.downloads + 1 };
    const detail = { download: counted.downloads, downloads_max: row.downloads_max };
    await deps.audit.append(tx, [
      {
        ...{ action: 'vault.card_export.downloaded', actor, source: d.source },
        ...{ subject: { type: 'card_export', id: row.id }, outcome: 'success', detail },
      },
    ]);
    await deps.incidents.appendTimeline(tx, row.incident_id, {
      kind: 'card_export.downloaded',
      summary: `Encrypted card export downloaded (${counted.downloads} of ${row.downloads_max}).`,
      ref: { type: 'card_export', id: row.id },
      actor,
      detail,
    });
    return { view: viewOf(counted, now), file: row.ciphertext, refused: undefined };
  });
  if (outcome.refused !== undefined) {
    const refusal = { action: 'vault.card_export.downloaded', exportId: d.exportId, actor };
    await auditRefusal(deps, { ...refusal, source: d.source }, outcome.refused);
    throw vaultError(outcome.refused, { param: 'export' });
  }
  return { view: outcome.view, file: outcome.file };
}

const refused = (code: 'card_export_not_approved' | 'card_export_unavailable') => ({
  refused: code,
  view: undefined,
  file: undefined,
});

/** The exports of an incident, oldest first, without their files. */
export async function listCardExports(
  deps: Pick<VaultCoreDeps, 'sql' | 'clock'>,
  incidentId: string,
): Promise<CardExportView[]> {
  const now = deps.clock.now();
  return (await store.cardExportsOf(deps.sql, incidentId)).map((r) => viewOf(r, now));
}
