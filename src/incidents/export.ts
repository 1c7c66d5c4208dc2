import type { Db, Tx } from '../db/index.ts';
import * as store from './store.ts';
import { appendTimeline, type IncidentActor, type IncidentDeps } from './timeline.ts';
import { incidentsError } from './errors.ts';

// What the vault's card export reads from an incident: its latest scope run and the cards
// that run names (keyed fingerprint, brand, first and last use in the window — never a
// number), and the timeline each step of the export is told on. The vault decrypts; this
// module only says which cards, so it never holds a card number.

interface ExportCard {
  fingerprint: string;
  brand: string;
  firstAt: Date;
  lastAt: Date;
}

interface CardExportScope {
  latestScope(db: Db, incidentId: string): Promise<{ id: string; run: number } | null>;
  scopeCards(db: Db, scopeId: string): Promise<ExportCard[]>;
  appendTimeline(
    tx: Tx,
    incidentId: string,
    e: {
      kind: string;
      summary: string;
      ref: { type: string; id: string };
      actor: IncidentActor;
      detail: Record<string, unknown>;
    },
  ): Promise<bigint>;
}

export function cardExportScope(deps: IncidentDeps): CardExportScope {
  return {
    latestScope: async (db, incidentId) => {
      if (!(await store.incidentById(db, incidentId))) {
        throw incidentsError('incident_not_found', { param: 'id' });
      }
      const scope = await store.latestScope(db, incidentId);
      return scope ? { id: scope.id, run: scope.run } : null;
    },
    scopeCards: async (db, scopeId) =>
      (await store.scopeCards(db, scopeId)).map((c) => ({
        fingerprint: c.card_fingerprint,
        brand: c.card_brand,
        firstAt: c.first_at,
        lastAt: c.last_at,
      })),
    appendTimeline: (tx, incidentId, e) => appendTimeline(tx, deps, incidentId, e),
  };
}
