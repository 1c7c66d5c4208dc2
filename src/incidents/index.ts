import type { Db, Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { publicId } from '../lib/ids.ts';
import { scrub } from '../lib/redact.ts';
import * as store from './store.ts';

// Incidents: the record a detector opens when something is wrong (for now the vault's
// card-number discovery scan). Kill switches, breach scope, notifications and compensation
// come with the incidents issue and extend this record.
//
// Glossary
// - incident: one security or integrity event that needs a person: kind, severity, summary.
// - kind: dotted lower-case name of what was detected (`vault.pan_discovered`).
// - severity: low | medium | high | critical.
// - status: open → contained → closed.

export type { IncidentRow, Severity } from './store.ts';

export interface IncidentInput {
  kind: string;
  severity: store.Severity;
  summary: string;
  /** Plain JSON; scrubbed like a log line, so it can never carry card data or secrets. */
  detail?: Record<string, unknown>;
  at?: Date;
}

/** Opens an incident in the caller's transaction; returns its id (`inc_…`). */
export async function openIncident(tx: Tx, input: IncidentInput): Promise<string> {
  assert(/^[a-z][a-z0-9_.]{0,63}$/.test(input.kind), `bad incident kind ${input.kind}`);
  assert(
    input.summary.length > 0 && input.summary.length <= 500,
    'incident summary must be 1..500 chars',
  );
  const id = publicId('inc', 16);
  await store.insertIncident(tx, {
    id,
    kind: input.kind,
    severity: input.severity,
    summary: input.summary,
    detail: scrub(input.detail ?? {}) as Record<string, unknown>,
    opened_at: input.at ?? new Date(),
  });
  return id;
}

export function listIncidents(db: Db, limit = 100): Promise<store.IncidentRow[]> {
  return store.listIncidents(db, limit);
}
