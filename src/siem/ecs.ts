import type { AuditEntryInput } from '../audit/index.ts';
import { scrub } from '../lib/redact.ts';

// The pure part of the SIEM export: which audit entries are security events, and their
// Elastic Common Schema (ECS 8) form. The detail is scrubbed by the same rule as the audit
// detail and every log line, so no secret or card number leaves in an event.

export const ECS_VERSION = '8.11.0';

/** Prefixes of actions that are security events whoever did them. */
const SECURITY_PREFIXES = [
  'identity.', // sign-ins and failures, factors, devices, recovery, throttles, stuffing
  'merchants.', // merchant people's actions: keys, origins, stores, terminals
  'switches.',
  'incidents.',
  'integrity.', // file and payment-page integrity alerts and approvals
  'audit.',
  'vault.card.decrypted',
  'vault.card.shredded',
  'vault.keys.',
  'vault.pan_discovered',
  'webhooks.endpoint.',
];

/** Actions under those prefixes that are business as usual, counted elsewhere. */
const ROUTINE_ACTIONS = new Set(['merchants.api_key.used']);

/** A security event: by its action, or done by an operator or the CLI, or refused. */
export function isSecurityEvent(e: AuditEntryInput): boolean {
  if (ROUTINE_ACTIONS.has(e.action)) return false;
  if (e.actor.type === 'operator' || e.actor.type === 'cli' || e.outcome === 'denied') return true;
  return SECURITY_PREFIXES.some((p) => e.action.startsWith(p));
}

/** ECS event.category by the action's shape; the first match wins. */
const CATEGORIES: ReadonlyArray<[RegExp, string[], string[]]> = [
  [/login|logout|step_up|session\.|signup\.verify/, ['authentication'], ['start']],
  [/stuffing|incidents\.|integrity\.|pan_discovered/, ['intrusion_detection'], ['indicator']],
  [/factor|password|recovery|device|contact|operator\.|account\./, ['iam'], ['change']],
  [/vault\.|audit\./, ['database'], ['access']],
];

export interface EcsEvent {
  '@timestamp': string;
  ecs: { version: string };
  message: string;
  event: {
    id: string;
    kind: 'event' | 'alert';
    category: string[];
    type: string[];
    action: string;
    outcome: 'success' | 'failure';
    dataset: 'kinko.audit';
    module: 'kinko';
    provider: string;
  };
  service: { name: 'kinko'; version: string };
  host: { hostname: string };
  user?: { id: string };
  source?: { ip: string };
  http?: { request: { id: string } };
  kinko: {
    actor: { type: string; id?: string };
    subject?: { type: string; id: string };
    detail: Record<string, unknown>;
  };
}

interface EcsMeta {
  id: string;
  at: Date;
  version: string;
  hostname: string;
}

/** One audit entry as an ECS event; `id` is the event's stable id (kept across retries). */
export function toEcs(e: AuditEntryInput, meta: EcsMeta): EcsEvent {
  const [, category, type] = CATEGORIES.find(([re]) => re.test(e.action)) ?? [
    null,
    ['configuration'],
    ['change'],
  ];
  const failed = e.outcome !== 'success';
  const alert = category[0] === 'intrusion_detection';
  const out: EcsEvent = {
    '@timestamp': meta.at.toISOString(),
    ecs: { version: ECS_VERSION },
    message: `${e.action} by ${e.actor.type}${e.actor.id ? ` ${e.actor.id}` : ''}: ${e.outcome}`,
    event: {
      id: meta.id,
      kind: alert ? 'alert' : 'event',
      category,
      type: e.outcome === 'denied' ? [...type, 'denied'] : type,
      action: e.action,
      outcome: failed ? 'failure' : 'success',
      dataset: 'kinko.audit',
      module: 'kinko',
      provider: e.action.split('.')[0] ?? 'kinko',
    },
    service: { name: 'kinko', version: meta.version },
    host: { hostname: meta.hostname },
    kinko: {
      actor: e.actor.id ? { type: e.actor.type, id: e.actor.id } : { type: e.actor.type },
      detail: scrub(e.detail ?? {}) as Record<string, unknown>,
    },
  };
  if (e.subject) out.kinko.subject = { type: e.subject.type, id: e.subject.id };
  const person = e.actor.type === 'customer' || e.actor.type === 'operator';
  if (person && e.actor.id) out.user = { id: e.actor.id };
  if (e.source?.ip) out.source = { ip: e.source.ip };
  if (e.source?.requestId) out.http = { request: { id: e.source.requestId } };
  return out;
}
