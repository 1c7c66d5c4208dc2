import type { Db, Tx } from '../db/index.ts';

// The incidents module's only SQL (the minimal incident record; the module grows later).

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface IncidentRow {
  id: string;
  kind: string;
  severity: Severity;
  status: 'open' | 'contained' | 'closed';
  summary: string;
  detail: Record<string, unknown>;
  opened_at: Date;
}

export async function insertIncident(tx: Tx, row: Omit<IncidentRow, 'status'>): Promise<void> {
  await tx`
    insert into incidents_records (id, kind, severity, summary, detail, opened_at)
    values (${row.id}, ${row.kind}, ${row.severity}, ${row.summary},
      ${tx.json(row.detail as Parameters<Tx['json']>[0])}, ${row.opened_at})`;
}

export async function listIncidents(db: Db, limit: number): Promise<IncidentRow[]> {
  return db<
    IncidentRow[]
  >`select * from incidents_records order by opened_at desc, id limit ${limit}`;
}
